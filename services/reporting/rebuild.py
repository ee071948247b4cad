"""Rebuild every projection from the topics.

    python -m services.reporting.rebuild

First it checks that every consumed partition still starts at offset 0: a
topic trimmed by retention or `delete-records` would silently give a
report without the older events, so the rebuild refuses (exit code 2,
naming topic, partition and earliest offset) and changes nothing.

Then, in ONE database transaction: truncate the projection tables, forget which
events reporting's consumer group has processed, then read every consumed
topic from offset 0 up to the end offsets taken after the truncate (assign
+ seek_to_beginning, no consumer group, so the live group's offsets are
untouched) and apply each event with the live handlers, claiming each polled
batch's events with one statement (`apply_events`).

The live worker may keep running: its projection writes wait for the
rebuild's commit and then apply on top (upserts; nothing double counts);
events after the end offsets are the live consumer's. External events are
not a projection: `external_events` is kept, and a source event that was
published before is never published again, while one that was not (live
consumer lagging) is published now, so the public stream has no gap: as a
pending row, numbered after the commit by the worker's sequencer (or by the
rebuild itself when no worker holds the sequencer lock).
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg
from kafka import KafkaConsumer, TopicPartition
from psycopg.rows import dict_row

from services.common import broker, logs
from services.common.consumer import Handler, claim
from services.common.context import caused_by
from services.common.events import Event, InvalidEvent, decode
from services.common.worker import consumer_group
from services.reporting import db
from services.reporting.handlers import handlers as reporting_handlers
from services.reporting.sequencer import Sequencer
from services.reporting.settings import ReportingSettings

log = logging.getLogger(__name__)
CONSUMES = ("enrolment", "sessions", "notifications")


@dataclass
class RebuildResult:
    applied: int = 0
    duplicates: int = 0
    unreadable: int = 0
    seconds: float = 0.0
    sequenced: int = 0
    # Where the time went (issue 14: some rebuilds take several times as long for the same CPU):
    # opening the reader and checking history, replaying, committing, numbering the public events.
    phases: dict[str, float] = field(default_factory=dict)


class HistoryTrimmed(RuntimeError):
    """A consumed partition no longer starts at offset 0: a replay would miss events."""

    def __init__(self, trimmed: dict[TopicPartition, int]) -> None:
        self.trimmed = trimmed
        where = ", ".join(f"{tp.topic} partition {tp.partition} starts at offset {offset}"
                          for tp, offset in sorted(trimmed.items()))
        super().__init__(f"refusing to rebuild: the topics no longer hold their full history ({where}); "
                         "a rebuild would silently leave out the older events. The projections were not touched.")


def check_full_history(consumer: KafkaConsumer, partitions: list[TopicPartition]) -> None:
    """Raise HistoryTrimmed unless every partition's earliest offset is 0."""
    earliest = consumer.beginning_offsets(partitions)
    trimmed = {tp: offset for tp, offset in earliest.items() if offset > 0}
    if trimmed:
        raise HistoryTrimmed(trimmed)


def apply_events(conn: psycopg.Connection[Any], group: str, handlers: dict[str, Handler], events: list[Event]) -> int:
    """Claim a polled batch of events with one statement, then project the ones claimed now; return how many.

    No savepoint per event: the rebuild is one transaction that any failure
    rolls back whole. The projections are sent pipelined (psycopg pipeline
    mode: no wait for each statement's answer; a statement whose result a
    handler reads still waits for it), so the database works while the next
    events are decoded and loaded (issue 14: a rebuild spent 62 % of its time
    waiting on round trips). Reporting's handlers read no row counts of their
    writes, which a pipeline only knows at the next sync.
    """
    claimed = claim(conn, group, events)
    applied = 0
    with conn.pipeline():
        for event in events:
            key = (event["source"], event["id"])
            if key not in claimed:
                continue
            claimed.discard(key)  # a second copy in the batch is a duplicate
            handler = handlers.get(event["type"])
            if handler is not None:
                with caused_by(event.get("correlationid"), event["id"]):
                    handler(conn, event)
            applied += 1
    return applied


