"""Enrolments over HTTP: interest, intake interviews, the gate, decline, withdrawal, completion;
every illegal transition, every role, idempotent retries and concurrent requests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from services.common.events import validate_event
from services.enrolment.domain import NEXT_STATES, STATES
from tests.integration.enrolment.support import COMMITTED, PASSING_INTAKE, Api

pytestmark = pytest.mark.integration
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def test_an_enrolment_starts_as_interest_in_an_open_programme(api: Api) -> None:
    programme, company = api.programme(), api.company("Zuid")
    response = api.post("/api/v1/enrolments", {"company_id": company["id"], "programme_id": programme["id"]})
    e = api.ok(response, 201)
    assert response.headers["Location"] == f"/api/v1/enrolments/{e['id']}"
    assert e["state"] == "interested" and e["allowed_next"] == ["intake_scheduled", "withdrawn"]
    assert e["company_name"] == company["name"] and e["region"] == "Zuid" and e["delegate_count"] == 0
    [event] = api.outbox(e["id"])
    validate_event(event)
    assert event["data"] == {"enrolment_id": e["id"], "company_id": company["id"], "programme_id": programme["id"],
                             "region": "Zuid"}
    again = api.post("/api/v1/enrolments", {"company_id": company["id"], "programme_id": programme["id"]})
    assert again.status_code == 409


def test_enrolment_needs_an_existing_company_an_open_programme_and_a_matching_region(api: Api) -> None:
    draft, company = api.programme(open_=False), api.company("Noord")
    refused = api.post("/api/v1/enrolments", {"company_id": company["id"], "programme_id": draft["id"]})
    assert refused.status_code == 409 and refused.get_json()["current_state"] == "draft"
    unknown = api.post("/api/v1/enrolments", {"company_id": UNKNOWN, "programme_id": UNKNOWN})
    assert unknown.status_code == 422
    assert {p["name"] for p in unknown.get_json()["invalid_params"]} == {"company_id", "programme_id"}
    zuid_only = api.programme(regions=["Zuid"])
    wrong = api.post("/api/v1/enrolments", {"company_id": company["id"], "programme_id": zuid_only["id"]})
    assert wrong.status_code == 422 and wrong.get_json()["invalid_params"][0]["name"] == "company_id"
    bad = api.post("/api/v1/enrolments", {"company_id": "x"})
    assert {p["name"] for p in bad.get_json()["invalid_params"]} == {"company_id", "programme_id"}


def test_intake_scheduling_and_rescheduling_mail_the_director(api: Api) -> None:
    e = api.enrolment("interested")
    path = f"/api/v1/enrolments/{e['id']}"
    created = api.post(f"{path}/intakes", {"scheduled_at": "2026-02-01T09:30:00+01:00", "location": "Kantoor"})
    intake = api.ok(created, 201)
    assert created.headers["Location"] == f"{path}/intakes/{intake['id']}"
    assert intake["status"] == "scheduled" and intake["sequence"] == 0
    moved = api.ok(api.post(f"{path}/intakes/{intake['id']}/rescheduling",
                            {"scheduled_at": "2026-02-03T14:00:00+01:00"}))
    assert moved["sequence"] == 1 and moved["scheduled_at"] == "2026-02-03T13:00:00+00:00"
    company = api.ok(api.get(f"/api/v1/companies/{e['company_id']}"))
    director = company["directors"][0]
    scheduled = [ev for ev in api.outbox(e["id"]) if ev["type"].endswith("IntakeScheduled.v2")]
    assert [ev["data"]["sequence"] for ev in scheduled] == [0, 1]
    for ev in scheduled:
        validate_event(ev)
        assert ev["data"]["director_id"] == director["person_id"] and director["email"] not in str(ev)
    # The director's contact data goes beside each, to the compacted contacts topic (the latest one counts).
    assert api.contact_records(director["person_id"])[-1]["data"] == {
        "person_id": director["person_id"], "name": director["name"], "email": director["email"], "language": "nl"}
    assert scheduled[0]["data"]["location"] == "Kantoor" and "location" not in scheduled[1]["data"]
    assert api.ok(api.get(f"{path}/intakes"))["total"] == 1


@pytest.mark.parametrize(("field", "value"), [("scheduled_at", "2026-02-01T09:30:00"), ("scheduled_at", "tomorrow"),
                                              ("scheduled_at", None), ("location", "x" * 301)])
def test_bad_intake_schedules_are_422(api: Api, field: str, value: object) -> None:
    e = api.enrolment("interested")
    body = {"scheduled_at": "2026-02-01T09:30:00+01:00", field: value}
    response = api.post(f"/api/v1/enrolments/{e['id']}/intakes", body)
    assert response.status_code == 422 and response.get_json()["invalid_params"][0]["name"] == field
    assert api.types(e["id"]) == ["CompanyShowedInterest"]


def test_an_intake_needs_a_director_to_reach(api: Api) -> None:
    programme, company = api.programme(), api.company("Noord", directors=0)
    e = api.ok(api.post("/api/v1/enrolments", {"company_id": company["id"], "programme_id": programme["id"]}), 201)
    response = api.post(f"/api/v1/enrolments/{e['id']}/intakes", {"scheduled_at": "2026-02-01T09:30:00+01:00"})
    assert response.status_code == 409 and response.get_json()["missing"] == ["a director with name and e-mail"]


def test_the_outcome_records_the_checklist_and_the_event_leaves_the_notes_out(api: Api) -> None:
    e = api.enrolment("intake_scheduled")
    path = f"/api/v1/enrolments/{e['id']}/intakes/{e['intake_id']}/outcome"
    outcome = api.ok(api.post(path, {**PASSING_INTAKE, "commitments": {"staff_time_released": True}}), 201)
    assert outcome["status"] == "held" and outcome["meets_admission_rule"] is False
    assert outcome["commitments"] == {"director_attends_kickoff_and_closing": False, "staff_time_released": True,
                                      "managers_delegated": False, "internal_follow_up_owner": False}
    assert outcome["missing_for_admission"] == ["commitment director_attends_kickoff_and_closing",
                                                "commitment managers_delegated",
                                                "commitment internal_follow_up_owner"]
    company = api.ok(api.get(f"/api/v1/companies/{e['company_id']}"))
    assert outcome["interviewee_person_id"] == company["directors"][0]["person_id"]
    event = api.outbox(e["id"])[-1]
    validate_event(event)
    assert event["type"].endswith("IntakeHeld.v1") and "notes" not in event["data"]
    assert event["data"]["meets_admission_rule"] is False and event["data"]["interviewee_role"] == "director_owner"
    again = api.post(path, PASSING_INTAKE)
    assert again.status_code == 409 and again.get_json()["current_state"] == "intake_held"


@pytest.mark.parametrize(("field", "value"), [
    ("held_on", "gisteren"), ("held_on", None), ("interviewee_role", "manager"), ("interviewer", ""),
    ("commitments", {"staff_time_released": "yes"}), ("commitments", ["staff_time_released"]),
    ("commitments", {"unknown_item": True}), ("assessed_level", 0), ("assessed_level", 6), ("assessed_level", "4"),
    ("notes", "x" * 5001), ("interviewee_person_id", UNKNOWN),
])
def test_each_bad_outcome_field_is_a_422_naming_it(api: Api, field: str, value: object) -> None:
    e = api.enrolment("intake_scheduled")
    response = api.post(f"/api/v1/enrolments/{e['id']}/intakes/{e['intake_id']}/outcome",
                        {**PASSING_INTAKE, field: value})
    assert response.status_code == 422, response.get_json()
    assert field in [p["name"].split(".")[0] for p in response.get_json()["invalid_params"]]
    assert api.ok(api.get(f"/api/v1/enrolments/{e['id']}"))["state"] == "intake_scheduled"


def test_the_gate_refuses_admission_naming_what_is_missing(api: Api) -> None:
    weak = {**PASSING_INTAKE, "assessed_level": 2,
            "commitments": {**COMMITTED, "managers_delegated": False}}
    e = api.enrolment("intake_held", intake=weak)
    response = api.post(f"/api/v1/enrolments/{e['id']}/admission", {})
    assert response.status_code == 409
    problem = response.get_json()
    assert problem["missing"] == ["commitment managers_delegated", "assessed level at least 3 (was 2)"]
    assert problem["current_state"] == "intake_held" and "admitted" in problem["allowed_next"]
    assert "CompanyAdmitted" not in api.types(e["id"])
    # Declined with a reason, interviewed again, then admitted.
    declined = api.ok(api.post(f"/api/v1/enrolments/{e['id']}/declination", {"reason": "Te vrijblijvend"}))
    assert declined["state"] == "declined" and declined["decline_reason"] == "Te vrijblijvend"
    intake = api.ok(api.post(f"/api/v1/enrolments/{e['id']}/intakes",
                             {"scheduled_at": "2026-03-01T10:00:00+01:00"}), 201)
    api.ok(api.post(f"/api/v1/enrolments/{e['id']}/intakes/{intake['id']}/outcome", PASSING_INTAKE), 201)
    admitted = api.ok(api.post(f"/api/v1/enrolments/{e['id']}/admission", {"admitted_on": "2026-03-02"}))
    assert admitted["state"] == "admitted" and admitted["admitted_on"] == "2026-03-02"
    assert api.types(e["id"]) == ["CompanyShowedInterest", "IntakeScheduled", "IntakeHeld", "CompanyDeclined",
                                  "IntakeScheduled", "IntakeHeld", "CompanyAdmitted"]
    for event in api.outbox(e["id"]):
        validate_event(event)
    decline_event, admit_event = api.outbox(e["id"])[3], api.outbox(e["id"])[-1]
    assert decline_event["data"]["reason"] == "Te vrijblijvend" and decline_event["data"]["director_id"]
    assert admit_event["data"]["admitted_on"] == "2026-03-02" and admit_event["data"]["region"] == "Noord"


def test_the_programmes_own_rule_and_checklist_items_apply(api: Api) -> None:
    programme = api.programme(extra_commitments=["vca_certified"],
                              admission_rule={"required_commitments": ["vca_certified"], "min_assessed_level": 5})
    e = api.enrolment("intake_held", programme=programme, intake={
        **PASSING_INTAKE, "assessed_level": 5, "commitments": {"vca_certified": False}})
    refused = api.post(f"/api/v1/enrolments/{e['id']}/admission", {})
    assert refused.get_json()["missing"] == ["commitment vca_certified"]
    other = api.enrolment("intake_held", programme=programme, intake={
        **PASSING_INTAKE, "assessed_level": 5, "commitments": {"vca_certified": True}})
    assert api.ok(api.post(f"/api/v1/enrolments/{other['id']}/admission", {}))["state"] == "admitted"


def test_a_held_intake_can_be_redone_before_a_decision(api: Api) -> None:
    e = api.enrolment("intake_held")
    redo = api.ok(api.post(f"/api/v1/enrolments/{e['id']}/intakes", {"scheduled_at": "2026-04-01T10:00:00+02:00"}),
                  201)
    assert api.ok(api.get(f"/api/v1/enrolments/{e['id']}"))["state"] == "intake_scheduled"
    refused = api.post(f"/api/v1/enrolments/{e['id']}/admission", {})
    assert refused.status_code == 409 and refused.get_json()["current_state"] == "intake_scheduled"
    assert redo["missing_for_admission"] == ["a held intake interview"]


@pytest.mark.parametrize(("body", "field"), [({"reason_code": "bored"}, "reason_code"), ({}, "reason_code"),
                                             ({"reason_code": "other"}, "reason_text"),
                                             ({"reason_code": "other", "reason_text": ""}, "reason_text"),
                                             ({"reason_code": "understaffing", "withdrawn_on": "soon"},
                                              "withdrawn_on")])
def test_bad_withdrawals_are_422(api: Api, body: dict[str, Any], field: str) -> None:
    e = api.enrolment("interested")
    response = api.post(f"/api/v1/enrolments/{e['id']}/withdrawal", body)
    assert response.status_code == 422 and field in [p["name"] for p in response.get_json()["invalid_params"]]


@pytest.mark.parametrize(("path", "body", "field"), [
    ("declination", {}, "reason"), ("declination", {"reason": ""}, "reason"),
    ("admission", {"admitted_on": "x"}, "admitted_on"), ("completion", {"completed_on": 3}, "completed_on"),
    ("admission", {"extra": 1}, "extra"),
])
def test_bad_decision_bodies_are_422(api: Api, path: str, body: dict[str, Any], field: str) -> None:
    e = api.enrolment("intake_held")
    response = api.post(f"/api/v1/enrolments/{e['id']}/{path}", body)
    assert response.status_code == 422 and field in [p["name"] for p in response.get_json()["invalid_params"]]


def test_withdrawal_carries_reason_and_date_and_is_final(api: Api) -> None:
    e = api.enrolment("active")
    withdrawn = api.ok(api.post(f"/api/v1/enrolments/{e['id']}/withdrawal",
                                {"reason_code": "other", "reason_text": "Reorganisatie", "withdrawn_on": "2026-05-01"}))
    assert withdrawn["state"] == "withdrawn" and withdrawn["allowed_next"] == []
    assert withdrawn["withdrawal"] == {"reason_code": "other", "reason_text": "Reorganisatie",
                                       "withdrawn_on": "2026-05-01"}
    event = api.outbox(e["id"])[-1]
    validate_event(event)
    # v2: the free text stays in enrolment (it may name people; the topic keeps everything forever).
    assert event["type"].endswith("CompanyWithdrew.v2")
    assert event["data"] == {"enrolment_id": e["id"], "company_id": e["company_id"],
                             "programme_id": e["programme_id"], "region": "Noord", "reason_code": "other",
                             "withdrawn_on": "2026-05-01"}


# -- every illegal transition is a 409 with the current state and the allowed next states ---------------------------
ACTIONS: dict[str, tuple[str, dict[str, Any], set[str]]] = {
    # action: (path under the enrolment, body, states where it is allowed)
    "schedule": ("intakes", {"scheduled_at": "2026-02-01T10:00:00+01:00"}, {"interested", "intake_held", "declined"}),
    "reschedule": ("intakes/{intake}/rescheduling", {"scheduled_at": "2026-02-01T10:00:00+01:00"},
                   {"intake_scheduled"}),
    "outcome": ("intakes/{intake}/outcome", PASSING_INTAKE, {"intake_scheduled"}),
    "admit": ("admission", {}, {"intake_held"}),
    "decline": ("declination", {"reason": "r"}, {"intake_held"}),
    "withdraw": ("withdrawal", {"reason_code": "understaffing"}, set(STATES) - {"completed", "withdrawn"}),
    "complete": ("completion", {}, {"active"}),
    "delegate": ("delegates", {"name": "N", "email": "n@example.nl", "job_level": "manager"}, {"admitted", "active"}),
    "follow_up": ("follow-ups", {"activity": "whiteboard_meetings", "occurred_on": "2026-06-01",
                                 "adoption_level": "structural"}, {"active", "completed"}),
}
# States reached through a held intake, so every intake route has an intake to address.
BUILT = {"withdrawn": "intake_held"}


@pytest.fixture(scope="module")
def enrolment_in(module_app: Flask) -> Callable[[str], dict[str, Any]]:
    """One enrolment per state for the module: refused requests change nothing, so they can share it."""
    api, cache = Api(module_app, module_app.test_client()), {}

    def get(state: str) -> dict[str, Any]:
        if state not in cache:
            if state == "withdrawn":
                e = api.enrolment("intake_held")
                api.ok(api.post(f"/api/v1/enrolments/{e['id']}/withdrawal", {"reason_code": "understaffing"}))
                cache[state] = e
            else:
                cache[state] = api.enrolment(state)
        return cache[state]
    return get


CASES = [(state, action) for action, (_, _, allowed) in ACTIONS.items() for state in STATES
         if state not in allowed and not (state == "interested" and "{intake}" in ACTIONS[action][0])]


@pytest.mark.parametrize(("state", "action"), CASES)
def test_each_illegal_transition_is_a_409_naming_state_and_allowed_next(
        api: Api, enrolment_in: Callable[[str], dict[str, Any]], state: str, action: str) -> None:
    e = enrolment_in(state)
    path, body, _ = ACTIONS[action]
    before = api.outbox(e["id"])
    response = api.post(f"/api/v1/enrolments/{e['id']}/{path.format(intake=e['intake_id'])}", body)
    assert response.status_code == 409, response.get_json()
    problem = response.get_json()
    assert problem["current_state"] == state
    assert problem["allowed_next"] == list(NEXT_STATES[state])
    assert api.outbox(e["id"]) == before
    assert api.ok(api.get(f"/api/v1/enrolments/{e['id']}"))["state"] == state


def test_intake_routes_404_for_an_unknown_intake_or_enrolment(api: Api) -> None:
    e = api.enrolment("intake_scheduled")
    assert api.post(f"/api/v1/enrolments/{e['id']}/intakes/{UNKNOWN}/outcome", PASSING_INTAKE).status_code == 404
    assert api.post(f"/api/v1/enrolments/{UNKNOWN}/admission", {}).status_code == 404
    assert api.get(f"/api/v1/enrolments/{e['id']}/intakes/{UNKNOWN}").status_code == 404


# -- roles ---------------------------------------------------------------------------------------------------------
WRITES = [("POST", "/api/v1/enrolments"), *[("POST", f"/api/v1/enrolments/{{id}}/{path}") for path, _, _ in
                                             ACTIONS.values()],
          ("DELETE", f"/api/v1/enrolments/{{id}}/delegates/{UNKNOWN}")]


@pytest.mark.parametrize("role", ["coordinator", "facilitator", "reporting_consumer"])
def test_only_fund_administrators_write(api: Api, enrolment_in: Callable[[str], dict[str, Any]], role: str) -> None:
    e = enrolment_in("intake_scheduled")
    for method, template in WRITES:
        path = template.format(id=e["id"], intake=e["intake_id"])
        response = api.client.open(path, method=method, json={}, headers=api.headers(role, ["Noord"]))
        assert response.status_code == 403, (role, path)
    assert api.ok(api.get(f"/api/v1/enrolments/{e['id']}"))["state"] == "intake_scheduled"


def test_coordinators_read_enrolments_in_their_regions_and_others_nothing(
        api: Api, enrolment_in: Callable[[str], dict[str, Any]]) -> None:
    e = enrolment_in("active")  # Noord
    for path in ("", "/delegates", "/follow-ups"):
        assert api.get(f"/api/v1/enrolments/{e['id']}{path}", role="coordinator", regions=["Noord"]).status_code == 200
        assert api.get(f"/api/v1/enrolments/{e['id']}{path}", role="coordinator", regions=["Zuid"]).status_code == 404
        for role in ("facilitator", "reporting_consumer"):
            assert api.get(f"/api/v1/enrolments/{e['id']}{path}", role=role).status_code == 403
    # Interview notes are the fund's: coordinators do not read intakes.
    assert api.get(f"/api/v1/enrolments/{e['id']}/intakes", role="coordinator", regions=["Noord"]).status_code == 403
    zuid = api.ok(api.get("/api/v1/enrolments?page_size=100", role="coordinator", regions=["Zuid"]))
    assert all(item["region"] == "Zuid" for item in zuid["items"])
    mine = api.ok(api.get(f"/api/v1/enrolments?company_id={e['company_id']}", role="coordinator", regions=["Noord"]))
    assert [item["id"] for item in mine["items"]] == [e["id"]]


def test_lists_filter_by_programme_and_state(api: Api) -> None:
    programme = api.programme()
    a = api.enrolment("admitted", programme=programme)
    b = api.enrolment("interested", programme=programme, region="Midden")
    listing = api.ok(api.get(f"/api/v1/enrolments?programme_id={programme['id']}&page_size=1"))
    assert listing["total"] == 2 and len(listing["items"]) == 1 and listing["links"]["next"]
    admitted = api.ok(api.get(f"/api/v1/enrolments?programme_id={programme['id']}&state=admitted"))
    assert [i["id"] for i in admitted["items"]] == [a["id"]]
    midden = api.ok(api.get(f"/api/v1/enrolments?programme_id={programme['id']}&region=Midden"))
    assert [i["id"] for i in midden["items"]] == [b["id"]]


# -- retries and races ---------------------------------------------------------------------------------------------
def test_idempotent_retries_replay_and_do_not_repeat_the_event(api: Api) -> None:
    e = api.enrolment("intake_held")
    key = {"Idempotency-Key": f"admit-{e['id']}"}
    first = api.post(f"/api/v1/enrolments/{e['id']}/admission", {}, headers=key)
    again = api.post(f"/api/v1/enrolments/{e['id']}/admission", {}, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert api.types(e["id"]).count("CompanyAdmitted") == 1
    without_key = api.post(f"/api/v1/enrolments/{e['id']}/admission", {})
    assert without_key.status_code == 409 and without_key.get_json()["current_state"] == "admitted"
    programme, company = e["programme"], api.company()
    enrol_key = {"Idempotency-Key": f"enrol-{company['id']}"}
    body = {"company_id": company["id"], "programme_id": programme["id"]}
    created = api.post("/api/v1/enrolments", body, headers=enrol_key)
    replayed = api.post("/api/v1/enrolments", body, headers=enrol_key)
    assert created.status_code == replayed.status_code == 201
    assert created.headers["Location"] == replayed.headers["Location"]


def test_concurrent_decisions_on_one_enrolment_serialise(api: Api) -> None:
    e = api.enrolment("intake_held")
    statuses: list[int] = []

    def decide(path: str, body: dict[str, Any]) -> None:
        statuses.append(api.app.test_client().post(f"/api/v1/enrolments/{e['id']}/{path}", json=body,
                                                   headers=api.headers()).status_code)

    threads = [threading.Thread(target=decide, args=("admission", {})) for _ in range(4)]
    threads += [threading.Thread(target=decide, args=("declination", {"reason": "r"})) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [409] * 7
    decisions = [t for t in api.types(e["id"]) if t in ("CompanyAdmitted", "CompanyDeclined")]
    assert len(decisions) == 1


@pytest.mark.parametrize(("query", "names"), [
    ("state=dreaming", {"state"}), ("programme_id=1&company_id=2", {"programme_id", "company_id"}),
    ("region=%20", {"region"}), ("page=0&page_size=101", {"page", "page_size"}),
])
def test_bad_list_filters_are_422(api: Api, query: str, names: set[str]) -> None:
    response = api.get(f"/api/v1/enrolments?{query}")
    assert response.status_code == 422 and {p["name"] for p in response.get_json()["invalid_params"]} == names


def test_bad_rescheduling_is_422_and_keeps_the_intake(api: Api) -> None:
    e = api.enrolment("intake_scheduled")
    path = f"/api/v1/enrolments/{e['id']}/intakes/{e['intake_id']}"
    response = api.post(f"{path}/rescheduling", {"scheduled_at": "2026-13-01T10:00:00+01:00"})
    assert response.status_code == 422 and response.get_json()["invalid_params"][0]["name"] == "scheduled_at"
    assert api.ok(api.get(path))["sequence"] == 0
    assert api.post(f"/api/v1/enrolments/{e['id']}/intakes/{UNKNOWN}/rescheduling",
                    {"scheduled_at": "2026-02-01T10:00:00+01:00"}).status_code == 404


def test_a_closed_programme_takes_no_new_intakes_admissions_or_delegates_but_keeps_its_follow_up(api: Api) -> None:
    programme = api.programme()
    held = api.enrolment("intake_held", programme=programme)
    interested = api.enrolment("interested", programme=programme)
    admitted = api.enrolment("admitted", programme=programme)
    active = api.enrolment("active", programme=programme)
    api.ok(api.post(f"/api/v1/programmes/{programme['id']}/closing", {}))
    before = len(api.outbox())

    refused = [
        api.post(f"/api/v1/enrolments/{held['id']}/admission", {}),
        api.post(f"/api/v1/enrolments/{interested['id']}/intakes", {"scheduled_at": "2026-02-01T10:00:00+01:00",
                                                                      "location": "Op locatie"}),
        api.post(f"/api/v1/enrolments/{admitted['id']}/delegates", {"name": "Laat", "email": "laat@ex.nl",
                                                                      "job_level": "manager"}),
    ]
    for response in refused:
        problem = response.get_json()
        assert response.status_code == 409, problem
        assert problem["programme_status"] == "closed" and "current_state" in problem
    assert len(api.outbox()) == before  # nothing happened

    # What follows the programme still works: follow-up, completion, withdrawal.
    api.ok(api.post(f"/api/v1/enrolments/{active['id']}/follow-ups",
                    {"activity": "whiteboard_meetings", "occurred_on": "2026-03-01", "adoption_level": "structural"}),
           201)
    api.ok(api.post(f"/api/v1/enrolments/{active['id']}/completion", {}))
    api.ok(api.post(f"/api/v1/enrolments/{admitted['id']}/withdrawal", {"reason_code": "understaffing"}))
