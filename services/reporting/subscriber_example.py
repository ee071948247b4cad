"""A reporting consumer that reads `progadmin.reporting.events` (or receives webhooks) and acts on each event once.

The public topic is at-least-once: reporting's outbox relay marks a record
published only after Kafka acknowledged it, so a relay that dies between the
two sends that record again after the restart (same CloudEvent `id`, same
`position`). Webhooks are at-least-once for the same kind of reason. The
CloudEvent `id` is the dedupe key (a webhook's `webhook-id` is that same id):
record it in the same transaction as the effect, and skip an id already recorded.

    python -m services.reporting.subscriber_example --db seen.sqlite3 [--group my-bi] [--bootstrap host:9092]
    WEBHOOK_SECRET=whsec_... python -m services.reporting.subscriber_example --db seen.sqlite3 --webhook-port 9000

Webhooks are verified with the `standardwebhooks` package (the Standard Webhooks
specification reporting signs by): a delivery whose signature or timestamp does
not verify is answered 401 and changes nothing.

This example keeps its state in SQLite (`seen_events` and a count per
event type); a real subscriber does the same in its own database. Offsets
are committed after the effects, so a crash re-reads a few records and
the `seen_events` check makes that harmless.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kafka import KafkaConsumer
from standardwebhooks import Webhook, WebhookVerificationError

from services.common import broker
from services.common.config import Settings

Event = dict[str, Any]
Handle = Callable[[sqlite3.Connection, Event], None]
SCHEMA = """
CREATE TABLE IF NOT EXISTS seen_events (id TEXT PRIMARY KEY, position INTEGER);
CREATE TABLE IF NOT EXISTS event_counts (event_type TEXT PRIMARY KEY, n INTEGER NOT NULL);
"""


def open_store(path: str) -> sqlite3.Connection:
    # Explicit BEGIN/COMMIT below; the webhook server's threads share it under a lock.
    store = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    store.executescript(SCHEMA)
    return store


def count_by_type(store: sqlite3.Connection, event: Event) -> None:
    """The example's effect: how many events of each type arrived (a real one updates its figures)."""
    store.execute("INSERT INTO event_counts (event_type, n) VALUES (?, 1)"
                  " ON CONFLICT (event_type) DO UPDATE SET n = n + 1", (event["type"],))


def apply_once(store: sqlite3.Connection, event: Event, handle: Handle = count_by_type) -> bool:
    """Apply `event` unless its id was seen; the id and the effect commit together. True when applied."""
    store.execute("BEGIN IMMEDIATE")
    try:
        new = store.execute("INSERT OR IGNORE INTO seen_events (id, position) VALUES (?, ?)",
                            (event["id"], event.get("position"))).rowcount == 1
        if new:
            handle(store, event)
        store.execute("COMMIT")
        return new
    except BaseException:
        store.execute("ROLLBACK")
        raise


def consume(consumer: KafkaConsumer, store: sqlite3.Connection, stop: threading.Event,
            handle: Handle = count_by_type, poll_ms: int = 500, max_records: int | None = None) -> tuple[int, int]:
    """Apply records until `stop` (or `max_records` read); commit offsets after the effects.

    Returns (applied, repeats skipped).
    """
    applied = skipped = 0
    while not stop.is_set() and (max_records is None or applied + skipped < max_records):
        batches = consumer.poll(timeout_ms=poll_ms)
        for records in batches.values():
            for record in records:
                if apply_once(store, json.loads(record.value), handle):
                    applied += 1
                else:
                    skipped += 1
        if batches:
            consumer.commit()
    return applied, skipped


def verified_event(secret: str, headers: dict[str, str], body: bytes) -> Event:
    """The delivered CloudEvent, once its Standard Webhooks signature and timestamp verify with `secret`.

    Raises WebhookVerificationError otherwise. During a secret rotation reporting signs with the new and the
    previous secret, so whichever of the two this receiver holds verifies.
    """
    event: Event = Webhook(secret).verify(body, headers)
    return event


def webhook_server(store: sqlite3.Connection, secret: str, port: int, host: str = "127.0.0.1",
                   handle: Handle = count_by_type) -> ThreadingHTTPServer:
    """An HTTP endpoint for reporting's webhooks: verify, apply once, answer 204 (401 when not genuine)."""
    lock = threading.Lock()  # one SQLite connection shared by the server's threads

    class Receive(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                event = verified_event(secret, dict(self.headers.items()), body)
            except WebhookVerificationError:
                self.send_response(401)
            else:
                with lock:
                    apply_once(store, event, handle)
                self.send_response(204)  # a repeat is acknowledged too: it was applied before
            self.end_headers()

    return ThreadingHTTPServer((host, port), Receive)


def main(argv: list[str] | None = None) -> int:
    settings = Settings.from_env("reporting")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default=settings.kafka_bootstrap)
    parser.add_argument("--topic", default=settings.topic("reporting"))
    parser.add_argument("--group", default="example-subscriber")
    parser.add_argument("--db", default="subscriber-example.sqlite3")
    parser.add_argument("--max-records", type=int, default=None, help="stop after reading this many records")
    parser.add_argument("--webhook-port", type=int, default=None,
                        help="receive webhooks on this port instead (secret in WEBHOOK_SECRET)")
    args = parser.parse_args(argv)
    store = open_store(args.db)
    if args.webhook_port is not None:
        server = webhook_server(store, os.environ["WEBHOOK_SECRET"], args.webhook_port)
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
        return 0
    # TLS/SASL from PROGADMIN_KAFKA_* like every client of the platform (broker.client_config).
    security = broker.client_config(settings.with_(kafka_bootstrap=args.bootstrap))
    consumer = KafkaConsumer(args.topic, **security, group_id=args.group,
                             enable_auto_commit=False, auto_offset_reset="earliest")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        applied, skipped = consume(consumer, store, stop, max_records=args.max_records)
    finally:
        consumer.close()
    print(f"applied {applied} events, skipped {skipped} repeats")
    for event_type, n in store.execute("SELECT event_type, n FROM event_counts ORDER BY event_type"):
        print(f"{n:8d}  {event_type}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
