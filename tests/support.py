"""Small helpers the tests share."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask
from flask.testing import FlaskClient
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from services.common import broker
from services.common.auth import mint
from services.common.config import Settings
from services.common.events import encode

T = TypeVar("T")


def wait_until(probe: Callable[[], T], timeout: float = 30, interval: float = 0.05, what: str = "condition") -> T:
    """Return the first truthy result of `probe`, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def read_topic(settings: Settings, topic: str, *, at_least: int, timeout: float = 30,
               settle: float = 0.5) -> list[ConsumerRecord]:
    """Read a topic from the beginning (no group) until `at_least` records, then `settle` more seconds."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False,
                             auto_offset_reset="earliest", group_id=None)
    try:
        partitions = wait_until(lambda: consumer.partitions_for_topic(topic), timeout, what=f"topic {topic}")
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout
        settle_until: float | None = None
        while time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=100).values():
                records.extend(batch)
            if len(records) >= at_least:
                settle_until = settle_until or time.monotonic() + settle
                if time.monotonic() >= settle_until:
                    break
        return records
    finally:
        consumer.close()


def publish_events(settings: Settings, events: list[dict[str, Any]]) -> None:
    """Send events to their producers' topics keyed by subject, as the relays would, and wait for the broker."""
    producer = broker.producer(settings)
    try:
        for event in events:
            service = event["source"].rsplit("/", 1)[-1]  # /progadmin/<service>
            producer.send(settings.topic(service), key=event["subject"].encode(), value=encode(event))
        producer.flush(10)
    finally:
        producer.close()


def bearer(settings: Settings, *roles: str, regions: list[str] | None = None, sub: str = "tester") -> dict[str, Any]:
    return {"Authorization": f"Bearer {mint(settings, sub, list(roles), regions or [])}"}


@dataclass
class AppClient:
    """A service's Flask app with a test client; `settings` are the app's own (for tokens it accepts)."""

    app: Flask
    client: FlaskClient

    @property
    def settings(self) -> Settings:
        settings: Settings = self.app.config["SETTINGS"]
        return settings