def apply_event(conn: psycopg.Connection[Any], group: str, handlers: dict[str, Handler], event: Event) -> bool:
    """EventConsumer.apply on a given connection: claim the event id, then project (a savepoint)."""
    with conn.transaction():
        claimed = conn.execute(
            "INSERT INTO processed_events (consumer, event_source, event_id, event_type) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING", (group, event["source"], event["id"], event["type"])).rowcount
        if not claimed:
            return False
        handler = handlers.get(event["type"])
        if handler is not None:
            with caused_by(event.get("correlationid"), event["id"]):
                handler(conn, event)
    return True


def _reader(settings: ReportingSettings) -> tuple[KafkaConsumer, list[TopicPartition]]:
    consumer = broker.reader(settings, client_id="progadmin-reporting-rebuild")
    partitions: list[TopicPartition] = []
    for service in CONSUMES:
        topic = settings.topic(service)
        deadline = time.monotonic() + 15
        found = consumer.partitions_for_topic(topic)
        while not found and time.monotonic() < deadline:
            time.sleep(0.2)
            found = consumer.partitions_for_topic(topic)
        partitions += [TopicPartition(topic, p) for p in sorted(found or [])]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    return consumer, partitions


def rebuild(settings: ReportingSettings) -> RebuildResult:
    """Drop the projections and replay every consumed topic from the beginning, in one transaction.

    Raises HistoryTrimmed, before touching anything, when a topic lost its oldest records.
    """
    started = time.monotonic()
    result = RebuildResult()
    group = consumer_group(settings)
    # Filled by the PersonErased projection as the replay writes erased_persons, which the truncate below
    # emptied and the transaction's lock keeps to this rebuild: the handlers look erasures up here, not
    # with one read per event naming a person (each read stopped the pipeline: issue 14).
    erased: set[UUID] = set()
    handlers = reporting_handlers(settings, erased)
    consumer, partitions = _reader(settings)
    mark = started

    def phase(name: str) -> None:
        nonlocal mark
        now = time.monotonic()
        result.phases[name] = round(now - mark, 2)
        mark = now

    try:
        check_full_history(consumer, partitions)
        phase("open")
        with psycopg.connect(settings.database_url, row_factory=dict_row) as conn, conn.transaction():
            db.truncate_projections(conn)
            conn.execute("DELETE FROM processed_events WHERE consumer = %s", (group,))
            # Taken after the truncate: everything the live consumer applied before is below these offsets.
            end = consumer.end_offsets(partitions)
            remaining = {tp for tp in partitions if end[tp] > 0}
            first: dict[TopicPartition, int] = {}
            while remaining:
                events: list[Event] = []
                for tp, records in consumer.poll(timeout_ms=500).items():
                    first.setdefault(tp, records[0].offset)
                    for record in records:
                        if record.offset >= end[tp]:
                            continue
                        try:
                            events.append(decode(record.value))
                        except InvalidEvent:
                            result.unreadable += 1  # the live consumer dead-lettered it too
                applied = apply_events(conn, group, handlers, events)
                result.applied += applied
                result.duplicates += len(events) - applied
                for tp in list(remaining):
                    if consumer.position(tp) >= end[tp]:
                        remaining.discard(tp)
            # Trimmed while we read (retention ran after the check): roll everything back.
            trimmed = {tp: offset for tp, offset in first.items() if offset > 0}
            if trimmed:
                raise HistoryTrimmed(trimmed)
            phase("replay")
        phase("commit")
    finally:
        consumer.close()
    # Its own phase: the close was counted in "sequence" before, and a stall there was put on the sequencer.
    phase("close")
    # Public events of source events the live consumer had not reached yet are pending now; number them
    # unless a running worker's sequencer leads (then it does so within milliseconds).
    sequencer = Sequencer(settings)
    try:
        result.sequenced = sequencer.drain()
    finally:
        sequencer.close()
    phase("sequence")
    result.seconds = round(time.monotonic() - started, 2)
    return result


def main(argv: list[str] | None = None) -> int:
    settings = ReportingSettings.from_env()
    logs.configure("reporting", settings.log_level)
    try:
        result = rebuild(settings)
    except HistoryTrimmed as exc:
        print(f"reporting: {exc}", file=sys.stderr)
        return 2
    print(f"reporting: rebuilt projections from {result.applied} events ({result.duplicates} duplicates,"
          f" {result.unreadable} unreadable) in {result.seconds}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
