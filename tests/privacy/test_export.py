"""A person's export: every service answers for its own tables, enrolment gathers the four in one document.

The four apps run in-process, the other three served over real HTTP (tests/privacy/serving.py), so the
complete export makes the calls it makes in production, with the caller's own token.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from importlib import import_module
from typing import Any

import psycopg
import pytest
from flask import Flask

from services.common.config import SERVICES
from tests.conftest import Platform
from tests.integration.enrolment.support import Api
from tests.privacy.serving import served
from tests.support import bearer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def apps(pg_server: Any, db_templates: dict[str, str]) -> Iterator[dict[str, Flask]]:
    from pathlib import Path

    from deploy.infra import KafkaBroker
    platform = Platform(pg_server, KafkaBroker(Path("/nonexistent"), port=1, controller_port=1), db_templates)
    apps = {name: import_module(f"services.{name}.app").create_app(platform.settings(name)) for name in SERVICES}
    with served({name: app for name, app in apps.items() if name != "enrolment"}):
        yield apps
    for app in apps.values():
        app.config["POOL"].close()


def db(app: Flask) -> psycopg.Connection[Any]:
    return psycopg.connect(app.config["SETTINGS"].database_url, autocommit=True)


def a_delegate_known_everywhere(apps: dict[str, Flask]) -> tuple[str, dict[str, Any]]:
    """A delegate made through enrolment's API, with what the other services would have from its events."""
    api = Api(apps["enrolment"], apps["enrolment"].test_client())
    e = api.enrolment("active")
    [delegate] = api.ok(api.get(f"/api/v1/enrolments/{e['id']}/delegates"))["items"]
    person = delegate["person_id"]
    with db(apps["sessions"]) as conn:
        conn.execute("INSERT INTO delegates (programme_id, person_id, enrolment_id, company_id, region, job_level,"
                     " name) VALUES (%s, %s, %s, %s, 'Noord', 'manager', 'Piet Kader')",
                     (e["programme_id"], person, e["id"], e["company_id"]))
        conn.execute("INSERT INTO no_show_alerts (person_id, session_id) VALUES (%s, %s)", (person, uuid.uuid4()))
    with db(apps["notifications"]) as conn:
        conn.execute("INSERT INTO recipients (person_id, role, name, email, language) VALUES"
                     " (%s, 'participant', 'Piet Kader', 'piet@ex.nl', 'nl')", (person,))
        conn.execute("INSERT INTO deliveries (id, event_id, kind, recipient_id, status, send_after) VALUES"
                     " (%s, 'e-1', 'session_invitation', %s, 'sent', now())", (uuid.uuid4(), person))
    with db(apps["reporting"]) as conn:
        conn.execute("INSERT INTO delegates (enrolment_id, person_id, company_id, programme_id, job_level)"
                     " VALUES (%s, %s, %s, %s, 'manager')", (e["id"], person, e["company_id"], e["programme_id"]))
    return person, e


def test_one_request_gathers_a_section_from_every_service(apps: dict[str, Flask]) -> None:
    person, e = a_delegate_known_everywhere(apps)
    admin = bearer(apps["enrolment"].config["SETTINGS"], "fund_admin", sub="fleur")
    response = apps["enrolment"].test_client().get(f"/api/v1/persons/{person}/complete-export", headers=admin)
    assert response.status_code == 200, response.get_json()
    document = response.get_json()
    assert document["person_id"] == person
    assert set(document["services"]) == set(SERVICES)
    enrolment = document["services"]["enrolment"]
    assert enrolment["person"]["name"] == "Piet Kader"
    assert [d["enrolment_id"] for d in enrolment["delegations"]] == [e["id"]]
    sessions = document["services"]["sessions"]
    assert sessions["service"] == "sessions"
    assert [d["name"] for d in sessions["tables"]["delegates"]] == ["Piet Kader"]
    assert len(sessions["tables"]["no_show_alerts"]) == 1
    notifications = document["services"]["notifications"]["tables"]
    assert notifications["recipients"][0]["email"] == "piet@ex.nl"
    assert [d["kind"] for d in notifications["deliveries"]] == ["session_invitation"]
    assert document["services"]["reporting"]["tables"]["delegates"][0]["job_level"] == "manager"
    # Each service wrote who asked into its own trail (enrolment too, for its own section); enrolment also that
    # it gathered everything.
    for name in SERVICES:
        with db(apps[name]) as conn:
            rows = conn.execute("SELECT actor, details FROM audit_log WHERE action = 'person.export'"
                                " AND subject_id = %s", (person,)).fetchall()
        assert [r[0] for r in rows] == ["fleur"], name
    with db(apps["enrolment"]) as conn:
        [(actor, details)] = conn.execute("SELECT actor, details FROM audit_log WHERE action = 'person.export_all'"
                                          " AND subject_id = %s", (person,)).fetchall()
    assert actor == "fleur" and details["services"] == list(SERVICES)


