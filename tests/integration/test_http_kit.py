"""The HTTP kit through enrolment's company routes, on a real database."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.common.config import Settings
from services.enrolment.app import create_app
from tests.conftest import Platform
from tests.support import bearer

pytestmark = pytest.mark.integration


@pytest.fixture
def app(db_only: Platform) -> Iterator[Flask]:
    app = create_app(db_only.settings("enrolment"))
    yield app
    app.config["POOL"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def admin(app: Flask) -> dict[str, str]:
    return bearer(app.config["SETTINGS"], "fund_admin")


def company(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {"name": "Bouwbedrijf De Vries", "kvk_number": "12345678", "region": "Noord"}
    body.update(overrides)
    return body


def outbox_types(settings: Settings) -> list[str]:
    with psycopg.connect(settings.database_url) as conn:
        return [r[0] for r in conn.execute("SELECT event_type FROM outbox ORDER BY id")]


def test_register_company_creates_it_with_location_event_and_audit(app: Flask, client: FlaskClient) -> None:
    response = client.post("/api/v1/companies", json=company(), headers={**admin(app), "X-Correlation-ID": "req-1"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert uuid.UUID(body["id"])
    assert response.headers["Location"] == f"/api/v1/companies/{body['id']}"
    assert response.headers["X-Correlation-ID"] == "req-1"
    assert client.get(response.headers["Location"], headers=admin(app)).get_json()["name"] == "Bouwbedrijf De Vries"
    settings = app.config["SETTINGS"]
    assert outbox_types(settings) == ["progadmin.enrolment.CompanyRegistered.v1"]
    with psycopg.connect(settings.database_url) as conn:
        payload = conn.execute("SELECT payload FROM outbox").fetchone()[0]
        audit = conn.execute("SELECT actor, action, correlation_id FROM audit_log").fetchall()
    assert payload["correlationid"] == "req-1" and payload["subject"] == body["id"]
    assert audit == [("tester", "company.register", "req-1")]


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("name", "", "Length must be between 1 and 200."),
    ("kvk_number", "1234567", "must be exactly 8 digits"),
    ("kvk_number", "1234567a", "must be exactly 8 digits"),
    ("region", "  ", "Length must be between 1 and 100."),  # regions are data: any name, but not blank
    ("region", "Den\nHaag", "must not contain control characters (one line of text)"),
    ("name", None, "Field may not be null."),
])
def test_each_invalid_field_is_named_in_a_422_problem_and_nothing_changes(
        app: Flask, client: FlaskClient, field: str, value: object, reason: str) -> None:
    response = client.post("/api/v1/companies", json=company(**{field: value}), headers=admin(app))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 422 and problem["type"].endswith("invalid-input")
    assert {"name": field, "reason": reason} in problem["invalid_params"]
    assert outbox_types(app.config["SETTINGS"]) == []


def test_every_missing_field_is_listed(app: Flask, client: FlaskClient) -> None:
    response = client.post("/api/v1/companies", json={"unexpected": 1}, headers=admin(app))
    assert response.status_code == 422
    names = {p["name"] for p in response.get_json()["invalid_params"]}
    assert names == {"name", "kvk_number", "region", "unexpected"}


def test_duplicate_kvk_number_is_a_409_with_the_field(app: Flask, client: FlaskClient) -> None:
    assert client.post("/api/v1/companies", json=company(), headers=admin(app)).status_code == 201
    response = client.post("/api/v1/companies", json=company(name="Other"), headers=admin(app))
    assert response.status_code == 409
    assert response.get_json()["invalid_params"] == [{"name": "kvk_number", "reason": "already registered"}]
    assert len(outbox_types(app.config["SETTINGS"])) == 1


def test_authentication_and_roles(app: Flask, client: FlaskClient) -> None:
    settings = app.config["SETTINGS"]
    no_token = client.post("/api/v1/companies", json=company())
    assert no_token.status_code == 401 and no_token.headers["WWW-Authenticate"].startswith("Bearer")
    forged = client.post("/api/v1/companies", json=company(),
                         headers={"Authorization": "Bearer " + "x.y.z"})
    assert forged.status_code == 401
    for role in ("coordinator", "facilitator", "reporting_consumer"):
        response = client.post("/api/v1/companies", json=company(), headers=bearer(settings, role, regions=["Noord"]))
        assert response.status_code == 403, role
    assert client.get("/api/v1/companies", headers=bearer(settings, "facilitator")).status_code == 403


def test_coordinators_see_only_their_regions(app: Flask, client: FlaskClient) -> None:
    settings = app.config["SETTINGS"]
    ids = {}
    for i, region in enumerate(["Noord", "Midden", "Zuid"]):
        r = client.post("/api/v1/companies", json=company(kvk_number=f"1000000{i}", region=region, name=region),
                        headers=admin(app))
        ids[region] = r.get_json()["id"]
    noord = bearer(settings, "coordinator", regions=["Noord"])
    listing = client.get("/api/v1/companies", headers=noord).get_json()
    assert [c["region"] for c in listing["items"]] == ["Noord"] and listing["total"] == 1
    assert client.get(f"/api/v1/companies/{ids['Zuid']}", headers=noord).status_code == 404
    assert client.get(f"/api/v1/companies/{ids['Noord']}", headers=noord).status_code == 200


def test_lists_paginate_with_links_and_a_bounded_page_size(app: Flask, client: FlaskClient) -> None:
    for i in range(5):
        client.post("/api/v1/companies", json=company(kvk_number=f"2000000{i}", name=f"B{i}"), headers=admin(app))
    first = client.get("/api/v1/companies?page_size=2&region=Noord", headers=admin(app)).get_json()
    assert first["total"] == 5 and [c["name"] for c in first["items"]] == ["B0", "B1"]
    assert first["links"]["prev"] is None
    second = client.get(first["links"]["next"], headers=admin(app)).get_json()
    assert [c["name"] for c in second["items"]] == ["B2", "B3"] and "region=Noord" in first["links"]["next"]
    too_big = client.get("/api/v1/companies?page_size=101", headers=admin(app))
    assert too_big.status_code == 422 and too_big.get_json()["invalid_params"][0]["name"] == "page_size"


def test_idempotency_key_replays_the_first_response(app: Flask, client: FlaskClient) -> None:
    headers = {**admin(app), "Idempotency-Key": "abc-1"}
    first = client.post("/api/v1/companies", json=company(), headers=headers)
    again = client.post("/api/v1/companies", json=company(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(outbox_types(app.config["SETTINGS"])) == 1
    reused = client.post("/api/v1/companies", json=company(name="Different"), headers=headers)
    assert reused.status_code == 422 and reused.get_json()["type"].endswith("idempotency-key-reused")


def test_concurrent_retries_with_one_key_create_one_company(app: Flask) -> None:
    headers = {**admin(app), "Idempotency-Key": "race-1"}
    statuses: list[int] = []

    def post() -> None:
        statuses.append(app.test_client().post("/api/v1/companies", json=company(), headers=headers).status_code)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 8
    assert len(outbox_types(app.config["SETTINGS"])) == 1


def test_a_failed_request_does_not_burn_its_idempotency_key(app: Flask, client: FlaskClient) -> None:
    headers = {**admin(app), "Idempotency-Key": "k-422"}
    assert client.post("/api/v1/companies", json=company(region=" "), headers=headers).status_code == 422
    # The stored answer to that key is the 422: same body, same answer.
    replay = client.post("/api/v1/companies", json=company(region=" "), headers=headers)
    assert replay.status_code == 422 and replay.headers["Idempotent-Replayed"] == "true"


def test_a_refused_use_case_keeps_its_key_and_stored_answer_but_none_of_its_writes(
        app: Flask, client: FlaskClient) -> None:
    """The 409 comes after the contact person was inserted: the savepoint after the claim undoes that insert,
    the claim and the stored 409 commit, and the next request on the same pooled connection starts clean."""
    settings = app.config["SETTINGS"]
    assert client.post("/api/v1/companies", json=company(), headers=admin(app)).status_code == 201

    def persons() -> int:
        with psycopg.connect(settings.database_url) as conn:
            row = conn.execute("SELECT count(*) FROM persons").fetchone()
            return int(row[0]) if row else 0

    before = persons()
    contact = {"name": "Els de Boer", "email": "els@example.nl"}
    headers = {**admin(app), "Idempotency-Key": "dup-kvk-1"}
    refused = client.post("/api/v1/companies", json=company(name="Other", contact_person=contact), headers=headers)
    assert refused.status_code == 409 and persons() == before
    replay = client.post("/api/v1/companies", json=company(name="Other", contact_person=contact), headers=headers)
    assert replay.status_code == 409 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json() == refused.get_json()
    again = client.post("/api/v1/companies", json=company(kvk_number="87654321", contact_person=contact),
                        headers={**admin(app), "Idempotency-Key": "after-dup-1"})
    assert again.status_code == 201 and persons() == before + 1
    assert len(outbox_types(settings)) == 2


def test_the_database_lost_at_commit_is_a_503_and_the_retry_runs_once(
        app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The connection dies while the response is stored and committed: 503 with Retry-After (not 500), nothing
    kept, and the retry with the same key registers the company once."""
    from services.common import idempotency

    # Same five parameters as the real statement; the server ends this very connection instead.
    monkeypatch.setattr(idempotency, "_STORE", "SELECT pg_terminate_backend(pg_backend_pid()) WHERE %s::int > 0"
                        " AND %s::bytea IS NOT NULL AND %s::jsonb IS NOT NULL AND %s::text <> %s::text")
    headers = {**admin(app), "Idempotency-Key": "lost-at-commit-1"}
    lost = client.post("/api/v1/companies", json=company(), headers=headers)
    assert lost.status_code == 503 and lost.headers["Retry-After"] == "5"
    assert outbox_types(app.config["SETTINGS"]) == []
    monkeypatch.undo()
    retry = client.post("/api/v1/companies", json=company(), headers=headers)
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    assert client.post("/api/v1/companies", json=company(), headers=headers).headers["Idempotent-Replayed"] == "true"
    assert len(outbox_types(app.config["SETTINGS"])) == 1


