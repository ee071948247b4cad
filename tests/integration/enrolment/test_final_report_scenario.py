"""The intake phase of the final report (sources/000_*), through the HTTP API alone, on a real database;
then the relay publishes the outbox to a real Kafka topic: every event once, valid, in order per enrolment.

12 companies from the concrete sector in 3 regions; director interviews held (one company declined
after a too non-binding first interview, interviewed again and admitted); 12 admitted; delegates added
(one foreman, flagged, later replaced by a manager); 2 withdrew (one for understaffing); the other 10
completed and their follow-up recorded (8 of 10 continued); a programme setting changed while open;
a withdrawn delegate asked to be erased. Every one of the 16 event types is published.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from typing import Any

import psycopg
import pytest

from services.common.contacts import CONTACT_DETAILS_CHANGED
from services.common.events import decode, known_types, validate_event
from services.common.outbox import Relay
from services.enrolment.app import create_app
from tests.conftest import Platform
from tests.integration.enrolment.support import COMMITTED, PASSING_INTAKE, Api, next_kvk
from tests.support import read_topic, wait_until

pytestmark = pytest.mark.integration

FOLLOW_UP = [  # the 10 that stayed: 8 continued in some form, 2 did not
    ("whiteboard_meetings", "structural"), ("own_intervision", "structural"), ("rollout_all_managers", "structural"),
    ("whiteboard_meetings", "structural"), ("internal_dialogues", "occasional"), ("internal_dialogues", "occasional"),
    ("own_intervision", "occasional"), ("internal_dialogues", "occasional"), ("other", "none"), ("other", "none"),
]


def run_intake_phase(api: Api) -> dict[str, Any]:
    programme = api.programme(name="Vanzelfsprekend Gezond en Veilig", max_delegates_per_company=3,
                              planned_sessions={"dialogue": 9, "intervision": 6})
    api.ok(api.patch(f"/api/v1/programmes/{programme['id']}", {"follow_up_info": "Toolkit: whiteboard-sessies"}))
    enrolments: list[dict[str, Any]] = []
    for i in range(12):
        region = ("Noord", "Midden", "Zuid")[i % 3]
        kvk = next_kvk()
        company = api.ok(api.post("/api/v1/companies", {
            "name": f"Betonbedrijf {i + 1}", "kvk_number": kvk, "region": region, "size": "medium",
            "directors": [{"name": f"Directeur {i + 1}", "email": f"directeur{i + 1}.{kvk}@beton.nl",
                           "role": "director_owner" if i % 2 else "director"}],
        }, headers={"Idempotency-Key": f"company-{kvk}"}), 201)
        e = api.ok(api.post("/api/v1/enrolments", {"company_id": company["id"], "programme_id": programme["id"]}), 201)
        path = f"/api/v1/enrolments/{e['id']}"
        intake = api.ok(api.post(f"{path}/intakes", {"scheduled_at": f"2026-01-{10 + i:02d}T10:00:00+01:00"}), 201)
        if i == 5:  # "commitment sometimes too non-binding": the gate holds, the interview is redone
            weak = {**PASSING_INTAKE, "assessed_level": 2,
                    "commitments": {**COMMITTED, "director_attends_kickoff_and_closing": False}}
            api.ok(api.post(f"{path}/intakes/{intake['id']}/outcome", weak), 201)
            refused = api.post(f"{path}/admission", {})
            assert refused.status_code == 409 and len(refused.get_json()["missing"]) == 2
            api.ok(api.post(f"{path}/declination", {"reason": "Commitment te vrijblijvend"}))
            intake = api.ok(api.post(f"{path}/intakes", {"scheduled_at": "2026-02-01T10:00:00+01:00"}), 201)
        api.ok(api.post(f"{path}/intakes/{intake['id']}/outcome", PASSING_INTAKE), 201)
        api.ok(api.post(f"{path}/admission", {"admitted_on": "2026-02-15"}))
        levels = ["manager", "manager"] + (["foreman"] if i == 7 else [])
        for n, level in enumerate(levels):
            delegate = api.ok(api.post(f"{path}/delegates", {
                "name": f"Kader {i}-{n}", "email": f"kader{n}.{kvk}@beton.nl", "job_level": level}), 201)
        if i == 7:  # the foreman is replaced by a manager ("het kader")
            api.ok(api.post(f"{path}/delegates", {"name": "Uitvoerder", "email": f"uitvoerder.{kvk}@beton.nl",
                                                  "job_level": "manager", "replaces": delegate["person_id"]}), 201)
        enrolments.append(e)
    withdrawals = {3: {"reason_code": "understaffing"},
                   8: {"reason_code": "no_director_support", "reason_text": "Directie toonde geen belangstelling"}}
    for i, body in withdrawals.items():
        api.ok(api.post(f"/api/v1/enrolments/{enrolments[i]['id']}/withdrawal", {**body, "withdrawn_on": "2026-09-01"}))
    stayed = [e for i, e in enumerate(enrolments) if i not in withdrawals]
    for e, (activity, level) in zip(stayed, FOLLOW_UP, strict=True):
        api.ok(api.post(f"/api/v1/enrolments/{e['id']}/completion", {"completed_on": "2027-06-01"}))
        api.ok(api.post(f"/api/v1/enrolments/{e['id']}/follow-ups",
                        {"activity": activity, "occurred_on": "2027-06-15", "adoption_level": level}), 201)
    api.ok(api.post(f"/api/v1/programmes/{programme['id']}/closing"))
    withdrawn = api.ok(api.get(f"/api/v1/enrolments/{enrolments[3]['id']}/delegates"))["items"][0]
    api.ok(api.post(f"/api/v1/persons/{withdrawn['person_id']}/erasure"))
    return programme


def test_the_final_reports_intake_phase_runs_through_the_api_and_every_step_is_published_once(
        platform: Platform) -> None:
    settings = platform.settings("enrolment")
    platform.create_topics()
    app = create_app(settings)
    try:
        api = Api(app, app.test_client())
        programme = run_intake_phase(api)

        # What a fund administrator sees through the API.
        def count(query: str) -> int:
            total: int = api.ok(api.get(f"/api/v1/enrolments?programme_id={programme['id']}&{query}"))["total"]
            return total
        assert count("") == 12 and count("state=completed") == 10 and count("state=withdrawn") == 2
        assert {r: count(f"region={r}") for r in ("Noord", "Midden", "Zuid")} == {"Noord": 4, "Midden": 4, "Zuid": 4}
        companies = api.ok(api.get(f"/api/v1/companies?programme_id={programme['id']}&status=withdrawn"))
        assert sorted(c["name"] for c in companies["items"]) == ["Betonbedrijf 4", "Betonbedrijf 9"]

        outbox = api.outbox()
        types = Counter(e["type"].split(".")[2] for e in outbox)
        assert types == {
            "ProgrammeOpened": 1, "ProgrammeUpdated": 1, "CompanyRegistered": 12, "CompanyShowedInterest": 12,
            "IntakeScheduled": 13, "IntakeHeld": 13, "CompanyDeclined": 1, "CompanyAdmitted": 12,
            "ParticipantDelegated": 26, "ParticipantRemoved": 1, "CompanyActivated": 12, "CompanyWithdrew": 2,
            "CompanyCompleted": 10, "FollowUpRecorded": 10, "ProgrammeClosed": 1, "PersonErased": 1}
        # Every enrolment type at its current version is produced; contact data went to the contacts topic.
        catalogue = [t for t in known_types() if t.startswith("progadmin.enrolment.")]
        current = {t for t in catalogue if not (t.endswith(".v1") and t[:-1] + "2" in catalogue)}
        assert {e["type"] for e in outbox} | {CONTACT_DETAILS_CHANGED} == current
        flagged = [e for e in outbox if e["type"].endswith("ParticipantDelegated.v2") and e["data"]["below_management"]]
        assert len(flagged) == 1
        withdrew = sorted(e["data"]["reason_code"] for e in outbox if e["type"].endswith("CompanyWithdrew.v2"))
        assert withdrew == ["no_director_support", "understaffing"]
        continued = [e for e in outbox if e["type"].endswith("FollowUpRecorded.v1") and
                     e["data"]["adoption_level"] != "none"]
        assert len(continued) == 8
        with psycopg.connect(settings.database_url) as conn:
            writes = conn.execute("SELECT count(*) FROM audit_log").fetchone()
        assert writes is not None and writes[0] >= 12 * 6 + 2 + 10 * 2 + 2

        # The relay publishes the outbox: each event exactly once, valid, in order per subject.
        relay, stop = Relay(settings), threading.Event()
        thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
        thread.start()
        try:
            def drained() -> bool:
                with psycopg.connect(settings.database_url) as conn:
                    row = conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()
                return row is not None and row[0] == 0
            wait_until(drained, timeout=30, what="the outbox drained")
        finally:
            stop.set()
            thread.join(timeout=10)
        records = read_topic(settings, settings.topic("enrolment"), at_least=len(outbox), settle=0.3)
        published = [decode(r.value) for r in records]
        for event in published:
            validate_event(event)
        assert sorted(e["id"] for e in published) == sorted(e["id"] for e in outbox)  # once each, none lost
        assert all(r.key.decode() == decode(r.value)["subject"] for r in records)
        per_subject: dict[str, list[str]] = defaultdict(list)
        for event in published:
            per_subject[event["subject"]].append(event["id"])
        expected: dict[str, list[str]] = defaultdict(list)
        for event in outbox:
            expected[event["subject"]].append(event["id"])
        assert per_subject == expected
    finally:
        app.config["POOL"].close()
