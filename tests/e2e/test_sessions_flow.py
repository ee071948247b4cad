"""Sessions through its real processes: gunicorn (two workers) and `python -m services.sessions.worker`.

Enrolment's events go onto enrolment's topic; sessions learns the gate from
them, keeps capacity across processes under concurrent registrations, acts
on signed links, raises the below-minimum alert from its worker, and
publishes its events to Kafka.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.common import broker
from services.common.events import decode, encode, new_event, validate_event
from services.common.signed_links import sign
from tests.conftest import Platform
from tests.e2e.processes import Processes, call, started
from tests.support import bearer, read_topic, wait_until

pytestmark = pytest.mark.e2e
RULES = {"min_duration_minutes": 60, "max_duration_minutes": 210, "online_facilitators": 2}



@pytest.fixture
def running(platform: Platform, tmp_path: Path) -> Iterator[Processes]:
    platform.create_topics()
    env = {**platform.env(), "PROGADMIN_SESSIONS_CHECK_INTERVAL_S": "1"}
    with started(env, tmp_path, web=("sessions",), workers=("sessions",)) as procs:
        yield procs


def test_sessions_end_to_end(platform: Platform, running: Processes) -> None:
    settings = platform.settings("sessions")
    base = running.urls["sessions"]
    admin = bearer(settings, "fund_admin")
    pid = str(uuid.uuid4())
    events = [new_event("enrolment", "ProgrammeOpened", pid, {
        "programme_id": pid, "name": "Vanzelfsprekend", "regions": ["Noord"], "planned_sessions": {},
        "max_delegates_per_company": 5, "session_rules": RULES})]
    companies = []
    for _ in range(4):
        eid, cid = str(uuid.uuid4()), str(uuid.uuid4())
        people = [str(uuid.uuid4()) for _ in range(5)]
        companies.append((eid, cid, people))
        events.append(new_event("enrolment", "CompanyAdmitted", eid, {
            "enrolment_id": eid, "company_id": cid, "programme_id": pid, "region": "Noord",
            "admitted_on": date.today().isoformat(),
            "director": {"person_id": str(uuid.uuid4()), "name": "D", "email": "d@example.nl", "language": "nl"}}))
        for person in people:
            events.append(new_event("enrolment", "ParticipantDelegated", eid, {
                "enrolment_id": eid, "company_id": cid, "programme_id": pid, "region": "Noord", "person_id": person,
                "contact": {"person_id": person, "name": "P", "email": "p@example.nl", "language": "nl"},
                "job_level": "manager", "below_management": False}))
    producer = broker.producer(settings)
    try:
        for event in events:
            validate_event(event)
            producer.send(settings.topic("enrolment"), key=event["subject"].encode(), value=encode(event))
        producer.flush(10)

        def eligible() -> bool:
            _, page = call(f"{base}/api/v1/delegates?programme_id={pid}&page_size=100", admin)
            return page.get("total") == 20 and all(d["eligible"] for d in page["items"])

        try:
            wait_until(eligible, timeout=40, interval=0.2, what="the worker to learn the delegates")
        except AssertionError:
            raise AssertionError(running.log("sessions-worker")) from None

        start = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
        status, session = call(f"{base}/api/v1/sessions", admin, {
            "programme_id": pid, "type": "dialogue", "region": "Noord", "format": "regional_venue",
            "venue_address": "Stationsplein 1, Groningen", "starts_at": start.isoformat(), "duration_minutes": 120,
            "capacity_min": 10, "capacity_max": 12, "facilitator_ids": ["anna"]})
        assert status == 201, session
        small = call(f"{base}/api/v1/sessions", admin, {
            "programme_id": pid, "type": "intervision", "region": "Noord", "format": "online",
            "online_url": "https://teams.example/x", "starts_at": (start + timedelta(days=1)).isoformat(),
            "duration_minutes": 90, "capacity_min": 4, "capacity_max": 8, "facilitator_ids": ["anna", "bert"]})[1]

        # 20 people register at once, through two gunicorn worker processes, for 8 places.
        everyone = [p for _, _, people in companies for p in people]
        answers: list[tuple[int, Any]] = []
        registered_first: set[str] = set()
        barrier = threading.Barrier(len(everyone))

        def register(person: str) -> None:
            token = sign(settings.link_secret, "confirm", {"session_id": small["id"], "person_id": person}, 3600)
            barrier.wait()
            code, body = call(f"{base}/api/v1/links/confirm?token={token}", {}, {})
            answers.append((code, body))
            if body.get("status") == "registered":
                registered_first.add(person)

        threads = [threading.Thread(target=register, args=(p,)) for p in everyone]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert [code for code, _ in answers].count(200) == 20, answers[:3]
        assert sorted(a["status"] for _, a in answers).count("registered") == 8
        positions = sorted(a["position"] for _, a in answers if a["status"] == "waitlisted")
        assert positions == list(range(1, 13))

        # The first company withdraws: its places go to the waiting list, in order.
        eid, cid, people = companies[0]
        withdrawal = new_event("enrolment", "CompanyWithdrew", eid, {
            "enrolment_id": eid, "company_id": cid, "programme_id": pid, "region": "Noord",
            "reason_code": "understaffing", "withdrawn_on": date.today().isoformat()})
        producer.send(settings.topic("enrolment"), key=eid.encode(), value=encode(withdrawal))
        producer.flush(10)

        def roster() -> dict[str, Any]:
            _, s = call(f"{base}/api/v1/sessions/{small['id']}", admin)
            return s if s["registered"] + s["waitlisted"] == 15 else {}

        after = wait_until(roster, timeout=30, interval=0.2, what="the withdrawal to be applied")
        assert after["registered"] == 8 and after["waitlisted"] == 7
        _, regs = call(f"{base}/api/v1/sessions/{small['id']}/registrations?status=registered", admin)
        assert not {r["person_id"] for r in regs["items"]} & set(people)

        # The worker's periodic check: the dialogue session (3 days ahead, nobody registered) is below minimum.
        def sessions_events() -> list[dict[str, Any]]:
            return [decode(r.value) for r in read_topic(settings, settings.topic("sessions"), at_least=1,
                                                        timeout=5, settle=0.2)]

        def alerted() -> list[dict[str, Any]]:
            # Only the dialogue session's: the small one may be alerted too when a check runs before its
            # registrations land (it is 4 days ahead with nobody registered for a moment).
            return [e for e in sessions_events()
                    if e["type"].endswith("SessionBelowMinimum.v1") and e["subject"] == session["id"]]

        [alert] = wait_until(alerted, timeout=30, interval=0.5, what="SessionBelowMinimum from the worker")
        assert alert["subject"] == session["id"] and alert["data"]["registered"] == 0

        published = sessions_events()
        assert len({e["id"] for e in published}) == len(published)
        for event in published:
            validate_event(event)
        kinds = [e["type"].split(".")[2] for e in published]
        assert kinds.count("ParticipantRegistered") == 8 and kinds.count("ParticipantWaitlisted") == 12
        assert kinds.count("WaitlistPromoted") == len(registered_first & set(people))
        assert kinds.count("RegistrationCancelled") == 5
    finally:
        producer.close(5)