def test_a_service_that_cannot_answer_fails_the_export_and_says_which(apps: dict[str, Flask],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    person, _ = a_delegate_known_everywhere(apps)
    admin = bearer(apps["enrolment"].config["SETTINGS"], "fund_admin")
    with socket_that_refuses() as port:
        monkeypatch.setenv("PROGADMIN_NOTIFICATIONS_INTERNAL_URL", f"http://127.0.0.1:{port}")
        response = apps["enrolment"].test_client().get(f"/api/v1/persons/{person}/complete-export", headers=admin)
    assert response.status_code == 503
    problem = response.get_json()
    assert problem["type"].endswith(":export-incomplete") and problem["service"] == "notifications"
    assert "services" not in problem  # nothing of the other sections is handed out


def test_a_service_that_refuses_fails_the_export_with_its_answer(apps: dict[str, Flask],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A service answering with an error (here: 404 from a wrong address) is a failed export, not an empty part."""
    person, _ = a_delegate_known_everywhere(apps)
    admin = bearer(apps["enrolment"].config["SETTINGS"], "fund_admin")
    reporting = apps["reporting"].config["SETTINGS"]
    import os
    monkeypatch.setenv("PROGADMIN_REPORTING_INTERNAL_URL", os.environ["PROGADMIN_REPORTING_INTERNAL_URL"] + "/nowhere")
    response = apps["enrolment"].test_client().get(f"/api/v1/persons/{person}/complete-export", headers=admin)
    assert reporting is not None
    assert response.status_code == 502
    assert response.get_json()["service"] == "reporting" and response.get_json()["upstream_status"] == 404


def test_an_unknown_person_is_404_and_nobody_else_is_asked(apps: dict[str, Flask]) -> None:
    admin = bearer(apps["enrolment"].config["SETTINGS"], "fund_admin")
    unknown = uuid.uuid4()
    response = apps["enrolment"].test_client().get(f"/api/v1/persons/{unknown}/complete-export", headers=admin)
    assert response.status_code == 404
    with db(apps["sessions"]) as conn:
        assert conn.execute("SELECT 1 FROM audit_log WHERE subject_id = %s", (str(unknown),)).fetchone() is None


def test_a_service_knows_nothing_of_a_stranger_and_says_so_with_empty_tables(apps: dict[str, Flask]) -> None:
    admin = bearer(apps["sessions"].config["SETTINGS"], "fund_admin")
    body = apps["sessions"].test_client().get(f"/api/v1/persons/{uuid.uuid4()}/export", headers=admin).get_json()
    assert body["service"] == "sessions" and body["tables"] and not any(body["tables"].values())


def test_only_fund_administrators_may_export(apps: dict[str, Flask]) -> None:
    person, _ = a_delegate_known_everywhere(apps)
    coordinator = bearer(apps["enrolment"].config["SETTINGS"], "coordinator", regions=["Noord"])
    for name, path in (("enrolment", "complete-export"), ("sessions", "export"), ("notifications", "export"),
                       ("reporting", "export")):
        response = apps[name].test_client().get(f"/api/v1/persons/{person}/{path}", headers=coordinator)
        assert response.status_code == 403, name


def test_the_page_downloads_the_complete_export_or_says_which_part_failed(apps: dict[str, Flask],
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    person, _ = a_delegate_known_everywhere(apps)
    client = apps["enrolment"].test_client()
    admin = bearer(apps["enrolment"].config["SETTINGS"], "fund_admin")
    found = client.get(f"/persons?email=piet.{_['id'][:8]}@ex.nl", headers=admin)
    assert found.status_code == 200 and f"/persons/{person}/export.json" in found.get_data(as_text=True)
    download = client.get(f"/persons/{person}/export.json", headers=admin)
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert set(download.get_json()["services"]) == set(SERVICES)
    with socket_that_refuses() as port:
        monkeypatch.setenv("PROGADMIN_SESSIONS_INTERNAL_URL", f"http://127.0.0.1:{port}")
        failed = client.get(f"/persons/{person}/export.json", headers=admin)
    assert failed.status_code == 503 and failed.mimetype == "text/html"
    assert "Er is niets gedownload: het onderdeel Sessies" in failed.get_data(as_text=True)


class socket_that_refuses:
    """A local port nothing listens on (bound, never accepting, then closed: connections are refused)."""

    def __enter__(self) -> int:
        import socket
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        port: int = self.sock.getsockname()[1]
        self.sock.close()
        return port

    def __exit__(self, *_: object) -> None:
        pass


# Tables that name a person but hold nothing about them beyond the id the export is asked for.
NOT_ABOUT_THE_PERSON: dict[str, set[str]] = {"sessions": set(), "notifications": set(), "reporting": set()}


@pytest.mark.parametrize("service", ["sessions", "notifications", "reporting"])
def test_every_table_that_names_a_person_is_exported(apps: dict[str, Flask], service: str) -> None:
    """A table added later with a person column fails here until the export reads it too."""
    queries = import_module(f"services.{service}.privacy_db").EXPORT_QUERIES
    with db(apps[service]) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT DISTINCT table_name FROM information_schema.columns WHERE table_schema = 'public'"
            " AND column_name IN ('person_id', 'recipient_id')").fetchall()}
    assert tables - NOT_ABOUT_THE_PERSON[service] <= set(queries), sorted(tables - set(queries))
