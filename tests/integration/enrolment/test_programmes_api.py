"""Programmes over HTTP: create, update, open, close; bad input, roles, illegal transitions, events."""

from __future__ import annotations

from typing import Any

import pytest

from services.common.events import validate_event
from tests.integration.enrolment.support import Api

pytestmark = pytest.mark.integration
OTHER_ROLES = ("coordinator", "facilitator", "reporting_consumer")


def test_a_programme_is_created_as_draft_with_defaults_then_opened_and_closed(api: Api) -> None:
    created = api.post("/api/v1/programmes", {"name": "Dialoog 2026", "regions": ["Noord"],
                                              "max_delegates_per_company": 2})
    body = api.ok(created, 201)
    assert created.headers["Location"] == f"/api/v1/programmes/{body['id']}"
    assert body["status"] == "draft" and body["allowed_next"] == ["open"]
    assert body["session_rules"] == {"min_duration_minutes": 60, "max_duration_minutes": 210,
                                     "online_facilitators": 2}
    assert body["reminder_hours_before"] == 48
    assert body["admission_rule"] == {"required_commitments": ["director_attends_kickoff_and_closing",
                                                               "staff_time_released", "managers_delegated",
                                                               "internal_follow_up_owner"],
                                      "min_assessed_level": 3}
    assert api.outbox(body["id"]) == []  # a draft is nobody's business yet
    opened = api.ok(api.post(f"/api/v1/programmes/{body['id']}/opening"))
    assert opened["status"] == "open" and opened["opened_on"]
    closed = api.ok(api.post(f"/api/v1/programmes/{body['id']}/closing"))
    assert closed["status"] == "closed" and closed["allowed_next"] == []
    events = api.outbox(body["id"])
    assert [e["type"] for e in events] == ["progadmin.enrolment.ProgrammeOpened.v1",
                                           "progadmin.enrolment.ProgrammeClosed.v1"]
    for event in events:
        validate_event(event)
    assert events[0]["data"]["session_rules"]["online_facilitators"] == 2
    assert events[0]["data"]["planned_sessions"] == {}
    assert events[1]["data"] == {"programme_id": body["id"], "closed_on": closed["closed_on"]}


def test_the_full_programme_snapshot_travels_in_programme_opened(api: Api) -> None:
    programme = api.programme(extra_commitments=["vca_certified"],
                              admission_rule={"required_commitments": ["vca_certified", "staff_time_released"],
                                              "min_assessed_level": 4},
                              session_rules={"min_duration_minutes": 90}, follow_up_info="Zie de toolkit.")
    assert programme["session_rules"] == {"min_duration_minutes": 90, "max_duration_minutes": 210,
                                          "online_facilitators": 2}
    [event] = api.outbox(programme["id"])
    assert event["data"] == {
        "programme_id": programme["id"], "name": "Vanzelfsprekend Gezond en Veilig", "fund": "A+O fonds Betonketen",
        "theme": "veiligheid", "period_start": "2026-01-01", "period_end": "2027-06-30",
        "regions": ["Noord", "Midden", "Zuid"], "planned_sessions": {"dialogue": 9, "intervision": 6},
        "max_delegates_per_company": 3,
        "session_rules": {"min_duration_minutes": 90, "max_duration_minutes": 210, "online_facilitators": 2},
        "teaser_question": "Wanneer bracht je jezelf of een ander in gevaar?", "reminder_hours_before": 48,
        "follow_up_info": "Zie de toolkit."}


def test_updating_an_open_programme_publishes_a_snapshot_and_a_draft_does_not(api: Api) -> None:
    draft = api.programme(open_=False)
    changed = api.ok(api.patch(f"/api/v1/programmes/{draft['id']}", {"theme": "gezondheid"}))
    assert changed["theme"] == "gezondheid" and api.outbox(draft["id"]) == []
    programme = api.programme()
    changed = api.ok(api.patch(f"/api/v1/programmes/{programme['id']}",
                               {"max_delegates_per_company": 5, "admission_rule": {"min_assessed_level": 2},
                                "session_rules": {"online_facilitators": 3}}))
    assert changed["max_delegates_per_company"] == 5
    assert changed["admission_rule"]["min_assessed_level"] == 2
    assert len(changed["admission_rule"]["required_commitments"]) == 4  # the rest of the rule is kept
    assert changed["session_rules"] == {"min_duration_minutes": 60, "max_duration_minutes": 210,
                                        "online_facilitators": 3}
    events = api.outbox(programme["id"])
    assert [e["type"] for e in events][-1] == "progadmin.enrolment.ProgrammeUpdated.v1"
    validate_event(events[-1])
    assert events[-1]["data"]["max_delegates_per_company"] == 5


def test_a_patch_that_breaks_a_cross_field_rule_is_refused_with_the_field(api: Api) -> None:
    programme = api.programme()
    response = api.patch(f"/api/v1/programmes/{programme['id']}",
                         {"period_end": "2025-01-01", "session_rules": {"max_duration_minutes": 30},
                          "admission_rule": {"required_commitments": ["unknown_item"]}})
    assert response.status_code == 422
    names = {p["name"] for p in response.get_json()["invalid_params"]}
    assert names == {"period_end", "session_rules.max_duration_minutes", "admission_rule.required_commitments"}
    assert len(api.outbox(programme["id"])) == 1


GOOD: dict[str, Any] = {"name": "P", "regions": ["Noord"], "max_delegates_per_company": 2}


