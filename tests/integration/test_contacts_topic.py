"""The contacts topic end to end on one broker: the relay writes contact records and tombstones, and the
consumers of sessions and notifications keep (and drop) names and addresses from it, never dead-lettering a
tombstone. The erasure check after compaction runs on the cluster (tests/cluster/test_erasure_in_topics.py)."""

from __future__ import annotations

import contextlib
import threading
import uuid

import psycopg
import pytest

from services.common import broker
from services.common.consumer import EventConsumer
from services.common.contacts import CONTACTS_TOPIC, contacts_topic, tombstone_handler_key
from services.common.db import open_pool
from services.common.events import decode, encode, new_event
from services.common.outbox import Outbox, Relay
from services.notifications.handlers import handlers as notification_handlers
from services.sessions.handlers import handlers as session_handlers
from tests.conftest import Platform
from tests.support import read_topic, wait_until

pytestmark = pytest.mark.integration


def contact(person_id: str, name: str) -> dict[str, str]:
    return {"person_id": person_id, "name": name, "email": f"{name.lower()}@bedrijf.nl", "language": "nl"}


def test_the_relay_sends_contact_records_and_tombstones_keyed_by_person(platform: Platform) -> None:
    settings = platform.settings("enrolment")
    topic = contacts_topic(settings)
    broker.ensure_topics(settings, [topic])
    person = str(uuid.uuid4())
    outbox = Outbox(settings)
    with psycopg.connect(settings.database_url) as conn, conn.transaction():
        outbox.add_record(conn, topic, person, new_event("enrolment", "ContactDetailsChanged", person,
                                                         contact(person, "Anna")))
        outbox.add_record(conn, topic, person, None)
    relay, stop = Relay(settings), threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    try:
        records = read_topic(settings, topic, at_least=2)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert [r.key.decode() for r in records] == [person, person]
    assert decode(records[0].value)["data"]["name"] == "Anna"
    assert records[1].value is None and not records[1].headers  # a tombstone: null value, nothing else
    with psycopg.connect(settings.database_url) as conn:
        row = conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()
    assert row is not None and row[0] == 0


@pytest.mark.parametrize("service", ["sessions", "notifications"])
def test_consumers_keep_names_from_the_contacts_topic_and_drop_them_on_a_tombstone(platform: Platform,
                                                                                  service: str) -> None:
    settings = platform.settings(service)
    producer_settings = platform.settings("enrolment")
    topic = contacts_topic(settings)
    broker.ensure_topics(settings, [topic, settings.dlq_topic(topic)])
    anna, ben = str(uuid.uuid4()), str(uuid.uuid4())
    table = session_handlers(settings) if service == "sessions" else notification_handlers(settings)
    pool = open_pool(settings)
    consumer = EventConsumer(settings, pool, f"test-{service}-contacts", [topic], table)
    producer = broker.producer(producer_settings)
    with pool.connection() as conn:
        # Each consumer stores names against a delegation or recipient that may come before or after.
        if service == "sessions":
            conn.execute("INSERT INTO delegates (programme_id, person_id, enrolment_id, company_id, region)"
                         " VALUES (%s, %s, %s, %s, 'Noord')", (uuid.uuid4(), anna, uuid.uuid4(), uuid.uuid4()))
    try:
        for person, name in ((anna, "Anna"), (ben, "Ben")):
            event = new_event("enrolment", "ContactDetailsChanged", person, contact(person, name))
            producer.send(topic, key=person.encode(), value=encode(event)).get(timeout=10)
        producer.send(topic, key=anna.encode(), value=None).get(timeout=10)
        producer.send(topic, key=b"not-a-person-id", value=None).get(timeout=10)  # nothing under it: harmless

        def names() -> dict[str, str | None]:
            with pool.connection() as conn:
                if service == "sessions":
                    rows = conn.execute("SELECT person_id::text AS p, name FROM delegate_names").fetchall()
                    rows += conn.execute("SELECT person_id::text AS p, name FROM delegates").fetchall()
                else:
                    rows = conn.execute("SELECT person_id AS p, name FROM recipients").fetchall()
            return {r["p"]: r["name"] for r in rows}

        def seen() -> bool:
            consumer.poll_once()
            return consumer.applied + consumer.skipped + consumer.dead_lettered >= 4
        wait_until(seen, 60, what="the contact records and tombstones consumed")
        assert names() == {anna: None, ben: "Ben"}
        assert consumer.dead_lettered == 0 and consumer.applied == 4
        dlq = read_topic(settings, settings.dlq_topic(topic), at_least=0, timeout=3, settle=0.5)
        assert dlq == []
    finally:
        producer.close(timeout=5)
        consumer.close()
        pool.close()


def test_a_failing_tombstone_handler_is_retried_never_dead_lettered(platform: Platform) -> None:
    settings = platform.settings("sessions")
    topic = contacts_topic(settings)
    broker.ensure_topics(settings, [topic, settings.dlq_topic(topic)])
    calls: list[str] = []

    def flaky(conn: object, record: dict[str, object]) -> None:
        calls.append(str(record["subject"]))
        if len(calls) <= 2:
            raise RuntimeError("database hiccup in a tombstone handler")

    pool = open_pool(settings)
    consumer = EventConsumer(settings, pool, "test-flaky-tombstones", [topic],
                             {tombstone_handler_key(CONTACTS_TOPIC): flaky})
    producer = broker.producer(settings)
    person = str(uuid.uuid4())
    try:
        producer.send(topic, key=person.encode(), value=None).get(timeout=10)

        def applied() -> bool:
            with contextlib.suppress(RuntimeError):  # the batch rolled back; the loop backs off and polls again
                consumer.poll_once()
            return consumer.applied == 1
        wait_until(applied, 60, what="the tombstone applied after its handler recovered")
        assert calls == [person, person, person] and consumer.dead_lettered == 0
    finally:
        producer.close(timeout=5)
        consumer.close()
        pool.close()
