"""Idempotent consumer loop with bounded retries and a dead-letter topic.

For each polled batch, in partition order:
1. decode the CloudEvents; a malformed one goes straight to the DLQ;
2. in one database transaction, claim every event's `(consumer, source, id)`
   in `processed_events` with one statement, and apply the handler's effect
   of each event claimed now; a claim that already exists means the event
   was applied before (redelivery): skip it;
3. after the transaction commits, commit the Kafka offsets (offset + 1).

A crash between 2 and 3 redelivers the record, and step 2 makes that
harmless. A record with a null value is a tombstone (a deletion on a
compacted topic, such as the contacts topic after an erasure): it goes to
the handler registered under `tombstone_handler_key(topic)`, or is skipped,
and never to the DLQ. Tombstone handlers delete, so a redelivery repeats a
delete: no claim in `processed_events` is needed. A handler that keeps failing is retried `consumer_max_attempts`
times with backoff, then the record goes to `<topic>.dlq` with the error
and its origin in headers, and the consumer moves on.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import psycopg
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.structs import OffsetAndMetadata
from psycopg.rows import tuple_row
from psycopg_pool import ConnectionPool, PoolTimeout

from services.common import broker
from services.common.config import Settings
from services.common.contacts import tombstone_handler_key
from services.common.context import caused_by
from services.common.events import Event, InvalidEvent, decode

log = logging.getLogger(__name__)

Handler = Callable[[psycopg.Connection[Any], Event], None]


class _NeedsCare(Exception):
    """The fast path met a record it cannot apply as is."""


def claim(conn: psycopg.Connection[Any], consumer: str, events: list[Event]) -> set[tuple[str, str]]:
    """Claim `events` for `consumer` in one statement; return the (source, id) of those claimed now.

    One round trip for a whole batch instead of one per event (issue 14: the
    per-event claim was a third of a rebuild's round trips). An event claimed
    before, or twice in `events`, is claimed once: ON CONFLICT DO NOTHING
    also skips a row inserted earlier by the same statement.
    """
    if not events:
        return set()
    with conn.cursor(row_factory=tuple_row) as cur:
        cur.execute(
            "INSERT INTO processed_events (consumer, event_source, event_id, event_type)"
            " SELECT %s, s, i, t FROM unnest(%s::text[], %s::text[], %s::text[]) AS e(s, i, t)"
            " ON CONFLICT DO NOTHING RETURNING event_source, event_id",
            (consumer, [e["source"] for e in events], [e["id"] for e in events], [e["type"] for e in events]))
        return {(source, id_) for source, id_ in cur.fetchall()}


class EventConsumer:
    """Consumes `topics` in group `group_id`, dispatching by event type."""

    def __init__(self, settings: Settings, pool: ConnectionPool, group_id: str, topics: list[str],
                 handlers: dict[str, Handler]) -> None:
        self.settings = settings
        self.pool = pool
        self.group_id = group_id
        self.topics = topics
        self.handlers = handlers
        self._consumer: KafkaConsumer | None = None
        self._dlq: KafkaProducer | None = None
        self.applied = 0
        self.skipped = 0
        self.dead_lettered = 0

    # -- one record ---------------------------------------------------------
    def apply(self, event: Event) -> bool:
        """Apply one event exactly once in its own transaction; False when it had been applied already."""
        with self.pool.connection() as conn, conn.transaction():
            return self._apply_in(conn, event)

    def _apply_in(self, conn: psycopg.Connection[Any], event: Event) -> bool:
        claimed = conn.execute(
            "INSERT INTO processed_events (consumer, event_source, event_id, event_type)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (self.group_id, event["source"], event["id"], event["type"]),
        ).rowcount
        if not claimed:
            return False
        self._handle(conn, event)
        return True

    def _handle(self, conn: psycopg.Connection[Any], event: Event) -> None:
        """The effect of a claimed event."""
        # Unknown types are recorded as processed too: a consumer ignores
        # what it does not need, and a later version of it will not
        # mistake them for unseen events.
        handler = self.handlers.get(event["type"])
        if handler is not None:
            with caused_by(event.get("correlationid"), event["id"]):
                handler(conn, event)

    def _tombstone(self, conn: psycopg.Connection[Any], record: ConsumerRecord) -> str:
        """A deletion on a compacted topic: the topic's tombstone handler removes the key's data here.

        A failing tombstone handler is not dead-lettered: the erasure it carries
        must not be skipped, so the batch rolls back and is tried again.
        """
        topic = record.topic
        if self.settings.topic_prefix and topic.startswith(self.settings.topic_prefix):
            topic = topic[len(self.settings.topic_prefix):]
        handler = self.handlers.get(tombstone_handler_key(topic))
        if handler is None or record.key is None:
            return "skipped"
        key = record.key.decode() if isinstance(record.key, bytes) else str(record.key)
        handler(conn, {"type": tombstone_handler_key(topic), "subject": key, "data": None})
        return "applied"

    def _apply_fast(self, records: list[ConsumerRecord]) -> list[str]:
        """The common case: well-formed events whose handlers succeed, in one transaction, no savepoints.

        Every event of the batch is claimed with one statement, then the
        claimed ones are applied in order. Anything unusual (a malformed
        record, a failing handler or tombstone handler) raises _NeedsCare: the
        transaction rolls back, claims included, and `_process` takes over.
        """
        events: list[Event | None] = []
        for record in records:
            if record.value is None:
                events.append(None)
                continue
            try:
                events.append(decode(record.value))
            except InvalidEvent as exc:
                raise _NeedsCare from exc
        with self.pool.connection() as conn, conn.transaction():
            try:
                claimed = claim(conn, self.group_id, [e for e in events if e is not None])
            except (psycopg.OperationalError, PoolTimeout):
                raise
            except psycopg.Error as exc:  # refused for one record's sake (a NUL in an id): find it one by one
                raise _NeedsCare from exc
            outcomes: list[str] = []
            for record, event in zip(records, events, strict=True):
                try:
                    if event is None:
                        outcomes.append(self._tombstone(conn, record))
                    elif (event["source"], event["id"]) in claimed:
                        claimed.discard((event["source"], event["id"]))  # a second copy in the batch is a duplicate
                        self._handle(conn, event)
                        outcomes.append("applied")
                    else:
                        outcomes.append("skipped")
                except (psycopg.OperationalError, PoolTimeout):
                    raise
                except Exception as exc:
                    raise _NeedsCare from exc
            return outcomes

    def _process(self, conn: psycopg.Connection[Any], record: ConsumerRecord) -> str:
        """Apply one record inside the batch's transaction: 'applied', 'skipped' or 'dead'."""
        if record.value is None:
            with conn.transaction():
                return self._tombstone(conn, record)  # an error propagates: retried, never dead-lettered
        try:
            event = decode(record.value)
        except InvalidEvent as exc:
            self._dead_letter(record, exc, attempts=1)
            return "dead"
        delay = self.settings.consumer_retry_backoff_ms / 1000
        for attempt in range(1, self.settings.consumer_max_attempts + 1):
            try:
                # A savepoint per attempt: a failed attempt leaves no trace,
                # and the records before it in the batch stay applied.
                with conn.transaction():
                    return "applied" if self._apply_in(conn, event) else "skipped"
            except (psycopg.OperationalError, PoolTimeout):
                raise  # infrastructure, not a poison message: the loop retries
            except Exception as exc:
                if attempt == self.settings.consumer_max_attempts:
                    self._dead_letter(record, exc, attempts=attempt)
                    return "dead"
                log.warning("consumer %s: %s failed (attempt %d): %s", self.group_id, event.get("id"), attempt, exc)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
        return "dead"  # unreachable: the last attempt returns or dead-letters

    def _dead_letter(self, record: ConsumerRecord, exc: BaseException, attempts: int) -> None:
        """Park the record on the DLQ; wait for the ack so it cannot be lost."""
        if self._dlq is None:
            self._dlq = broker.producer(self.settings)
        headers = list(record.headers or []) + [
            ("dlq.error", f"{type(exc).__name__}: {exc}"[:2000].encode()),
            ("dlq.stacktrace", "".join(traceback.format_exception(exc))[-4000:].encode()),
            ("dlq.origin.topic", record.topic.encode()),
            ("dlq.origin.partition", str(record.partition).encode()),
            ("dlq.origin.offset", str(record.offset).encode()),
            ("dlq.consumer", self.group_id.encode()),
            ("dlq.attempts", str(attempts).encode()),
        ]
        self._dlq.send(self.settings.dlq_topic(record.topic), key=record.key, value=record.value,
                       headers=headers).get(timeout=30)
        self.dead_lettered += 1
        log.error("consumer %s: %s[%d]@%d dead-lettered: %s", self.group_id, record.topic, record.partition,
                  record.offset, exc)

    # -- the loop -----------------------------------------------------------
    def _commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        assert self._consumer is not None
        self._consumer.commit(offsets)

    def poll_once(self) -> int:
        """Poll one batch, apply it in one transaction, then commit its offsets; return records seen.

        One transaction per batch makes the per-event cost a row insert
        rather than a commit, and one claim statement per batch makes it the
        handler's statements alone. The batch is first applied straight through;
        only if a record is malformed or its handler fails is it rolled back
        and applied again with a savepoint per record. A handler's own
        failures are dealt with in `_process` (retries, then the DLQ);
        anything that escapes it is infrastructure (database down, DLQ not
        writable). Then the whole batch rolls back, the consumer seeks back to
        its first record in every partition, and the error propagates, so the
        loop backs off and tries again: nothing is skipped.
        """
        if self._consumer is None:
            self._consumer = broker.consumer(self.settings, self.group_id, self.topics)
        batches = self._consumer.poll(timeout_ms=self.settings.consumer_poll_ms)
        if not batches:
            return 0
        try:
            try:
                outcomes = self._apply_fast([record for records in batches.values() for record in records])
            except _NeedsCare:
                # Something in the batch is malformed or failing: roll it all
                # back and go again record by record, with savepoints,
                # retries and the DLQ.
                outcomes = self._apply_batch(batches, self._process)
        except Exception:
            for tp, records in batches.items():
                self._consumer.seek(tp, records[0].offset)
            raise
        self.applied += outcomes.count("applied")
        self.skipped += outcomes.count("skipped")
        # The effects are durable now; the offsets may follow.
        self._commit({tp: OffsetAndMetadata(records[-1].offset + 1, "", -1) for tp, records in batches.items()})
        return len(outcomes)

    def _apply_batch(self, batches: dict[TopicPartition, list[ConsumerRecord]],
                     process: Callable[[psycopg.Connection[Any], ConsumerRecord], str]) -> list[str]:
        with self.pool.connection() as conn, conn.transaction():
            return [process(conn, record) for records in batches.values() for record in records]

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.poll_once()
            except Exception as exc:  # broker or DB unavailable: back off and carry on
                log.warning("consumer %s: %s; retrying", self.group_id, exc)
                stop.wait(1.0)
        self.close()

    def close(self) -> None:
        if self._consumer is not None:
            try:
                self._consumer.close(autocommit=False)
            except Exception:
                log.debug("consumer close failed", exc_info=True)
            self._consumer = None
        if self._dlq is not None:
            self._dlq.close(timeout=5)
            self._dlq = None