@pytest.mark.parametrize(("field", "value"), [
    ("name", ""), ("name", None), ("fund", "x" * 201), ("theme", 3), ("period_start", "01-01-2026"),
    ("period_end", "2025-12-31"), ("regions", []), ("regions", [" "]), ("regions", ["Noord", "Noord"]),
    ("planned_sessions", {"lecture": 3}), ("planned_sessions", {"dialogue": -1}), ("extra_commitments", ["Bad Key"]),
    ("admission_rule", {"min_assessed_level": 6}), ("admission_rule", {"required_commitments": ["not_listed"]}),
    ("max_delegates_per_company", 0), ("max_delegates_per_company", "many"),
    ("session_rules", {"min_duration_minutes": 0}), ("session_rules", {"min_duration_minutes": 240}),
    ("session_rules", {"online_facilitators": 0}), ("teaser_question", "x" * 2001),
    ("reminder_hours_before", 0), ("follow_up_info", None), ("unexpected", 1),
])
def test_each_bad_field_is_a_422_naming_it_and_nothing_is_created(api: Api, field: str, value: object) -> None:
    body = {**GOOD, "period_start": "2026-01-01", field: value}
    response = api.post("/api/v1/programmes", body)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    names = [p["name"].split(".")[0] for p in response.get_json()["invalid_params"]]
    assert field in names
    listing = api.ok(api.get("/api/v1/programmes?page_size=100"))
    assert all(p["name"] != "P" for p in listing["items"])


def test_missing_required_fields_are_all_listed(api: Api) -> None:
    response = api.post("/api/v1/programmes", {})
    assert {p["name"] for p in response.get_json()["invalid_params"]} == {
        "name", "regions", "max_delegates_per_company"}


@pytest.mark.parametrize(("status", "action"), [("draft", "closing"), ("open", "opening"), ("closed", "opening"),
                                                ("closed", "closing")])
def test_illegal_programme_transitions_are_409_with_state_and_next_steps(api: Api, status: str, action: str) -> None:
    programme = api.programme(open_=status != "draft")
    if status == "closed":
        api.ok(api.post(f"/api/v1/programmes/{programme['id']}/closing"))
    before = len(api.outbox(programme["id"]))
    response = api.post(f"/api/v1/programmes/{programme['id']}/{action}")
    assert response.status_code == 409
    problem = response.get_json()
    assert problem["current_state"] == status
    assert problem["allowed_next"] == {"draft": ["open"], "open": ["closed"], "closed": []}[status]
    assert len(api.outbox(programme["id"])) == before


def test_a_closed_programme_cannot_change(api: Api) -> None:
    programme = api.programme()
    api.ok(api.post(f"/api/v1/programmes/{programme['id']}/closing"))
    response = api.patch(f"/api/v1/programmes/{programme['id']}", {"theme": "x"})
    assert response.status_code == 409 and response.get_json()["current_state"] == "closed"


def test_roles_fund_admin_writes_coordinators_read_others_nothing(api: Api) -> None:
    programme = api.programme(open_=False)
    path = f"/api/v1/programmes/{programme['id']}"
    for role in OTHER_ROLES:
        assert api.post("/api/v1/programmes", GOOD, role=role, regions=["Noord"]).status_code == 403, role
        assert api.patch(path, {"theme": "x"}, role=role).status_code == 403, role
        assert api.post(f"{path}/opening", role=role, regions=["Noord"]).status_code == 403, role
        assert api.post(f"{path}/closing", role=role, regions=["Noord"]).status_code == 403, role
    for role in ("facilitator", "reporting_consumer"):
        assert api.get("/api/v1/programmes", role=role).status_code == 403
        assert api.get(path, role=role).status_code == 403
    assert api.get(path, role="coordinator", regions=["Zuid"]).status_code == 200
    assert api.get("/api/v1/programmes?status=draft", role="coordinator", regions=["Zuid"]).status_code == 200
    assert api.client.get(path).status_code == 401
    assert api.get(path.replace(programme["id"], "00000000-0000-4000-8000-000000000000")).status_code == 404


def test_an_idempotent_retry_opens_once(api: Api) -> None:
    programme = api.programme(open_=False)
    first = api.post(f"/api/v1/programmes/{programme['id']}/opening", headers={"Idempotency-Key": "open-1"})
    again = api.post(f"/api/v1/programmes/{programme['id']}/opening", headers={"Idempotency-Key": "open-1"})
    assert first.status_code == again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert len(api.outbox(programme["id"])) == 1


@pytest.mark.parametrize(("field", "value"), [("name", ""), ("regions", [""]), ("max_delegates_per_company", 0),
                                              ("reminder_hours_before", -1), ("planned_sessions", {"x": 1}),
                                              ("session_rules", {"online_facilitators": 0}), ("status", "open")])
def test_each_bad_patch_field_is_a_422_and_nothing_changes(api: Api, field: str, value: object) -> None:
    programme = api.programme()
    response = api.patch(f"/api/v1/programmes/{programme['id']}", {field: value})
    assert response.status_code == 422 and field in [p["name"].split(".")[0]
                                                     for p in response.get_json()["invalid_params"]]
    assert api.ok(api.get(f"/api/v1/programmes/{programme['id']}"))["updated_at"] == programme["updated_at"]
    assert len(api.outbox(programme["id"])) == 1
