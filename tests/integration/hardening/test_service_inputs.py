"""Service-specific input defects of issue 12: each answered 500 or accepted what it should refuse."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from openpyxl import load_workbook

from services.common.events import new_event, validate_event
from services.common.signed_links import InvalidLink, sign, verify
from tests.integration.hardening.conftest import Service
from tests.integration.reporting.support import feed_all
from tests.integration.sessions.world import RULES

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"


def names(response: Any) -> set[str]:
    return {p["name"] for p in (response.get_json() or {}).get("invalid_params", [])}


def test_a_non_ascii_link_token_is_refused_not_a_crash() -> None:
    with pytest.raises(InvalidLink):
        verify("secret", "a.\u00e9", "confirm")
    with pytest.raises(InvalidLink):
        verify("secret", sign("secret", "confirm", {}, 60) + "\u00e9", "confirm")


@pytest.mark.parametrize(("name", "method", "path"), [
    ("sessions", "GET", "/api/v1/links/confirm?token=a.%C3%A9"),
    ("sessions", "GET", "/api/v1/links/cancel?token=%C3%A9.%C3%A9"),
    ("notifications", "POST", "/api/v1/unsubscribe?token=a.%C3%A9"),
    ("notifications", "GET", "/api/v1/unsubscribe?token=a.%C3%A9"),
    ("reporting", "GET", "/api/v1/company-reports/a.%C3%A9"),
])
def test_non_ascii_signed_link_tokens_get_a_clean_4xx_without_authentication(
        services: dict[str, Service], name: str, method: str, path: str) -> None:
    response = services[name].client.open(path, method=method)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]


# -- enrolment ---------------------------------------------------------------------------------
def programme(enrolment: Service, regions: list[str]) -> dict[str, Any]:
    response = enrolment.client.post("/api/v1/programmes", json={
        "name": "Steden", "regions": regions, "max_delegates_per_company": 2}, headers=enrolment.headers("fund_admin"))
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def company(enrolment: Service, region: str, **extra: Any) -> Any:
    return enrolment.client.post("/api/v1/companies", json={
        "name": "Bouw BV", "kvk_number": f"{uuid.uuid4().int % 10**8:08d}", "region": region, **extra},
        headers=enrolment.headers("fund_admin"))


def test_regions_are_data_city_names_work_end_to_end_in_enrolment(services: dict[str, Service]) -> None:
    enrolment = services["enrolment"]
    cities = programme(enrolment, ["Amsterdam", "Utrecht", " Den Haag "])
    assert cities["regions"] == ["Amsterdam", "Utrecht", "Den Haag"]  # trimmed
    opened = enrolment.client.post(f"/api/v1/programmes/{cities['id']}/opening",
                                   headers=enrolment.headers("fund_admin"))
    assert opened.status_code == 200, opened.get_json()  # ProgrammeOpened with city regions is a valid event
    den_haag = company(enrolment, "Den Haag")
    assert den_haag.status_code == 201, den_haag.get_json()
    enrolled = enrolment.client.post("/api/v1/enrolments", json={
        "company_id": den_haag.get_json()["id"], "programme_id": cities["id"]}, headers=enrolment.headers("fund_admin"))
    assert enrolled.status_code == 201, enrolled.get_json()
    # A company of a region the programme does not run in cannot join it.
    zwolle = company(enrolment, "Zwolle")
    assert zwolle.status_code == 201
    refused = enrolment.client.post("/api/v1/enrolments", json={
        "company_id": zwolle.get_json()["id"], "programme_id": cities["id"]}, headers=enrolment.headers("fund_admin"))
    assert refused.status_code == 422 and "company_id" in names(refused)
    # A coordinator of Den Haag sees that company.
    seen = enrolment.client.get("/api/v1/companies?region=Den%20Haag",
                                headers=enrolment.headers("coordinator", regions=["Den Haag"]))
    assert seen.status_code == 200 and den_haag.get_json()["id"] in {c["id"] for c in seen.get_json()["items"]}


@pytest.mark.parametrize("regions", [["Utrecht", "Utrecht"], ["Utrecht", " Utrecht"], [], [""], ["x" * 101],
                                     ["Den\tHaag"]])
def test_a_programmes_regions_are_distinct_non_empty_one_line_names(services: dict[str, Service],
                                                                    regions: list[str]) -> None:
    enrolment = services["enrolment"]
    response = enrolment.client.post("/api/v1/programmes", json={
        "name": "P", "regions": regions, "max_delegates_per_company": 2}, headers=enrolment.headers("fund_admin"))
    assert response.status_code == 422 and {n.split(".")[0] for n in names(response)} == {"regions"}


def test_two_directors_whose_emails_differ_only_in_case_are_refused(services: dict[str, Service]) -> None:
    enrolment = services["enrolment"]
    created = company(enrolment, "Noord", directors=[{"name": "Anna", "email": "anna@bouw.nl"}])
    assert created.status_code == 201
    twice = [{"name": "Anna", "email": "anna@bouw.nl"}, {"name": "Anna B", "email": "Anna@Bouw.NL"}]
    response = enrolment.client.patch(f"/api/v1/companies/{created.get_json()['id']}", json={"directors": twice},
                                      headers=enrolment.headers("fund_admin"))
    assert response.status_code == 422 and "directors" in names(response), response.get_json()
    assert company(enrolment, "Noord", directors=twice).status_code == 422


def test_a_name_with_a_control_character_is_refused(services: dict[str, Service]) -> None:
    enrolment = services["enrolment"]
    response = enrolment.client.post("/api/v1/programmes", json={
        "name": "Veilig\x07", "regions": ["Noord"], "max_delegates_per_company": 2},
        headers=enrolment.headers("fund_admin"))
    assert response.status_code == 422 and names(response) == {"name"}


# -- sessions ----------------------------------------------------------------------------------
def sessions_programme(sessions: Service, regions: list[str]) -> str:
    from services.common.consumer import EventConsumer
    from services.sessions.handlers import handlers

    pid = str(uuid.uuid4())
    event = new_event("enrolment", "ProgrammeOpened", pid, {
        "programme_id": pid, "name": "Steden", "regions": regions, "planned_sessions": {"dialogue": 2},
        "max_delegates_per_company": 2, "session_rules": RULES})
    validate_event(event)
    EventConsumer(sessions.settings, sessions.app.config["POOL"], "t", [], handlers(sessions.settings)).apply(event)
    return pid


def session_body(pid: str, **overrides: Any) -> dict[str, Any]:
    starts = (datetime.now(UTC) + timedelta(days=30)).replace(hour=9, minute=0, second=0, microsecond=0)
    return {"programme_id": pid, "type": "dialogue", "region": "Den Haag", "format": "regional_venue",
            "venue_address": "Spui 70, Den Haag", "starts_at": starts.isoformat(), "duration_minutes": 120,
            "capacity_min": 2, "capacity_max": 10, "facilitator_ids": ["fenna"], **overrides}


def test_sessions_take_a_programmes_city_regions_and_only_those(services: dict[str, Service]) -> None:
    sessions = services["sessions"]
    pid = sessions_programme(sessions, ["Amsterdam", "Utrecht", "Den Haag"])
    coordinator = sessions.headers("coordinator", regions=["Den Haag"])
    created = sessions.client.post("/api/v1/sessions", json=session_body(pid), headers=coordinator)
    assert created.status_code == 201, created.get_json()
    listed = sessions.client.get("/api/v1/sessions?region=Den%20Haag", headers=coordinator)
    assert created.get_json()["id"] in {s["id"] for s in listed.get_json()["items"]}
    elsewhere = sessions.client.post("/api/v1/sessions", json=session_body(pid, region="Noord"),
                                     headers=sessions.headers("fund_admin"))
    assert elsewhere.status_code == 422 and "region" in names(elsewhere)
    feed = sessions.client.post("/api/v1/calendar-feeds", json={"kind": "region", "subject": "Den Haag"},
                                headers=coordinator)
    assert feed.status_code == 201, feed.get_json()


@pytest.mark.parametrize(("overrides", "field"), [
    ({"starts_at": "9999-12-31T23:00:00+00:00"}, "starts_at"),
    ({"starts_at": "2031-03-20T10:00:00"}, "starts_at"),  # no offset: RFC 3339 needs one
    ({"facilitator_ids": [f"f{i}" for i in range(500)]}, "facilitator_ids"),
    ({"facilitator_ids": [f"f{i}" for i in range(11)]}, "facilitator_ids"),
    ({"sequence_number": 2**40}, "sequence_number"),
    ({"region": ""}, "region"),
])
def test_a_session_plan_out_of_bounds_is_422(services: dict[str, Service], overrides: dict[str, Any],
                                             field: str) -> None:
    sessions = services["sessions"]
    pid = sessions_programme(sessions, ["Den Haag"])
    response = sessions.client.post("/api/v1/sessions", json=session_body(pid, **overrides),
                                    headers=sessions.headers("fund_admin"))
    assert response.status_code == 422, response.get_json()
    assert field in names(response) and response.mimetype == PROBLEM


def test_ten_facilitators_are_fine(services: dict[str, Service]) -> None:
    sessions = services["sessions"]
    pid = sessions_programme(sessions, ["Den Haag"])
    response = sessions.client.post("/api/v1/sessions", json=session_body(
        pid, facilitator_ids=[f"f{uuid.uuid4().hex[:6]}" for _ in range(10)]), headers=sessions.headers("fund_admin"))
    assert response.status_code == 201, response.get_json()


# -- notifications -------------------------------------------------------------------------------
def test_staff_regions_are_any_region_names(services: dict[str, Service]) -> None:
    notifications = services["notifications"]
    headers = notifications.headers("fund_admin")
    ok = notifications.client.put("/api/v1/staff/coco", json={
        "role": "coordinator", "name": "Coco", "email": "coco@fonds.nl", "regions": ["Den Haag", "Utrecht"]},
        headers=headers)
    assert ok.status_code in (200, 201), ok.get_json()
    assert ok.get_json()["regions"] == ["Den Haag", "Utrecht"]
    listed = notifications.client.get("/api/v1/staff?region=Den%20Haag", headers=headers).get_json()
    assert "coco" in {s["staff_id"] for s in listed["items"]}
    none = notifications.client.put("/api/v1/staff/coco", json={
        "role": "coordinator", "name": "Coco", "email": "coco@fonds.nl", "regions": []}, headers=headers)
    assert none.status_code == 422 and "regions" in names(none)


# -- reporting -----------------------------------------------------------------------------------
def test_the_xlsx_final_report_works_for_a_name_with_a_control_character(services: dict[str, Service]) -> None:
    reporting = services["reporting"]
    pid = str(uuid.uuid4())
    name = "Veilig\x07 werken"  # stored before names were checked at input, or sent by an older producer
    event = new_event("enrolment", "ProgrammeOpened", pid, {
        "programme_id": pid, "name": name, "regions": ["Den Haag"], "planned_sessions": {"dialogue": 1},
        "max_delegates_per_company": 2, "session_rules": RULES})
    feed_all(reporting.settings, [event])
    with psycopg.connect(reporting.settings.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM programmes WHERE programme_id = %s", (pid,)).fetchone() == (1,)
    report = f"/api/v1/programmes/{pid}/final-report"
    headers = reporting.headers("fund_admin")
    as_json = reporting.client.get(report, headers=headers)
    assert as_json.status_code == 200 and as_json.get_json()["programme"]["name"] == name
    xlsx = reporting.client.get(f"{report}?format=xlsx", headers=headers)
    assert xlsx.status_code == 200, xlsx.get_data(as_text=True)[:300]
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    assert sheet is not None and sheet["B1"].value == "Veilig werken"
    for fmt in ("csv", "html"):
        assert reporting.client.get(f"{report}?format={fmt}", headers=headers).status_code == 200
