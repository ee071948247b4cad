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
from collections.abc import Callable, Iterable
from typing import Any

import psycopg
from kafka import KafkaProducer

from services.common import broker, wakeup
from services.common.config import Settings
from services.common.events import Event, encode, validate_event

log = logging.getLogger(__name__)
RELAY_LOCK_ID = 0x6F7574626F78  # "outbox"; each service has its own database
CONTENT_TYPE = b"application/cloudevents+json; charset=UTF-8"
TOMBSTONE = "tombstone"  # outbox.event_type of a row without payload


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
        self._lock_conn: psycopg.Connection[Any] | None = None
        self.published = 0
        self.holds_lock = False

    # -- leadership -------------------------------------------------------
    def _acquire(self) -> bool:
        """Hold the relay lock on our own connection; False while another relay has it."""
        try:
            if self._lock_conn is None or self._lock_conn.closed:
                self._lock_conn = psycopg.connect(self.settings.database_url, autocommit=True)
                self.holds_lock = False
            if not self.holds_lock:
                row = self._lock_conn.execute("SELECT pg_try_advisory_lock(%s)", (RELAY_LOCK_ID,)).fetchone()
                self.holds_lock = bool(row and row[0])
                if self.holds_lock:
                    log.info("relay: holding the outbox lock, publishing")
            return self.holds_lock
        except psycopg.Error as exc:
            log.warning("relay: database unavailable: %s", exc)
            self._drop_lock_conn()
            return False

    def _drop_lock_conn(self) -> None:
        if self._lock_conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._lock_conn.close()
        self._lock_conn = None
        self.holds_lock = False

    # -- publishing -------------------------------------------------------
    def _ensure_producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = self._producer_factory(self.settings)
        return self._producer

    def _drop_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except Exception:  # closing a broken producer may fail; it is gone anyway
                log.debug("relay: producer close failed", exc_info=True)
        self._producer = None

    def publish_batch(self) -> int:
        """Publish one batch of unpublished rows in id order; return how many were sent.

        Rows are marked published only up to the first failure, so a retry
        resends from there in the same order.
        """
        assert self._lock_conn is not None and self.holds_lock
        rows = self._lock_conn.execute(
            "SELECT id, topic, message_key, payload FROM outbox WHERE published_at IS NULL"
            " ORDER BY id LIMIT %s", (self.settings.relay_batch_size,)).fetchall()
        if not rows:
            return 0
        producer = self._ensure_producer()
        futures = []
        for row_id, topic, key, payload in rows:
            if payload is None:  # a tombstone: null value, no headers to describe it
                futures.append((row_id, producer.send(topic, key=key.encode(), value=None)))
                continue
            event: Event = payload
            headers = [("content-type", CONTENT_TYPE), ("ce_type", event["type"].encode())]
            futures.append((row_id, producer.send(topic, key=key.encode(), value=encode(event), headers=headers)))
        producer.flush(timeout=self.settings.relay_send_timeout_ms / 1000)
        sent: list[int] = []
        failure: BaseException | None = None
        for row_id, future in futures:
            if future.succeeded():
                sent.append(row_id)
                continue
            failure = future.exception if future.is_done else TimeoutError("not acknowledged in time")
            break
        if sent:
            self._lock_conn.execute("UPDATE outbox SET published_at = now() WHERE id = ANY(%s)", (sent,))
            self.published += len(sent)
        if failure is not None:
            raise RuntimeError(f"publish failed after {len(sent)} of {len(rows)} rows: {failure}")
        return len(sent)

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
                sent = self.publish_batch()
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
