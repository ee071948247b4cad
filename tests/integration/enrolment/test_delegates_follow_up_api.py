"""Delegates (warning below management, the programme's maximum, replace, remove) and follow-up over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from services.common.events import validate_event
from tests.integration.enrolment.support import Api

pytestmark = pytest.mark.integration


def person(n: int, job_level: str = "manager", **extra: Any) -> dict[str, Any]:
    return {"name": f"Deelnemer {n}", "email": f"deelnemer{n}@bedrijf.nl", "job_level": job_level, **extra}


def test_the_first_delegate_activates_the_company(api: Api) -> None:
    e = api.enrolment("admitted")
    response = api.post(f"/api/v1/enrolments/{e['id']}/delegates", person(1, phone="+31 6 1234 5678", language="en"))
    delegate = api.ok(response, 201)
    assert response.headers["Location"] == f"/api/v1/enrolments/{e['id']}/delegates/{delegate['person_id']}"
    assert delegate["warnings"] == [] and delegate["below_management"] is False and delegate["language"] == "en"
    state = api.ok(api.get(f"/api/v1/enrolments/{e['id']}"))
    assert state["state"] == "active" and state["activated_on"] and state["delegate_count"] == 1
    delegated, activated = api.outbox(e["id"])[-2:]
    for event in (delegated, activated):
        validate_event(event)
    # v2: the person by id only; the contact data goes to the compacted contacts topic, keyed by person.
    assert delegated["type"].endswith("ParticipantDelegated.v2") and "contact" not in delegated["data"]
    assert delegated["data"]["person_id"] == delegate["person_id"] and "Deelnemer" not in str(delegated)
    [contact] = api.contact_records(delegate["person_id"])
    assert contact["data"] == {"person_id": delegate["person_id"], "name": "Deelnemer 1",
                               "email": "deelnemer1@bedrijf.nl", "language": "en"}
    assert delegated["data"]["below_management"] is False and "phone" not in str(contact)
    assert activated["type"].endswith("CompanyActivated.v1") and activated["data"]["region"] == "Noord"
    api.ok(api.post(f"/api/v1/enrolments/{e['id']}/delegates", person(2)), 201)
    assert api.types(e["id"]).count("CompanyActivated") == 1


@pytest.mark.parametrize("level", ["supervisor", "foreman", "employee", "other"])
def test_below_management_is_accepted_with_a_warning_and_flagged(api: Api, level: str) -> None:
    e = api.enrolment("admitted")
    delegate = api.ok(api.post(f"/api/v1/enrolments/{e['id']}/delegates", person(1, level)), 201)
    assert delegate["below_management"] is True and len(delegate["warnings"]) == 1
    assert delegate["warnings"][0].startswith("Afgevaardigd onder managementniveau")
    assert "Delegated below management level" in delegate["warnings"][0]
    event = next(ev for ev in api.outbox(e["id"]) if ev["type"].endswith("ParticipantDelegated.v2"))
    assert event["data"]["below_management"] is True and event["data"]["job_level"] == level


def test_the_programmes_maximum_is_enforced_and_replacing_stays_within_it(api: Api) -> None:
    programme = api.programme(max_delegates_per_company=2)
    e = api.enrolment("active", programme=programme)  # one delegate already
    second = api.ok(api.post(f"/api/v1/enrolments/{e['id']}/delegates", person(2)), 201)
    over = api.post(f"/api/v1/enrolments/{e['id']}/delegates", person(3))
    assert over.status_code == 409
    assert over.get_json()["max_delegates_per_company"] == 2 and over.get_json()["current_delegates"] == 2
    replacement = api.ok(api.post(f"/api/v1/enrolments/{e['id']}/delegates",
                                  person(3, replaces=second["person_id"])), 201)
    removed = api.outbox(e["id"])[-1]
    validate_event(removed)
    assert removed["type"].endswith("ParticipantRemoved.v1")
    assert removed["data"]["person_id"] == second["person_id"]
    assert removed["data"]["replaced_by"] == replacement["person_id"]
    current = api.ok(api.get(f"/api/v1/enrolments/{e['id']}/delegates"))
    assert current["total"] == 2 and second["person_id"] not in {d["person_id"] for d in current["items"]}
    everyone = api.ok(api.get(f"/api/v1/enrolments/{e['id']}/delegates?include_removed=true"))
    old = next(d for d in everyone["items"] if d["person_id"] == second["person_id"])
    assert old["removed_on"] and old["replaced_by"] == replacement["person_id"]
    first = next(d["person_id"] for d in current["items"] if d["person_id"] != replacement["person_id"])
    duplicate = api.post(f"/api/v1/enrolments/{e['id']}/delegates", person(3, replaces=first))
    assert duplicate.status_code == 409 and duplicate.get_json()["invalid_params"][0]["name"] == "email"
    stranger = api.post(f"/api/v1/enrolments/{e['id']}/delegates", person(9, replaces=second["person_id"]))
    assert stranger.status_code == 422 and stranger.get_json()["invalid_params"][0]["name"] == "replaces"


def test_removing_a_delegate(api: Api) -> None:
    e = api.enrolment("active")
    [delegate] = api.ok(api.get(f"/api/v1/enrolments/{e['id']}/delegates"))["items"]
    path = f"/api/v1/enrolments/{e['id']}/delegates/{delegate['person_id']}"
    assert api.delete(path, role="coordinator").status_code == 403
    response = api.delete(path)
    assert response.status_code == 204
    event = api.outbox(e["id"])[-1]
    validate_event(event)
    assert event["type"].endswith("ParticipantRemoved.v1") and event["data"]["replaced_by"] is None
    assert api.delete(path).status_code == 404
    assert api.ok(api.get(path))["removed_on"]


@pytest.mark.parametrize(("field", "value"), [("name", ""), ("email", "nope"), ("email", None), ("job_level", "boss"),
                                              ("job_level", None), ("phone", "abc"), ("language", "fr"),
                                              ("replaces", "not-a-uuid"), ("age", 40)])
def test_each_bad_delegate_field_is_a_422(api: Api, field: str, value: object) -> None:
    e = api.enrolment("admitted")
    response = api.post(f"/api/v1/enrolments/{e['id']}/delegates", {**person(1), field: value})
    assert response.status_code == 422 and field in [p["name"] for p in response.get_json()["invalid_params"]]
    assert api.ok(api.get(f"/api/v1/enrolments/{e['id']}"))["state"] == "admitted"


def test_follow_up_records_activities_and_the_adoption_level(api: Api) -> None:
    e = api.enrolment("completed")
    path = f"/api/v1/enrolments/{e['id']}/follow-ups"
    first = api.ok(api.post(path, {"activity": "whiteboard_meetings", "occurred_on": "2026-09-01",
                                   "adoption_level": "occasional", "description": "Wekelijks op de bouwplaats"}), 201)
    api.ok(api.post(path, {"activity": "rollout_all_managers", "occurred_on": "2026-10-01",
                           "adoption_level": "structural"}), 201)
    listing = api.ok(api.get(path))
    assert [f["activity"] for f in listing["items"]] == ["whiteboard_meetings", "rollout_all_managers"]
    assert api.ok(api.get(f"/api/v1/enrolments/{e['id']}"))["adoption_level"] == "structural"
    event = [ev for ev in api.outbox(e["id"]) if ev["type"].endswith("FollowUpRecorded.v1")][0]
    validate_event(event)
    assert event["data"] == {"enrolment_id": e["id"], "company_id": e["company_id"], "programme_id": e["programme_id"],
                             "follow_up_id": first["id"], "activity": "whiteboard_meetings",
                             "occurred_on": "2026-09-01", "adoption_level": "occasional"}


def _record(api: Api, enrolment_id: str, occurred_on: str, level: str) -> None:
    api.ok(api.post(f"/api/v1/enrolments/{enrolment_id}/follow-ups", {
        "activity": "own_intervision", "occurred_on": occurred_on, "adoption_level": level}), 201)


def test_a_company_that_stopped_is_no_longer_adopted(api: Api) -> None:
    """The enrolment's level is its latest follow-up's, not the highest ever recorded (issue 15)."""
    e = api.enrolment("completed")
    _record(api, e["id"], "2026-09-01", "structural")
    _record(api, e["id"], "2026-11-01", "none")
    assert api.ok(api.get(f"/api/v1/enrolments/{e['id']}"))["adoption_level"] == "none"


def test_a_follow_up_recorded_late_about_an_earlier_date_does_not_replace_the_latest(api: Api) -> None:
    e = api.enrolment("completed")
    _record(api, e["id"], "2026-11-01", "none")
    _record(api, e["id"], "2026-09-01", "structural")  # entered afterwards, about September
    assert api.ok(api.get(f"/api/v1/enrolments/{e['id']}"))["adoption_level"] == "none"
    # Of one day's follow-ups, the one recorded last counts.
    _record(api, e["id"], "2026-11-01", "occasional")
    assert api.ok(api.get(f"/api/v1/enrolments/{e['id']}"))["adoption_level"] == "occasional"


@pytest.mark.parametrize(("field", "value"), [("activity", "party"), ("activity", None), ("occurred_on", "later"),
                                              ("adoption_level", "always"), ("description", "x" * 2001)])
def test_each_bad_follow_up_field_is_a_422(api: Api, field: str, value: object) -> None:
    e = api.enrolment("active")
    body = {"activity": "own_intervision", "occurred_on": "2026-09-01", "adoption_level": "none", field: value}
    response = api.post(f"/api/v1/enrolments/{e['id']}/follow-ups", body)
    assert response.status_code == 422 and response.get_json()["invalid_params"][0]["name"] == field


def test_a_recorded_follow_up_is_at_its_location(api: Api) -> None:
    e = api.enrolment("active")
    response = api.post(f"/api/v1/enrolments/{e['id']}/follow-ups", {
        "activity": "internal_dialogues", "occurred_on": "2026-09-01", "adoption_level": "occasional"})
    created = api.ok(response, 201)
    assert api.ok(api.get(response.headers["Location"])) == created
    assert api.get(f"/api/v1/enrolments/{e['id']}/follow-ups/{e['id']}").status_code == 404


def test_bad_delegate_list_query_is_422(api: Api) -> None:
    e = api.enrolment("active")
    response = api.get(f"/api/v1/enrolments/{e['id']}/delegates?include_removed=maybe")
    assert response.status_code == 422 and response.get_json()["invalid_params"][0]["name"] == "include_removed"
