"""Transactional outbox and its relay.

A use case calls `Outbox.add(conn, events)` inside the transaction that
changes its state, so the events exist exactly when the change does. The
relay publishes unpublished rows in id order with an idempotent, acks=all
producer and marks them published. Only one relay per service publishes at a
time: it holds a session-level advisory lock on a connection of its own,
and a standby takes over when that connection (or its process) dies.

Kafka down means rows wait in the outbox: the API keeps working, nothing is
lost. A crash between publishing and marking means a row is sent again;
consumers dedupe on the event id, so that costs nothing but a message.

`Outbox.add_record` writes a record for another topic (enrolment's compacted
contacts topic) in the same transaction; a row without payload is a
tombstone, which the relay sends with a null value.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import psycopg
from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError
from kafka.partitioner.default import murmur2

from services.common import broker, wakeup
from services.common.config import Settings
from services.common.events import Event, validate_event
from services.common.leader_lock import LeaderLock

log = logging.getLogger(__name__)
RELAY_LOCK_ID = 0x6F7574626F78  # "outbox"; each service has its own database
CONTENT_TYPE = b"application/cloudevents+json; charset=UTF-8"
TOMBSTONE = "tombstone"  # outbox.event_type of a row without payload
_Batch = tuple[list[int], list[Any]]  # a sent batch: its row ids and their futures, in id order


class Outbox:
    """Writes a service's events into its outbox table."""

    def __init__(self, settings: Settings) -> None:
        self.topic = settings.topic(settings.service)

    def add(self, conn: psycopg.Connection[Any], events: Iterable[Event]) -> None:
        """Insert events in order; call inside the use case's transaction."""
        rows = []
        for event in events:
            validate_event(event)
            rows.append((event["id"], self.topic, event["subject"], event["type"], json.dumps(event)))
        insert = "INSERT INTO outbox (event_id, topic, message_key, event_type, payload) VALUES (%s, %s, %s, %s, %s)"
        if len(rows) == 1:  # most use cases: executemany's pipeline costs a fifth more than one statement
            conn.execute(insert, rows[0])
        elif rows:
            with conn.cursor() as cur:
                cur.executemany(insert, rows)

    def add_record(self, conn: psycopg.Connection[Any], topic: str, key: str, event: Event | None) -> None:
        """One record for another topic (the compacted contacts topic), in the caller's transaction.

        `event` None is a tombstone: a record with a null value, which makes log
        compaction delete every earlier record with the same key.
        """
        row: tuple[str, str, str, str, str | None]
        if event is not None:
            validate_event(event)
            row = (event["id"], topic, key, event["type"], json.dumps(event))
        else:
            row = (str(uuid.uuid4()), topic, key, TOMBSTONE, None)
        conn.execute("INSERT INTO outbox (event_id, topic, message_key, event_type, payload)"
                     " VALUES (%s, %s, %s, %s, %s)", row)


