"""A real SMTP server (aiosmtpd) and a notifications service wired to a ManualClock."""

from __future__ import annotations

import email
import email.policy
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from kafka import KafkaProducer
from psycopg_pool import ConnectionPool

from deploy.infra import free_port
from services.common import broker
from services.common.config import Settings
from services.common.consumer import EventConsumer
from services.common.db import open_pool
from services.common.events import encode, new_event, validate_event
from services.common.worker import consumer_group, run_worker
from services.notifications.app import create_app
from services.notifications.clock import ManualClock
from services.notifications.handlers import handlers
from services.notifications.mailer import SmtpTransport
from services.notifications.sender import Sender
from services.notifications.smtp_sink import MailStore, start_smtp
from tests.conftest import Platform
from tests.support import wait_until

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday morning
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command


class SmtpServer:
    """aiosmtpd on a fixed free port; can be stopped and started again (SMTP down, then up)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.store = MailStore()
        self._controller: Controller | None = None

    def start(self, **options: Any) -> None:
        """Start (again) on the same port; `options` go to aiosmtpd (e.g. an authenticator)."""
        if self._controller is None:
            self._controller = start_smtp(self.store, "127.0.0.1", self.port, **options)

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[EmailMessage]:
        return self.store.messages()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages() if address in str(m["To"])]

    def kinds(self, address: str | None = None) -> list[str]:
        return [str(m["X-Progadmin-Kind"]) for m in (self.to(address) if address else self.messages())]


@dataclass
class Notifier:
    """The service under test: its consumer's apply(), its sender, its app, one clock."""

    settings: Settings
    pool: ConnectionPool
    clock: ManualClock
    consumer: EventConsumer
    sender: Sender
    _app: Flask | None = field(default=None)
    # Kafka mode: events go through the real topics and the worker's consumer.
    producer: KafkaProducer | None = None
    pending: list[str] = field(default_factory=list)

    def feed(self, service: str, name: str, subject: str, data: dict[str, Any], **kw: Any) -> dict[str, Any]:
        """Build an event as its producer would (validated against the contract) and apply or publish it."""
        event = new_event(service, name, subject, data, **kw)
        validate_event(event)
        if self.producer is None:
            self.consumer.apply(event)
        else:
            self.producer.send(self.settings.topic(service), key=subject.encode(), value=encode(event))
            self.pending.append(event["id"])
        return event

    def settle(self, timeout: float = 60) -> None:
        """Kafka mode: wait until the worker's consumer has applied everything published."""
        if self.producer is None or not self.pending:
            return
        self.producer.flush(10)
        ids = sorted(set(self.pending))  # a resent event counts once
        wait_until(lambda: self.rows("SELECT count(*) AS n FROM processed_events WHERE event_id = ANY(%s)",
                                     (ids,))[0]["n"] == len(ids), timeout, what=f"{len(ids)} events applied")
        self.pending.clear()

    def send(self) -> int:
        self.settle()
        return self.sender.run_once()

    def rows(self, sql: str = "SELECT * FROM deliveries ORDER BY created_at, id", args: Any = ()) -> list[Any]:
        with self.pool.connection() as conn:
            return conn.execute(sql, args).fetchall()

    def outbox_types(self) -> list[str]:
        return [r["event_type"] for r in self.rows("SELECT event_type FROM outbox ORDER BY id")]

    @property
    def app(self) -> Flask:
        if self._app is None:
            self._app = create_app(self.settings, self.clock)
        return self._app

    def close(self) -> None:
        """Close the pools: the app's, if a test used it, and the consumer's and sender's."""
        if self._app is not None:
            self._app.config["POOL"].close()
        if isinstance(self.sender.transport, SmtpTransport):
            self.sender.transport.close()  # QUIT its kept session
        self.pool.close()


def make_notifier(platform: Platform, smtp: SmtpServer, **overrides: Any) -> Notifier:
    settings = platform.settings("notifications", **{
        "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "mail_retry_base_seconds": 60, "mail_max_attempts": 3,
        **overrides})
    pool = open_pool(settings)
    pool.wait()
    clock = ManualClock(START)
    topics = [settings.topic("enrolment"), settings.topic("sessions")]
    consumer = EventConsumer(settings, pool, consumer_group(settings), topics, handlers(settings, clock))
    return Notifier(settings, pool, clock, consumer, Sender(settings, pool, clock))


@pytest.fixture
def kafka_notifier(platform: Platform, smtp: SmtpServer) -> Iterator[Notifier]:
    """The notifier with the real worker (relay + consumer) on real Kafka topics; the sender runs on demand."""
    n = make_notifier(platform, smtp)
    platform.create_topics()
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(n.settings, ["enrolment", "sessions"],
                                                       handlers(n.settings, n.clock), stop, False), daemon=True)
    worker.start()
    n.producer = broker.producer(n.settings)
    try:
        yield n
    finally:
        stop.set()
        worker.join(timeout=30)
        n.producer.close(timeout=5)
        n.close()


# `smtp` and `notifier` (on PostgreSQL only) are in tests/integration/conftest.py: cross-service tests use them too.


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)
