"""Access on every route: fund_admin writes and reads; coordinators read programmes and, in their own regions,
companies, enrolments, delegates and follow-up; facilitators and reporting consumers get nothing.

The route table is checked against the app's URL map, so a new route without an access rule fails here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.integration.enrolment.support import Api

pytestmark = pytest.mark.integration

COORDINATOR_READS = {
    "GET /api/v1/programmes", "GET /api/v1/programmes/<uuid:programme_id>",
    "GET /api/v1/companies", "GET /api/v1/companies/<uuid:company_id>",
    "GET /api/v1/enrolments", "GET /api/v1/enrolments/<uuid:enrolment_id>",
    "GET /api/v1/enrolments/<uuid:enrolment_id>/delegates",
    "GET /api/v1/enrolments/<uuid:enrolment_id>/delegates/<uuid:person_id>",
    "GET /api/v1/enrolments/<uuid:enrolment_id>/follow-ups",
    "GET /api/v1/enrolments/<uuid:enrolment_id>/follow-ups/<uuid:follow_up_id>",
}
FUND_ADMIN_ONLY = {
    "POST /api/v1/programmes", "PATCH /api/v1/programmes/<uuid:programme_id>",
    "POST /api/v1/programmes/<uuid:programme_id>/opening", "POST /api/v1/programmes/<uuid:programme_id>/closing",
    "POST /api/v1/companies", "PATCH /api/v1/companies/<uuid:company_id>",
    "POST /api/v1/enrolments",
    "POST /api/v1/enrolments/<uuid:enrolment_id>/intakes", "GET /api/v1/enrolments/<uuid:enrolment_id>/intakes",
    "GET /api/v1/enrolments/<uuid:enrolment_id>/intakes/<uuid:intake_id>",
    "POST /api/v1/enrolments/<uuid:enrolment_id>/intakes/<uuid:intake_id>/rescheduling",
    "POST /api/v1/enrolments/<uuid:enrolment_id>/intakes/<uuid:intake_id>/outcome",
    "POST /api/v1/enrolments/<uuid:enrolment_id>/admission", "POST /api/v1/enrolments/<uuid:enrolment_id>/declination",
    "POST /api/v1/enrolments/<uuid:enrolment_id>/withdrawal", "POST /api/v1/enrolments/<uuid:enrolment_id>/completion",
    "POST /api/v1/enrolments/<uuid:enrolment_id>/delegates",
    "DELETE /api/v1/enrolments/<uuid:enrolment_id>/delegates/<uuid:person_id>",
    "POST /api/v1/enrolments/<uuid:enrolment_id>/follow-ups",
    "GET /api/v1/persons", "GET /api/v1/persons/<uuid:person_id>/export",
    "GET /api/v1/persons/<uuid:person_id>/complete-export",
    "POST /api/v1/persons/<uuid:person_id>/erasure", "GET /api/v1/audit-entries",
}


def api_routes(app: Flask) -> set[str]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and not rule.rule.startswith(("/api/v1/openapi", "/api/v1/docs")):
            routes |= {f"{m} {rule.rule}" for m in rule.methods or () if m not in ("HEAD", "OPTIONS")}
    return routes


def test_every_route_has_an_access_rule(module_app: Flask) -> None:
    assert api_routes(module_app) == COORDINATOR_READS | FUND_ADMIN_ONLY


@pytest.fixture(scope="module")
def ids(module_app: Flask) -> dict[str, str]:
    api = Api(module_app, module_app.test_client())
    e = api.enrolment("active")
    follow_up = api.ok(api.post(f"/api/v1/enrolments/{e['id']}/follow-ups", {
        "activity": "own_intervision", "occurred_on": "2026-09-01", "adoption_level": "occasional"}), 201)
    [delegate] = api.ok(api.get(f"/api/v1/enrolments/{e['id']}/delegates"))["items"]
    return {"enrolment_id": e["id"], "programme_id": e["programme_id"], "company_id": e["company_id"],
            "intake_id": e["intake_id"], "person_id": delegate["person_id"], "follow_up_id": follow_up["id"]}


def call(api: Api, route: str, ids: dict[str, str], role: str, regions: list[str]) -> Any:
    method, rule = route.split(" ", 1)
    path = re.sub(r"<uuid:(\w+)>", lambda m: ids[m.group(1)], rule)
    if path == "/api/v1/persons":
        path += "?email=someone@example.nl"
    return api.client.open(path, method=method, json={} if method in ("POST", "PATCH") else None,
                           headers=api.headers(role, regions))


@pytest.mark.parametrize("route", sorted(COORDINATOR_READS | FUND_ADMIN_ONLY))
@pytest.mark.parametrize("role", ["facilitator", "reporting_consumer"])
def test_facilitators_and_reporting_consumers_get_403_everywhere(api: Api, ids: dict[str, str], route: str,
                                                                 role: str) -> None:
    assert call(api, route, ids, role, ["Noord"]).status_code == 403


@pytest.mark.parametrize("route", sorted(FUND_ADMIN_ONLY))
def test_coordinators_get_403_on_writes_and_fund_only_reads(api: Api, ids: dict[str, str], route: str) -> None:
    assert call(api, route, ids, "coordinator", ["Noord"]).status_code == 403


@pytest.mark.parametrize("route", sorted(COORDINATOR_READS))
def test_coordinators_read_in_their_region_and_get_404_elsewhere(api: Api, ids: dict[str, str], route: str) -> None:
    assert call(api, route, ids, "coordinator", ["Noord"]).status_code == 200
    regional = "programme" not in route and route not in ("GET /api/v1/companies", "GET /api/v1/enrolments")
    if regional:
        assert call(api, route, ids, "coordinator", ["Zuid", "Midden"]).status_code == 404


@pytest.mark.parametrize("route", sorted(COORDINATOR_READS | FUND_ADMIN_ONLY))
def test_no_token_is_401(api: Api, ids: dict[str, str], route: str) -> None:
    method, rule = route.split(" ", 1)
    path = re.sub(r"<uuid:(\w+)>", lambda m: ids[m.group(1)], rule)
    assert api.client.open(path, method=method, json={}).status_code == 401
