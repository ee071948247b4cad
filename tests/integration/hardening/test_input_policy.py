"""The one input policy, on every service: text, integers, dates, body size, JSON shape, PATCH bodies.

Each case once answered 500 (or silently accepted what it should refuse); now every refusal is a 4xx
problem+json that names the field. Routes are taken from each service's own OpenAPI document, so a new
list or query parameter is covered without touching this file.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from services.common.config import SERVICES
from tests.integration.hardening.conftest import Service

pytestmark = pytest.mark.integration
HUGE = "1" + "0" * 30
PROBLEM = "application/problem+json"


def operations(service: Service, method: str) -> Iterator[tuple[str, dict[str, Any]]]:
    spec = service.client.get("/api/v1/openapi.json").get_json()
    for template, item in spec["paths"].items():
        if method in item:
            path = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), template)
            yield path, item[method]


def query_params(operation: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in operation.get("parameters", []) if p.get("in") == "query"]


def names(response: Any) -> set[str]:
    return {p["name"] for p in response.get_json().get("invalid_params", [])}


def refused(response: Any, status: int, field: str | None = None) -> None:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == PROBLEM
    if field is not None:
        assert field in names(response), response.get_json()


@pytest.mark.parametrize("name", SERVICES)
def test_a_huge_page_number_is_refused_on_every_paginated_list(services: dict[str, Service], name: str) -> None:
    service = services[name]
    lists = [(path, op) for path, op in operations(service, "get")
             if any(p["name"] == "page" for p in query_params(op))]
    assert lists, f"{name} has paginated lists"
    for path, _ in lists:
        refused(service.client.get(f"{path}?page={HUGE}", headers=service.headers()), 422, "page")
        refused(service.client.get(f"{path}?page_size=2.5", headers=service.headers()), 422, "page_size")


def test_the_feed_cursor_must_fit_a_position(services: dict[str, Service]) -> None:
    reporting = services["reporting"]
    refused(reporting.client.get(f"/api/v1/feed?after={HUGE}", headers=reporting.headers()), 422, "after")
    assert reporting.client.get(f"/api/v1/feed?after={2**62}", headers=reporting.headers()).status_code == 200


@pytest.mark.parametrize("name", SERVICES)
@pytest.mark.parametrize("bad", ["a\x00b", "\ud800"])
def test_nul_or_a_lone_surrogate_in_any_query_parameter_is_422(services: dict[str, Service], name: str,
                                                               bad: str) -> None:
    service = services[name]
    value = quote(bad, errors="surrogatepass")
    checked = 0
    for path, op in operations(service, "get"):
        for param in query_params(op):
            response = service.client.get(f"{path}?{param['name']}={value}", headers=service.headers())
            assert response.status_code < 500, (path, param["name"], response.get_data(as_text=True)[:300])
            if bad == "a\x00b":
                refused(response, 422, param["name"])
            checked += 1
    assert checked


BODIES: list[tuple[str, str, str, dict[str, Any], str]] = [
    ("enrolment", "post", "/api/v1/companies", {"name": "Bouw\x00bedrijf", "kvk_number": "12345678",
                                                 "region": "Noord"}, "name"),
    ("enrolment", "post", "/api/v1/programmes", {"name": "P", "regions": ["Noord\ud800"],
                                                  "max_delegates_per_company": 2}, "regions.0"),
    ("notifications", "post", "/api/v1/campaigns", {"name": "C\x00", "steps": [
        {"offset_days": 1, "subject": {"nl": "s"}, "body": {"nl": "b"}}]}, "name"),
    ("notifications", "post", "/api/v1/suppressions", {"person_id": "p\x00"}, "person_id"),
    ("notifications", "put", f"/api/v1/staff/{uuid.uuid4()}", {"role": "facilitator", "name": "Anna",
                                                                "email": "a@x.nl", "language": "nl\x00"},
     "language"),
    ("reporting", "post", "/api/v1/subscriptions", {"url": "https://example.org/\x00hook"}, "url"),
    ("sessions", "post", "/api/v1/sessions", {"programme_id": str(uuid.uuid4()), "type": "dialogue",
                                              "region": "Noord", "format": "online", "starts_at": "x",
                                              "capacity_min": 1, "capacity_max": 2,
                                              "facilitator_ids": ["\ud800"]}, "facilitator_ids.0"),
]


@pytest.mark.parametrize(("name", "method", "path", "body", "field"), BODIES)
def test_nul_or_a_lone_surrogate_in_a_body_field_is_422_naming_it(services: dict[str, Service], name: str,
                                                                  method: str, path: str, body: dict[str, Any],
                                                                  field: str) -> None:
    service = services[name]
    raw = json.dumps(body)  # escapes \u0000 and \ud800 exactly as a client would send them
    response = service.client.open(path, method=method.upper(), data=raw, content_type="application/json",
                                   headers=service.headers())
    refused(response, 422, field)


def test_patch_of_a_company_with_nul_is_422(services: dict[str, Service]) -> None:
    enrolment = services["enrolment"]
    response = enrolment.client.patch(f"/api/v1/companies/{uuid.uuid4()}", json={"name": "a\x00"},
                                      headers=enrolment.headers("fund_admin"))
    refused(response, 422, "name")


@pytest.mark.parametrize("name", SERVICES)
def test_json_shape_limits(services: dict[str, Service], name: str) -> None:
    service = services[name]
    path, op = next((p, o) for p, o in operations(service, "post") if "requestBody" in o)
    headers = {**service.headers(), "Content-Type": "application/json"}
    deep = b"[" * 50_000 + b"]" * 50_000
    refused(service.client.post(path, data=deep, headers=headers), 400, "(body)")
    refused(service.client.post(path, data=b'{"a": 1, "a": 2}', headers=headers), 400, "a")
    refused(service.client.post(path, data=b'{"a": NaN}', headers=headers), 400)
    refused(service.client.post(path, data=b'{"a": "\xff"}', headers=headers), 400)


@pytest.mark.parametrize("name", SERVICES)
def test_a_body_over_the_documented_limit_is_413(services: dict[str, Service], name: str) -> None:
    service = services[name]
    limit = service.settings.max_body_bytes
    assert limit == 1024 * 1024  # the documented default (PROGADMIN_MAX_BODY_BYTES)
    path, _ = next((p, o) for p, o in operations(service, "post") if "requestBody" in o)
    body = b'{"x": "' + b"a" * limit + b'"}'
    refused(service.client.post(path, data=body, headers={**service.headers(), "Content-Type": "application/json"}),
            413)



def test_integers_are_strict_and_dates_sane(services: dict[str, Service]) -> None:
    enrolment = services["enrolment"]
    headers = enrolment.headers("fund_admin")
    base = {"name": "Strikt", "regions": ["Noord"], "max_delegates_per_company": 2}
    for value in (2.5, "2", True, 10**30):
        response = enrolment.client.post("/api/v1/programmes", json={**base, "max_delegates_per_company": value},
                                         headers=headers)
        refused(response, 422, "max_delegates_per_company")
    refused(enrolment.client.post("/api/v1/programmes", json={**base, "period_start": "9999-12-31"},
                                  headers=headers), 422, "period_start")
    refused(enrolment.client.post("/api/v1/programmes", json={**base, "session_rules": {"online_facilitators": 1.5}},
                                  headers=headers), 422, "session_rules.online_facilitators")
    ok = enrolment.client.post("/api/v1/programmes", json={**base, "max_delegates_per_company": 2.0}, headers=headers)
    assert ok.status_code == 201 and ok.get_json()["max_delegates_per_company"] == 2


def test_a_patch_without_a_body_changes_nothing_and_says_so(services: dict[str, Service]) -> None:
    enrolment = services["enrolment"]
    headers = enrolment.headers("fund_admin")
    programme = enrolment.client.post("/api/v1/programmes", json={"name": "Leeg", "regions": ["Noord"],
                                                                  "max_delegates_per_company": 2}, headers=headers)
    assert programme.status_code == 201
    empty: list[dict[str, Any]] = [{}, {"json": {}}]
    for kwargs in empty:
        refused(enrolment.client.patch(f"/api/v1/programmes/{programme.get_json()['id']}", headers=headers,
                                       **kwargs), 422, "(body)")


@pytest.mark.parametrize("name", SERVICES)
def test_a_405_says_which_methods_are_allowed(services: dict[str, Service], name: str) -> None:
    service = services[name]
    response = service.client.delete("/api/v1/openapi.json")
    refused(response, 405)
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"GET"}