class Relay:
    """Publishes outbox rows to Kafka; run one per service (more are standbys)."""

    def __init__(self, settings: Settings,
                 producer_factory: Callable[[Settings], KafkaProducer] = broker.producer) -> None:
        self.settings = settings
        self._producer_factory = producer_factory
        self._producer: KafkaProducer | None = None
        self._leader = LeaderLock(settings.database_url, RELAY_LOCK_ID, "relay", "holding the outbox lock, publishing")
        self.published = 0
        self._partitions: dict[str, list[int]] = {}
        self._hashes: dict[bytes, int] = {}

    # -- leadership -------------------------------------------------------
    @property
    def holds_lock(self) -> bool:
        return self._leader.held

    @property
    def _lock_conn(self) -> psycopg.Connection[Any] | None:
        return self._leader.conn

    def _acquire(self) -> bool:
        """Hold the relay lock on our own connection; False while another relay has it."""
        return self._leader.acquire()

    def _drop_lock_conn(self) -> None:
        self._leader.release()

    def _ensure_producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = self._producer_factory(self.settings)
        return self._producer

    def _drop_producer(self) -> None:
        if self._producer is not None:
            try:
                # No grace: after a failure, anything it still holds is resent from the outbox in id order;
                # letting it flush would send later records of a failed one's key ahead of its retry.
                self._producer.close(timeout=0)
            except Exception:  # closing a broken producer may fail; it is gone anyway
                log.debug("relay: producer close failed", exc_info=True)
        self._producer = None

    _UNPUBLISHED = ("SELECT id, topic, message_key, event_type, payload::text FROM outbox WHERE published_at IS NULL"
                    " AND id > %s ORDER BY id LIMIT %s")
    _MARK = "UPDATE outbox SET published_at = now() WHERE id = ANY(%s)"
    # Batches handed to the producer before the oldest one's acks are waited for (issue 14: waiting for
    # each batch's acks before sending the next held the relay at 0.63 of a bare producer).
    batches_in_flight = 4

    def _partition(self, producer: KafkaProducer, topic: str, key: bytes) -> int:
        """The partition kafka-python's default partitioner picks for `key`, its hash computed once per key.

        murmur2 is pure Python and was a tenth of the relay's `send`; outbox keys (a company's, a
        session's id) repeat, so the hash is kept. The partition list is read once per `publish`,
        so a topic that gained partitions is seen at the next one, as the default partitioner would.
        """
        partitions = self._partitions.get(topic)
        if partitions is None:
            partitions = self._partitions[topic] = sorted(producer.partitions_for(topic))
        hashed = self._hashes.get(key)
        if hashed is None:
            if len(self._hashes) > 100_000:  # bounded: keys are unbounded over a relay's life
                self._hashes.clear()
            hashed = self._hashes[key] = murmur2(key) & 0x7FFFFFFF
        return partitions[hashed % len(partitions)]

    def _send(self, rows: list[tuple[Any, ...]]) -> _Batch:
        """Hand rows to the producer; the payload goes out as stored (jsonb's text: the same CloudEvent).

        Sending the stored text spares parsing each row into a dict and encoding it again (issue 14:
        both were a tenth of the relay's time); consumers parse the JSON, its layout is nobody's concern.
        """
        producer = self._ensure_producer()
        send = producer.send
        futures = []
        for _row_id, topic, key, event_type, payload in rows:
            key_bytes = key.encode()
            partition = self._partition(producer, topic, key_bytes)
            if payload is None:  # a tombstone: null value, no headers to describe it
                futures.append(send(topic, key=key_bytes, value=None, partition=partition))
                continue
            headers = [("content-type", CONTENT_TYPE), ("ce_type", event_type.encode())]
            futures.append(send(topic, key=key_bytes, value=payload.encode(), headers=headers, partition=partition))
        return [row[0] for row in rows], futures

    def _acked(self, batch: _Batch) -> tuple[list[int], BaseException | None]:
        """Wait for a sent batch's acks: the ids acked before its first failure, in order, and that failure."""
        ids, futures = batch
        deadline = time.monotonic() + self.settings.relay_send_timeout_ms / 1000 + 5  # the producer fails it first
        for n, future in enumerate(futures):
            if not future.is_done:
                with contextlib.suppress(Exception):  # a failure shows in the future itself, just below
                    future.get(timeout=max(0.0, deadline - time.monotonic()))
            if not future.succeeded():
                return ids[:n], future.exception if future.is_done else TimeoutError("not acknowledged in time")
        return ids, None

    def publish(self, stop: threading.Event | None = None) -> int:
        """Publish unpublished rows in id order until none are left (or `stop`); return how many.

        Up to `batches_in_flight` batches are in the producer at once: the
        relay reads and sends the next batch while Kafka acknowledges the
        ones before it, and waits only when the window is full or nothing is
        left to read. Each key keeps its order: records go into the producer
        in id order, and the idempotent producer keeps one batch per
        partition in flight and retries it before anything after it
        (kafka-python mutes a partition while its batch is in flight when
        idempotence is on, whatever max_in_flight_requests_per_connection).
        Rows are marked published only after their own acks, batch by batch
        in id order, in the same pipeline as the next read. On a failure the
        rows acked before it are marked, nothing after it is marked, the
        producer (and whatever it still holds) is dropped and the error is
        raised: the retry resends from the first unacknowledged row, and a
        row acked after the failure is sent twice, which consumers dedupe.
        Per-key order holds while sends succeed; after a record fails for
        good, a later record of its key that the producer had already sent
        can be acked before the failed one's retry (kafka-python moves on
        under a new epoch). Closing without grace keeps that window to what
        was already on the wire.
        """
        conn = self._lock_conn
        assert conn is not None and self.holds_lock
        self._partitions = {}  # refreshed once per call: see _partition
        size = self.settings.relay_batch_size
        total = 0
        in_flight: deque[_Batch] = deque()
        rows = conn.execute(self._UNPUBLISHED, (0, size)).fetchall()
        flushed = False
        try:
            while rows or in_flight:
                if stop is not None and stop.is_set():
                    rows = []
                if not rows and in_flight and not flushed:  # the last batches: no linger before they go
                    with contextlib.suppress(KafkaTimeoutError):  # what is not acked in time shows in its future
                        self._ensure_producer().flush(timeout=self.settings.relay_send_timeout_ms / 1000)
                    flushed = True
                acked: list[int] = []
                while in_flight and (not rows or len(in_flight) >= self.batches_in_flight
                                     or all(f.is_done for f in in_flight[0][1])):
                    ids, failure = self._acked(in_flight[0])
                    acked.extend(ids)
                    if failure is not None:
                        if acked:
                            conn.execute(self._MARK, (acked,))
                            self.published += len(acked)
                        raise RuntimeError(f"publish failed after {total + len(acked)} rows: {failure}")
                    in_flight.popleft()
                    if rows and len(in_flight) < self.batches_in_flight:
                        break  # room again: send the next batch before waiting for more acks
                with conn.pipeline():
                    if acked:
                        conn.execute(self._MARK, (acked,))
                    following = None
                    if rows:
                        following = conn.execute(self._UNPUBLISHED, (rows[-1][0], size))
                        in_flight.append(self._send(rows))  # meanwhile the database marks and reads
                        flushed = False
                    rows = following.fetchall() if following is not None else []
                self.published += len(acked)
                total += len(acked)
        except BaseException:
            if in_flight:  # sent, not known to be acknowledged: dropped with the producer, resent from the outbox
                self._drop_producer()
            raise
        return total

    def purge_published(self, older_than_days: int = 7) -> int:
        """Published rows are history; Kafka holds the events from then on."""
        if self._lock_conn is None:
            return 0
        cur = self._lock_conn.execute(
            "DELETE FROM outbox WHERE published_at < now() - make_interval(days => %s)", (older_than_days,))
        return cur.rowcount

    def run(self, stop: threading.Event) -> None:
        """Publish until `stop` is set, backing off while Kafka or the database is down.

        An empty outbox is waited on with LISTEN (the outbox trigger
        notifies on commit), so a new row is published at once instead of
        after the rest of a poll interval; the interval remains the fallback.
        """
        poll = self.settings.relay_poll_ms / 1000
        backoff = poll
        last_purge = time.monotonic()
        listening: psycopg.Connection[Any] | None = None
        while not stop.is_set():
            if not self._acquire():
                stop.wait(max(poll, 0.5))
                continue
            try:
                if listening is not self._lock_conn:  # a new connection: listen before the next look
                    assert self._lock_conn is not None
                    wakeup.listen(self._lock_conn, wakeup.OUTBOX)
                    listening = self._lock_conn
                sent = self.publish(stop)
                backoff = poll
            except psycopg.Error as exc:
                log.warning("relay: database error, reconnecting: %s", exc)
                self._drop_lock_conn()
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            except Exception as exc:  # Kafka unavailable or refusing: keep rows, retry later
                log.warning("relay: cannot publish yet (%s); retrying in %.1fs", exc, backoff)
                self._drop_producer()
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if time.monotonic() - last_purge > 3600:
                self.purge_published()
                last_purge = time.monotonic()
            if sent == 0:
                try:
                    wakeup.wait(self._lock_conn, poll, stop)  # type: ignore[arg-type]  # held: checked above
                except psycopg.Error as exc:
                    log.warning("relay: database error while waiting, reconnecting: %s", exc)
                    self._drop_lock_conn()
        self.close()

    def close(self) -> None:
        self._drop_producer()
        self._drop_lock_conn()