def test_a_failing_last_write_sent_with_the_commit_keeps_nothing_and_the_retry_runs_once(
        app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A use case's last writes go to PostgreSQL with the stored response and COMMIT (db.trailing_writes): one
    of them failing there is a 500 and nothing commits (company, outbox, key), with or without a key; the
    retry with the same key then registers the company once."""
    from services.enrolment import db

    settings = app.config["SETTINGS"]

    def failing(conn: psycopg.Connection[object], *args: object, **kwargs: object) -> None:
        conn.execute("SELECT 1 / 0")

    def companies() -> int:
        with psycopg.connect(settings.database_url) as conn:
            row = conn.execute("SELECT count(*) FROM companies").fetchone()
            return int(row[0]) if row else 0

    monkeypatch.setattr(db, "set_directors", failing)
    headers = {**admin(app), "Idempotency-Key": "fails-late-1"}
    assert client.post("/api/v1/companies", json=company(), headers=headers).status_code == 500
    assert client.post("/api/v1/companies", json=company(), headers=admin(app)).status_code == 500
    assert companies() == 0 and outbox_types(settings) == []
    monkeypatch.undo()
    retry = client.post("/api/v1/companies", json=company(), headers=headers)
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    assert companies() == 1 and outbox_types(settings) == ["progadmin.enrolment.CompanyRegistered.v1"]


def test_health_metrics_openapi_and_docs(app: Flask, client: FlaskClient) -> None:
    assert client.get("/livez").get_json()["status"] == "ok"
    ready = client.get("/readyz")
    # Ready on the database alone: this app's Kafka address is deliberately unreachable, which /metrics says.
    assert ready.status_code == 200 and ready.get_json()["checks"] == {"database": "ok"}
    client.get("/api/v1/companies", headers=admin(app))
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'http_requests_total{endpoint="companies.list_companies"' in metrics
    assert 'progadmin_kafka_reachable{service="enrolment"} 0.0' in metrics
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1") and "/api/v1/companies" in spec["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"swagger-ui" in docs.data
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert json.loads(missing.data)["instance"] == "/api/v1/nothing-here"


def test_readyz_is_ready_with_database_and_kafka(platform: Platform) -> None:
    app = create_app(platform.settings("enrolment"))
    try:
        ready = app.test_client().get("/readyz")
        assert ready.status_code == 200, ready.get_json()
    finally:
        app.config["POOL"].close()
