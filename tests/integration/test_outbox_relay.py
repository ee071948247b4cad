"""The outbox relay against real PostgreSQL and a real Kafka broker."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from deploy.infra import KafkaBroker, free_port
from services.common import broker
from services.common.config import Settings
from services.common.events import new_event
from services.common.outbox import Outbox, Relay
from tests.conftest import Platform
from tests.support import read_topic, wait_until

pytestmark = pytest.mark.integration


def write_events(settings: Settings, count: int, subjects: int, start: int = 0) -> list[dict]:
    """Commit `count` CompanyRegistered events, one transaction each, round-robin over subjects."""
    outbox = Outbox(settings)
    written = []
    with psycopg.connect(settings.database_url) as conn:
        for i in range(start, start + count):
            subject = f"00000000-0000-4000-8000-{i % subjects:012d}"
            event = new_event("enrolment", "CompanyRegistered", subject, {
                "company_id": subject, "name": f"Bedrijf {i}", "kvk_number": f"{i:08d}", "region": "Noord"})
            with conn.transaction():
                outbox.add(conn, [event])
            written.append(event)
    return written


def unpublished(settings: Settings) -> int:
    with psycopg.connect(settings.database_url) as conn:
        row = conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()
        return int(row[0]) if row else -1


def run_relay(relay: Relay) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    return thread, stop


def test_relay_publishes_every_row_once_in_order_per_key(platform: Platform) -> None:
    settings = platform.settings("enrolment")
    platform.create_topics()
    written = write_events(settings, 300, subjects=7)

    relay = Relay(settings)
    thread, stop = run_relay(relay)
    wait_until(lambda: unpublished(settings) == 0, what="outbox drained")
    stop.set()
    thread.join(10)

    records = read_topic(settings, settings.topic("enrolment"), at_least=300)
    assert len(records) == 300
    by_key: dict[str, list[str]] = defaultdict(list)
    for record in records:
        event = json.loads(record.value)
        assert record.key.decode() == event["subject"]
        assert dict(record.headers)["ce_type"] == b"progadmin.enrolment.CompanyRegistered.v1"
        by_key[event["subject"]].append(event["id"])
    expected: dict[str, list[str]] = defaultdict(list)
    for event in written:
        expected[event["subject"]].append(event["id"])
    assert by_key == expected  # same events, same order within every key


@pytest.fixture
def private_kafka(workdir: Path) -> Iterator[KafkaBroker]:
    """A broker of this test's own, so stopping it disturbs no other test."""
    node = KafkaBroker(workdir / f"kafka-private-{free_port()}", free_port(), free_port(),
                       min_session_timeout_ms=500, default_partitions=3)
    node.start()
    try:
        yield node
    finally:
        node.stop()


def test_writes_succeed_while_kafka_is_down_and_nothing_is_lost(platform: Platform,
                                                                 private_kafka: KafkaBroker) -> None:
    settings = platform.settings("enrolment", kafka_bootstrap=private_kafka.bootstrap)
    broker.ensure_topics(settings, [settings.topic("enrolment")])
    relay = Relay(settings)
    thread, stop = run_relay(relay)
    try:
        before = write_events(settings, 20, subjects=3)
        wait_until(lambda: unpublished(settings) == 0, what="first events published")

        private_kafka.kill()
        during = write_events(settings, 50, subjects=3, start=20)  # the API side keeps working
        assert unpublished(settings) == 50
        wait_until(lambda: relay._producer is None, timeout=60, what="relay noticing Kafka is down")
        assert unpublished(settings) == 50  # waiting in the outbox, not dropped

        private_kafka.start()
        wait_until(lambda: unpublished(settings) == 0, timeout=90, what="outbox drained after Kafka returned")
    finally:
        stop.set()
        thread.join(15)

    records = read_topic(settings, settings.topic("enrolment"), at_least=70)
    ids = [json.loads(r.value)["id"] for r in records]
    assert set(ids) == {e["id"] for e in before + during}  # none lost
    # A resend after a lost acknowledgement is allowed (consumers dedupe), but
    # per key the first appearances keep the write order.
    first_seen: dict[str, list[str]] = defaultdict(list)
    seen: set[str] = set()
    for r in records:
        event = json.loads(r.value)
        if event["id"] not in seen:
            seen.add(event["id"])
            first_seen[event["subject"]].append(event["id"])
    expected: dict[str, list[str]] = defaultdict(list)
    for e in before + during:
        expected[e["subject"]].append(e["id"])
    assert first_seen == expected


def test_only_one_of_two_relays_publishes_and_the_other_takes_over(platform: Platform) -> None:
    settings = platform.settings("enrolment")
    platform.create_topics()
    first, second = Relay(settings), Relay(settings)
    t1, stop1 = run_relay(first)
    wait_until(lambda: first.holds_lock, what="first relay holding the lock")
    t2, stop2 = run_relay(second)
    try:
        write_events(settings, 100, subjects=5)
        wait_until(lambda: unpublished(settings) == 0, what="outbox drained")
        assert (first.published, second.published) == (100, 0)
        assert not second.holds_lock

        stop1.set()  # the leader goes away; its lock goes with its connection
        t1.join(10)
        write_events(settings, 10, subjects=5, start=100)
        wait_until(lambda: unpublished(settings) == 0, timeout=30, what="standby taking over")
        assert second.published == 10
    finally:
        stop1.set()
        stop2.set()
        t1.join(10)
        t2.join(10)
    records = read_topic(settings, settings.topic("enrolment"), at_least=110)
    assert len(records) == 110  # nothing published twice
