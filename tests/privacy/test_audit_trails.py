"""The audit trail in every service: its writes leave rows, fund administrators read them (API and page).

Sessions, notifications and reporting serve the same route and page as enrolment always had: filtered by
exact values, paginated, newest first, and for fund administrators only.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Platform
from tests.support import bearer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def apps(pg_server: Any, db_templates: dict[str, str]) -> Iterator[dict[str, Flask]]:
    from pathlib import Path

    from deploy.infra import KafkaBroker
    platform = Platform(pg_server, KafkaBroker(Path("/nonexistent"), port=1, controller_port=1), db_templates)
    apps = {name: import_module(f"services.{name}.app").create_app(platform.settings(name))
            for name in ("notifications", "reporting")}
    yield apps
    for app in apps.values():
        app.config["POOL"].close()


def admin(app: Flask, sub: str = "fleur") -> dict[str, str]:
    return bearer(app.config["SETTINGS"], "fund_admin", sub=sub)


def entries(client: FlaskClient, headers: dict[str, str], **query: Any) -> dict[str, Any]:
    response = client.get("/api/v1/audit-entries", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def test_notifications_writes_are_in_its_trail_newest_first_and_filtered(apps: dict[str, Flask]) -> None:
    app = apps["notifications"]
    client = app.test_client()
    for n in range(3):
        assert client.put(f"/api/v1/staff/coord-{n}", headers=admin(app), json={
            "role": "coordinator", "name": f"Coördinator {n}", "email": f"c{n}@fonds.nl", "regions": ["Noord"]},
        ).status_code in (200, 201)
    assert client.delete("/api/v1/staff/coord-1", headers=admin(app, "ruud")).status_code in (200, 204)
    page = entries(client, admin(app), page_size=2)
    assert page["total"] == 4 and [e["action"] for e in page["items"]] == ["staff.deleted", "staff.created"]
    assert page["items"][0]["actor"] == "ruud" and page["items"][0]["actor_roles"] == ["fund_admin"]
    assert page["links"]["next"] and entries(client, admin(app), page_size=2, page=2)["items"][1]["subject_id"] == \
        "coord-0"
    assert [e["subject_id"] for e in entries(client, admin(app), action="staff.created")["items"]] == \
        ["coord-2", "coord-1", "coord-0"]
    assert entries(client, admin(app), subject_type="staff", subject_id="coord-1")["total"] == 2
    assert entries(client, admin(app), actor="ruud")["total"] == 1
    bad = client.get("/api/v1/audit-entries", query_string={"page_size": 0}, headers=admin(app))
    assert bad.status_code == 422 and bad.get_json()["invalid_params"][0]["name"] == "page_size"


def test_reporting_writes_are_in_its_trail_and_only_fund_administrators_read_it(apps: dict[str, Flask]) -> None:
    app = apps["reporting"]
    client = app.test_client()
    consumer = bearer(app.config["SETTINGS"], "reporting_consumer", sub="bi-team")
    made = client.post("/api/v1/subscriptions", json={"url": "https://bi.example/hook"}, headers=consumer)
    assert made.status_code == 201, made.get_json()
    [entry] = entries(client, admin(app), subject_id=made.get_json()["id"])["items"]
    assert entry["action"] == "subscription.create" and entry["actor"] == "bi-team"
    assert client.get("/api/v1/audit-entries", headers=consumer).status_code == 403
    assert client.get("/api/v1/audit-entries").status_code == 401


def test_issuing_a_company_report_link_is_in_reportings_trail(apps: dict[str, Flask]) -> None:
    from tests.integration.reporting.scripted import PROGRAMME_ID, build, uid
    from tests.integration.reporting.support import feed_all
    app = apps["reporting"]
    feed_all(app.config["SETTINGS"], build().events)
    company = uid("company", 0)
    client = app.test_client()
    made = client.post(f"/api/v1/programmes/{PROGRAMME_ID}/companies/{company}/report-links", headers=admin(app))
    assert made.status_code == 201, made.get_json()
    [entry] = entries(client, admin(app), action="company_report_link.create")["items"]
    assert entry["subject_id"] == company and entry["details"]["programme_id"] == PROGRAMME_ID
    assert entry["actor"] == "fleur"


def test_the_page_shows_the_trail_in_dutch_with_a_tab_per_service(apps: dict[str, Flask]) -> None:
    app = apps["notifications"]
    client = app.test_client()
    client.put("/api/v1/staff/fac-9", headers=admin(app), json={"role": "facilitator", "name": "Petra",
                                                                 "email": "petra@fonds.nl"})
    html = client.get("/audit?action=staff.created", headers=admin(app)).get_data(as_text=True)
    assert "Auditlog: mail" in html and "Medewerker toegevoegd" in html and "fac-9"[:8] in html
    for tab in ("Inschrijving", "Sessies", "Mail", "Rapportage"):
        assert f">{tab}</a>" in html
    assert "/audit" in html and 'aria-current="page">Mail' in html
    assert "Petra" not in html  # the trail holds ids, no personal data
    ignored = client.get("/audit?subject_id=" + "x" * 200, headers=admin(app)).get_data(as_text=True)
    assert "Een filter klopte niet en is genegeerd" in ignored
    coordinator = bearer(app.config["SETTINGS"], "coordinator", regions=["Noord"])
    assert client.get("/audit", headers=coordinator).status_code == 403


def test_every_service_has_the_same_trail_route_and_page(pg_server: Any, db_templates: dict[str, str]) -> None:
    from pathlib import Path

    from deploy.infra import KafkaBroker
    from services.common.config import SERVICES
    platform = Platform(pg_server, KafkaBroker(Path("/nonexistent"), port=1, controller_port=1), db_templates)
    for name in SERVICES:
        app = import_module(f"services.{name}.app").create_app(platform.settings(name))
        try:
            rules = {r.rule for r in app.url_map.iter_rules()}
            assert {"/api/v1/audit-entries", "/audit"} <= rules, name
            assert app.test_client().get("/api/v1/audit-entries", headers=admin(app)).status_code == 200, name
            # Every trail's page leads to the other three (the menu names enrolment's only).
            html = app.test_client().get("/audit", headers=admin(app)).get_data(as_text=True)
            current = {"enrolment": "Inschrijving", "sessions": "Sessies", "notifications": "Mail",
                       "reporting": "Rapportage"}[name]
            assert f'aria-current="page">{current}</a>' in html and html.count("pa-subnav__link") == 4, name
        finally:
            app.config["POOL"].close()


def test_details_are_words_without_ids_or_personal_data() -> None:
    from flask import Flask

    from services.common.audit_pages import details_text
    with Flask("words").test_request_context():
        text = details_text({"3fa85f64-5717-4562-b3fc-2c963f66afa6": "attended", "attended": 3, "late": True,
                             "role": "facilitator", "evaluation_id": "x", "table": "deliveries", "cleared": ["notes"]})
    assert text == "aanwezig: 3, te laat: ja, rol: begeleider"
