"""Through real Kafka: enrolment's events on its topic feed the worker's consumer; sessions' events are
published by the relay exactly once each, every one valid against its schema."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from flask import Flask

from services.common import broker
from services.common.events import decode, encode, validate_event
from services.common.worker import run_worker
from services.sessions.app import create_app
from services.sessions.handlers import handlers
from tests.conftest import Platform
from tests.integration.sessions.world import Company, World, enrolment_event, future
from tests.support import read_topic, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def kafka_app(platform: Platform) -> Iterator[Flask]:
    platform.create_topics()
    app = create_app(platform.settings("sessions"))
    yield app
    app.config["POOL"].close()


def test_enrolment_events_over_kafka_drive_the_gate_and_every_sessions_event_is_published_once(
        platform: Platform, kafka_app: Flask) -> None:
    settings = platform.settings("sessions")
    world = World(kafka_app)
    producer = broker.producer(settings)
    enrolment_topic = settings.topic("enrolment")

    def publish(*events: dict[str, object]) -> None:
        for event in events:
            producer.send(enrolment_topic, key=str(event["subject"]).encode(), value=encode(event))
        producer.flush(10)

    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(settings, ["enrolment"], handlers(settings), stop),
                              kwargs={"install_signals": False}, daemon=True)
    worker.start()
    try:
        # The programme and two admitted companies arrive as enrolment's events.
        pid = "5b0c8e2a-8d7e-4f7e-9b55-0a6f3c1d2e01"
        programme = enrolment_event("ProgrammeOpened", pid, {
            "programme_id": pid, "name": "Vanzelfsprekend", "regions": ["Noord"], "planned_sessions": {},
            "max_delegates_per_company": 3, "session_rules": {"min_duration_minutes": 60,
                                                              "max_duration_minutes": 210,
                                                              "online_facilitators": 2}})
        companies = []
        events = [programme]
        for n in range(2):
            c = Company(f"00000000-0000-4000-8000-00000000000{n}", f"10000000-0000-4000-8000-00000000000{n}",
                        pid, "Noord", [f"20000000-0000-4000-8000-00000000000{n}"])
            companies.append(c)
            events += [world.admitted_event(c), world.delegated_event(c, c.people[0])]
        publish(*events, events[1])  # the admission twice: a redelivery has no second effect

        def delegates_known() -> bool:
            with psycopg.connect(settings.database_url) as conn:
                row = conn.execute("SELECT count(*) FROM delegates").fetchone()
            return row is not None and row[0] == 2

        wait_until(delegates_known, timeout=30, what="the read model to learn both delegates")

        session = world.schedule(pid, capacity_min=1, capacity_max=1, starts_at=future(20).isoformat())
        world.client.post(f"/api/v1/sessions/{session['id']}/invitations", json={}, headers=world.admin)
        first = world.register(session["id"], companies[0].people[0]).get_json()
        second = world.register(session["id"], companies[1].people[0]).get_json()
        assert (first["status"], second["status"]) == ("registered", "waitlisted")

        publish(world.withdrew_event(companies[0]))  # arrives after the invitation and the registration
        wait_until(lambda: world.events("WaitlistPromoted"), timeout=30, what="the withdrawal to free the place")
        assert world.register(session["id"], companies[0].people[0]).status_code == 409

        world.set_clock(future(20) + timedelta(hours=3))
        world.client.post(f"/api/v1/sessions/{session['id']}/attendance", headers=world.admin, json={
            "records": [{"registration_id": second["id"], "attendance": "attended"}]})
        world.client.post(f"/api/v1/sessions/{session['id']}/closing", headers=world.admin)

        expected = world.events()
        names = [e["type"].split(".")[2] for e in expected]
        # Both were invited, so registering is also their answer to the invitation (InvitationResponded).
        assert names == ["SessionScheduled", "ParticipantInvited", "ParticipantInvited", "ParticipantRegistered",
                         "InvitationResponded", "ParticipantWaitlisted", "InvitationResponded",
                         "RegistrationCancelled", "WaitlistPromoted", "AttendanceRecorded", "SessionHeld"]

        def all_published() -> bool:
            with psycopg.connect(settings.database_url) as conn:
                row = conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()
            return row is not None and row[0] == 0

        wait_until(all_published, timeout=30, what="the relay to publish the outbox")
        records = read_topic(settings, settings.topic("sessions"), at_least=len(expected), settle=1.0)
        published = [decode(r.value) for r in records]
        assert sorted(e["id"] for e in published) == sorted(e["id"] for e in expected)  # each once, none lost
        for event in published:
            validate_event(event)
        assert {r.key.decode() for r in records} == {session["id"]}  # keyed by session: per-session order
        ordered = [decode(r.value)["type"].split(".")[2] for r in sorted(records, key=lambda r: r.offset)]
        assert ordered == names
        with psycopg.connect(settings.database_url) as conn:
            enrolment_count = conn.execute("SELECT count(*) FROM enrolments WHERE admitted_on IS NOT NULL").fetchone()
        assert enrolment_count is not None and enrolment_count[0] == 2
    finally:
        stop.set()
        worker.join(30)
        producer.close(5)
