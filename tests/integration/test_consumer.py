"""The idempotent consumer loop against real PostgreSQL and Kafka."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from typing import Any

import psycopg
import pytest
from kafka import KafkaProducer

from services.common.config import Settings
from services.common.consumer import EventConsumer
from services.common.db import open_pool
from services.common.events import Event, encode, new_event
from tests.conftest import Platform
from tests.integration.crashing_consumer import count_effect
from tests.support import read_topic, wait_until

pytestmark = pytest.mark.integration
REGISTERED = "progadmin.enrolment.CompanyRegistered.v1"


def registered(i: int) -> Event:
    company = str(uuid.uuid4())
    return new_event("enrolment", "CompanyRegistered", company,
                     {"company_id": company, "name": f"Bedrijf {i}", "kvk_number": f"{i:08d}", "region": "Zuid"})


def produce(settings: Settings, topic: str, values: list[bytes], key: bytes = b"k") -> None:
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    for value in values:
        producer.send(topic, key=key, value=value)
    producer.flush(10)
    producer.close()


def effects(settings: Settings) -> list[str]:
    with psycopg.connect(settings.database_url) as conn:
        return [r[0] for r in conn.execute("SELECT event_id FROM effect_log ORDER BY id")]


@pytest.fixture
def reporting(platform: Platform) -> Settings:
    settings = platform.settings("reporting")
    platform.create_topics()
    with psycopg.connect(settings.database_url) as conn:
        conn.execute("CREATE TABLE effect_log (id bigserial PRIMARY KEY, event_id text NOT NULL)")
    return settings


def run_consumer(settings: Settings, group: str, handlers: dict[str, Any]) -> tuple[EventConsumer, threading.Event,
                                                                                      threading.Thread]:
    pool = open_pool(settings)
    consumer = EventConsumer(settings, pool, group, [settings.topic("enrolment")], handlers)
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    return consumer, stop, thread


def test_killed_between_db_commit_and_offset_commit_does_not_apply_twice(reporting: Settings) -> None:
    topic = reporting.topic("enrolment")
    group = f"{reporting.topic_prefix}crash"
    event = registered(1)
    produce(reporting, topic, [encode(event)])

    crashed = subprocess.run(
        [sys.executable, "-m", "tests.integration.crashing_consumer", reporting.database_url,
         reporting.kafka_bootstrap, topic, group], timeout=60, capture_output=True, text=True)
    assert crashed.returncode == 17, crashed.stderr  # died after the DB commit
    assert effects(reporting) == [event["id"]]

    # A fresh member of the same group gets the record again (offset never committed) ...
    consumer, stop, thread = run_consumer(reporting, group, {REGISTERED: count_effect})
    try:
        wait_until(lambda: consumer.skipped == 1, timeout=30, what="redelivery seen and skipped")
    finally:
        stop.set()
        thread.join(10)
    assert effects(reporting) == [event["id"]]  # ... and applies nothing the second time
    assert consumer.applied == 0


def test_the_same_event_delivered_twice_is_applied_once(reporting: Settings) -> None:
    event = registered(2)
    produce(reporting, reporting.topic("enrolment"), [encode(event), encode(event)])
    consumer, stop, thread = run_consumer(reporting, f"{reporting.topic_prefix}dupes", {REGISTERED: count_effect})
    try:
        wait_until(lambda: consumer.applied + consumer.skipped == 2, what="both copies consumed")
    finally:
        stop.set()
        thread.join(10)
    assert (consumer.applied, consumer.skipped) == (1, 1)
    assert effects(reporting) == [event["id"]]


def test_poison_messages_go_to_the_dlq_with_headers_and_the_consumer_carries_on(reporting: Settings) -> None:
    topic = reporting.topic("enrolment")
    poison = registered(3)
    poison["data"]["explode"] = True
    good = registered(4)
    produce(reporting, topic, [b"{not json", encode(poison), encode(good)])

    def handler(conn: psycopg.Connection[Any], event: Event) -> None:
        if event["data"].get("explode"):
            raise ValueError("cannot apply this event")
        count_effect(conn, event)

    group = f"{reporting.topic_prefix}dlq"
    consumer, stop, thread = run_consumer(reporting, group, {REGISTERED: handler})
    try:
        wait_until(lambda: consumer.applied == 1, what="the good event after the poison ones")
    finally:
        stop.set()
        thread.join(10)
    assert consumer.dead_lettered == 2
    assert effects(reporting) == [good["id"]]

    dead = read_topic(reporting, reporting.dlq_topic(topic), at_least=2)
    assert len(dead) == 2
    headers = [dict(r.headers) for r in dead]
    by_value = {r.value: h for r, h in zip(dead, headers, strict=True)}
    malformed = by_value[b"{not json"]
    assert malformed["dlq.error"].startswith(b"InvalidEvent")
    assert malformed["dlq.origin.topic"] == topic.encode()
    assert malformed["dlq.attempts"] == b"1"
    failing = by_value[encode(poison)]
    assert b"cannot apply this event" in failing["dlq.error"]
    assert failing["dlq.attempts"] == str(reporting.consumer_max_attempts).encode()
    assert failing["dlq.consumer"] == group.encode()
    assert {"dlq.origin.partition", "dlq.origin.offset", "dlq.stacktrace"} <= set(failing)
    # Nothing of the poison event was applied, and its claim was rolled back.
    with psycopg.connect(reporting.database_url) as conn:
        claimed = conn.execute("SELECT count(*) FROM processed_events WHERE event_id = %s",
                               (poison["id"],)).fetchone()
    assert claimed is not None and claimed[0] == 0


def test_dead_letters_can_be_listed_and_replayed_once_the_cause_is_fixed(reporting: Settings) -> None:
    from services.common.dlq import read_dead_letters, replay

    topic = reporting.topic("enrolment")
    event = registered(5)
    produce(reporting, topic, [encode(event)])
    broken = True

    def handler(conn: psycopg.Connection[Any], ev: Event) -> None:
        if broken:
            raise RuntimeError("projection bug")
        count_effect(conn, ev)

    consumer, stop, thread = run_consumer(reporting, f"{reporting.topic_prefix}replay", {REGISTERED: handler})
    try:
        # A group join late in a long run can take a while on two cores: wait generously, assert exactly.
        wait_until(lambda: consumer.dead_lettered == 1, 120, what="event dead-lettered")
        letters = read_dead_letters(reporting, reporting.dlq_topic(topic))
        assert [(d.header("dlq.consumer"), d.value) for d in letters] == [(consumer.group_id, encode(event))]
        broken = False  # the bug is fixed; the operator replays
        assert replay(reporting, letters) == 1
        wait_until(lambda: consumer.applied == 1, what="replayed event applied")
    finally:
        stop.set()
        thread.join(10)
    assert effects(reporting) == [event["id"]]


def test_when_the_dlq_cannot_be_written_the_batch_rolls_back_and_nothing_is_skipped(reporting: Settings) -> None:
    topic = reporting.topic("enrolment")
    good, poison = registered(6), registered(7)
    poison["data"]["explode"] = True
    produce(reporting, topic, [encode(good), encode(poison)])  # one key: one partition, this order

    class DlqDownOnce(EventConsumer):
        failures = 1

        def _dead_letter(self, record: Any, exc: BaseException, attempts: int) -> None:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("DLQ unreachable")
            super()._dead_letter(record, exc, attempts)

    def handler(conn: psycopg.Connection[Any], event: Event) -> None:
        if event["data"].get("explode"):
            raise ValueError("poison")
        count_effect(conn, event)

    pool = open_pool(reporting)
    consumer = DlqDownOnce(reporting, pool, f"{reporting.topic_prefix}dlqdown", [topic], {REGISTERED: handler})
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        # The first pass fails at the DLQ and rolls the batch back; the loop
        # backs off, polls the same records again and gets through.
        wait_until(lambda: consumer.dead_lettered == 1 and consumer.applied == 1, timeout=60,
                   what="the batch applied after the DLQ came back")
    finally:
        stop.set()
        thread.join(10)
        pool.close()
    assert consumer.failures == 0  # the DLQ did fail once
    assert effects(reporting) == [good["id"]]  # applied once: not skipped, not doubled
