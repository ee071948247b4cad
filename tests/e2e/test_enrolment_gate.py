"""Enrolment through real processes: gunicorn serves the API, the worker's relay publishes to Kafka.
A company passes the gate, delegates a participant and withdraws; the events arrive on the topic in order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.common.events import decode, validate_event
from tests.conftest import Platform
from tests.e2e.processes import Processes, call, started
from tests.support import bearer, read_topic

pytestmark = pytest.mark.e2e



@pytest.fixture
def running(platform: Platform, tmp_path: Path) -> Iterator[Processes]:
    platform.create_topics()
    with started(platform.env(), tmp_path, web=("enrolment",), workers=("enrolment",)) as procs:
        yield procs


def test_a_company_passes_the_gate_delegates_and_withdraws_and_every_event_is_published(
        platform: Platform, running: Processes) -> None:
    settings = platform.settings("enrolment")
    admin, base = bearer(settings, "fund_admin"), f"{running.urls['enrolment']}/api/v1"

    def ok(status_body: tuple[int, dict[str, Any]], status: int = 200) -> dict[str, Any]:
        assert status_body[0] == status, (status_body, running.log("enrolment-web"))
        return status_body[1]

    programme = ok(call(f"{base}/programmes", admin, {"name": "Dialoog", "regions": ["Midden"],
                                                     "max_delegates_per_company": 2}), 201)
    ok(call(f"{base}/programmes/{programme['id']}/opening", admin, {}))
    company = ok(call(f"{base}/companies", admin, {
        "name": "Prefab Midden BV", "kvk_number": "55667788", "region": "Midden",
        "directors": [{"name": "Els Bakker", "email": "els@prefab.nl", "role": "director_owner"}]}), 201)
    e = ok(call(f"{base}/enrolments", admin, {"company_id": company["id"], "programme_id": programme["id"]}), 201)
    path = f"{base}/enrolments/{e['id']}"
    refused = call(f"{path}/admission", admin, {})
    assert refused[0] == 409 and refused[1]["current_state"] == "interested"
    intake = ok(call(f"{path}/intakes", admin, {"scheduled_at": "2026-03-01T10:00:00+01:00"}), 201)
    ok(call(f"{path}/intakes/{intake['id']}/outcome", admin, {
        "held_on": "2026-03-01", "interviewee_role": "director_owner", "interviewer": "Jansen", "assessed_level": 4,
        "commitments": {"director_attends_kickoff_and_closing": True, "staff_time_released": True,
                        "managers_delegated": True, "internal_follow_up_owner": True}}), 201)
    ok(call(f"{path}/admission", admin, {}))
    delegate = ok(call(f"{path}/delegates", admin, {"name": "Kees", "email": "kees@prefab.nl",
                                                   "job_level": "foreman"}), 201)
    assert delegate["warnings"]
    ok(call(f"{path}/withdrawal", admin, {"reason_code": "understaffing"}))

    expected = ["ProgrammeOpened", "CompanyRegistered", "CompanyShowedInterest", "IntakeScheduled", "IntakeHeld",
                "CompanyAdmitted", "ParticipantDelegated", "CompanyActivated", "CompanyWithdrew"]
    records = read_topic(settings, settings.topic("enrolment"), at_least=len(expected), settle=0.3)
    events = [decode(r.value) for r in records]
    for event in events:
        validate_event(event)
    assert sorted(ev["type"].split(".")[2] for ev in events) == sorted(expected)
    of_enrolment = [ev["type"].split(".")[2] for ev in events if ev["subject"] == e["id"]]
    assert of_enrolment == expected[2:]
    assert call(f"{running.urls['enrolment']}/readyz", admin)[0] == 200
