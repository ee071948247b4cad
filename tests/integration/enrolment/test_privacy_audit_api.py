"""Privacy (export, erasure leaves no personal data in the service's tables) and the audit trail."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from services.common.db import request_connection
from services.common.events import validate_event
from tests.integration.enrolment.support import PASSING_INTAKE, Api
from tests.support import wait_until

pytestmark = pytest.mark.integration


def all_text(api: Api) -> str:
    """Every row of every table in the service's database, as text."""
    with psycopg.connect(api.settings.database_url) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        chunks = []
        for table in tables:
            for (row,) in conn.execute(f'SELECT t::text FROM "{table}" t'):  # names from the catalogue
                chunks.append(row)
        for (body,) in conn.execute("SELECT convert_from(response_body, 'UTF8') FROM idempotency_keys"
                                    " WHERE response_body IS NOT NULL"):
            chunks.append(body)
    return "\n".join(chunks)


def test_export_lists_everything_held_about_a_person(api: Api) -> None:
    e = api.enrolment("active")
    company = api.ok(api.get(f"/api/v1/companies/{e['company_id']}"))
    director = company["directors"][0]
    export = api.ok(api.get(f"/api/v1/persons/{director['person_id']}/export"))
    assert export["person"]["email"] == director["email"] and export["person"]["erased"] is False
    assert export["director_of"] == [{"company_id": e["company_id"], "company_name": company["name"],
                                      "role": "director_owner"}]
    [intake] = export["intakes"]
    assert intake["notes"] == "Directeur zeer betrokken." and intake["assessed_level"] == 4
    [delegate] = api.ok(api.get(f"/api/v1/enrolments/{e['id']}/delegates"))["items"]
    delegation = api.ok(api.get(f"/api/v1/persons/{delegate['person_id']}/export"))["delegations"]
    assert delegation[0]["enrolment_id"] == e["id"] and delegation[0]["job_level"] == "manager"
    contact = company["contact_person"]
    assert api.ok(api.get(f"/api/v1/persons/{contact['person_id']}/export"))["contact_person_of"][0][
        "company_id"] == e["company_id"]
    for role in ("coordinator", "facilitator", "reporting_consumer"):
        assert api.get(f"/api/v1/persons/{director['person_id']}/export", role=role).status_code == 403
    assert api.get("/api/v1/persons/00000000-0000-4000-8000-000000000000/export").status_code == 404


def test_an_export_is_in_the_audit_trail_without_personal_data(api: Api) -> None:
    e = api.enrolment("active")
    director = api.ok(api.get(f"/api/v1/companies/{e['company_id']}"))["directors"][0]
    person = director["person_id"]

    def trail() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = api.ok(api.get(
            f"/api/v1/audit-entries?action=person.export&subject_type=person&subject_id={person}"))["items"]
        return items

    assert trail() == []
    export = api.ok(api.client.get(f"/api/v1/persons/{person}/export",
                                   headers={**api.headers("fund_admin"), "X-Correlation-ID": f"export-{person}"}))
    [entry] = trail()
    # Who asked and when, as in the other services; only how many rows went out, none of the data.
    assert entry["actor"] == "tester" and entry["actor_roles"] == ["fund_admin"]
    assert entry["correlation_id"] == f"export-{person}"
    rows = 1 + sum(len(v) for k, v in export.items() if k != "person")
    assert entry["details"] == {"rows": rows} and rows >= 3  # the person, a directorship, an intake
    written = json.dumps(entry)
    for secret in (director["name"], director["email"], "Directeur zeer betrokken."):
        assert not found(secret, written)
    # Refused or unknown: nothing was read, nothing is written.
    assert api.get(f"/api/v1/persons/{person}/export", role="coordinator", regions=["Noord"]).status_code == 403
    assert api.get("/api/v1/persons/00000000-0000-4000-8000-000000000000/export").status_code == 404
    assert len(trail()) == 1
    none = api.ok(api.get("/api/v1/audit-entries?action=person.export&subject_type=person"
                          "&subject_id=00000000-0000-4000-8000-000000000000"))
    assert none["items"] == []


def found(secret: str, text: str) -> bool:
    """In plain text or as an escaped JSON string (stored HTTP responses escape non-ASCII)."""
    return secret in text or json.dumps(secret)[1:-1] in text


def erase(api: Api, person_id: str) -> dict[str, Any]:
    return api.ok(api.post(f"/api/v1/persons/{person_id}/erasure"))


def test_erasure_leaves_no_personal_data_in_the_services_tables(api: Api) -> None:
    # The module's database holds other tests' people too: these ones are unique.
    tag, digits = uuid.uuid4().hex[:8], str(uuid.uuid4().int)[:16]
    e = api.enrolment("active", intake={**PASSING_INTAKE, "notes": f"Directeur twijfelt {tag}"}, company={
        "contact_person": {"name": f"Contact {tag}", "email": f"c.{tag}@bedrijf.nl", "phone": f"06 {digits[:8]}"}})
    company = api.ok(api.get(f"/api/v1/companies/{e['company_id']}"))
    director, contact = company["directors"][0], company["contact_person"]
    delegate = api.ok(api.post(f"/api/v1/enrolments/{e['id']}/delegates",
                               {"name": f"Anna Özdemir {tag}", "email": f"anna.{tag}@bedrijf.nl",
                                "phone": f"+31 6 {digits[8:]}", "job_level": "foreman"},
                               headers={"Idempotency-Key": f"delegate-{tag}"}), 201)
    # Some of its events were already published (the relay marks them), some not yet.
    with psycopg.connect(api.settings.database_url) as conn:
        conn.execute("UPDATE outbox SET published_at = now() WHERE message_key = %s AND event_type LIKE %s",
                     (e["id"], "%IntakeScheduled%"))
    secrets = [director["name"], director["email"], contact["name"], contact["email"], contact["phone"],
               delegate["name"], delegate["email"], delegate["phone"], f"Directeur twijfelt {tag}"]
    before = all_text(api)
    assert all(found(s, before) for s in secrets)
    for person in (director, contact, delegate):
        erased = erase(api, person["person_id"])
        assert erased["person_id"] == person["person_id"] and erased["erased_on"]
    after = all_text(api)
    leaks = [s for s in secrets if found(s, after)]
    assert leaks == []
    # The pseudonymous ids remain, and each erasure was announced once.
    export = api.ok(api.get(f"/api/v1/persons/{delegate['person_id']}/export"))
    assert export["person"] == {"person_id": delegate["person_id"], "name": None, "email": None, "phone": None,
                                "language": "nl", "erased": True}
    assert export["delegations"][0]["removed_on"]
    for person in (director, contact, delegate):
        [event] = api.outbox(person["person_id"])
        validate_event(event)
        assert event["data"] == {"person_id": person["person_id"], "erased_on": erased["erased_on"]}
    # Unpublished events still go out (v2 names the person by id only); the person's unpublished contact
    # record is dropped, and a tombstone for the contacts topic waits in the outbox instead.
    delegated = [ev for ev in api.outbox(e["id"]) if ev["type"].endswith("ParticipantDelegated.v2")][-1]
    validate_event(delegated)
    assert delegated["data"]["person_id"] == delegate["person_id"]
    for person in (director, contact, delegate):
        assert api.contact_records(person["person_id"]) == [None]
    assert "IntakeScheduled" not in api.types(e["id"])  # published history is gone from the outbox
    # A retried erasure changes nothing.
    erase(api, delegate["person_id"])
    assert len(api.outbox(delegate["person_id"])) == 1
    assert api.post(f"/api/v1/persons/{delegate['person_id']}/erasure", role="coordinator").status_code == 403


def test_the_audit_trail_records_every_write_for_fund_administrators_only(api: Api) -> None:
    e = api.enrolment("admitted")
    headers = {"X-Correlation-ID": f"audit-{e['id']}"}
    api.ok(api.post(f"/api/v1/enrolments/{e['id']}/withdrawal", {"reason_code": "no_director_support"},
                    headers=headers))
    trail = api.ok(api.get(f"/api/v1/audit-entries?subject_type=enrolment&subject_id={e['id']}"))
    assert [t["action"] for t in trail["items"]] == ["enrolment.create", "intake.schedule", "intake.outcome",
                                                     "enrolment.admit", "enrolment.withdraw"]
    last = trail["items"][-1]
    assert last["actor"] == "tester" and last["actor_roles"] == ["fund_admin"]
    assert last["correlation_id"] == f"audit-{e['id']}" and last["details"] == {"reason_code": "no_director_support"}
    by_action = api.ok(api.get("/api/v1/audit-entries?action=company.register&page_size=1"))
    assert by_action["total"] >= 1 and by_action["items"][0]["action"] == "company.register"
    for role in ("coordinator", "facilitator", "reporting_consumer"):
        assert api.get("/api/v1/audit-entries", role=role, regions=["Noord"]).status_code == 403


def test_bad_audit_filters_are_422(api: Api) -> None:
    response = api.get("/api/v1/audit-entries?subject_type=&page_size=0")
    assert response.status_code == 422
    assert {p["name"] for p in response.get_json()["invalid_params"]} == {"subject_type", "page_size"}


def test_an_admission_racing_the_erasure_of_its_director_does_not_publish_the_erased_contact(api: Api) -> None:
    """The erasure scrubs the outbox; an admission that read the director before the erasure committed
    must not commit its CompanyAdmitted (with the director's name and e-mail) after that scrub."""
    e = api.enrolment("intake_held")
    director = api.ok(api.get(f"/api/v1/companies/{e['company_id']}"))["directors"][0]
    service = api.app.extensions["enrolment"].privacy
    answer: dict[str, int] = {}

    def admit() -> None:
        answer["status"] = api.app.test_client().post(f"/api/v1/enrolments/{e['id']}/admission", json={},
                                                       headers=api.headers()).status_code

    with psycopg.connect(api.settings.database_url, row_factory=dict_row) as conn:
        conn.execute("SELECT 1")  # an open transaction: the erasure runs as a savepoint of it, uncommitted
        token = request_connection.set(conn)
        try:
            service.erase_person(uuid.UUID(director["person_id"]))  # done, outbox scrubbed, not committed yet
        finally:
            request_connection.reset(token)
        racer = threading.Thread(target=admit)
        racer.start()
        wait_until(lambda: not racer.is_alive() or _waiting_for_a_lock(api), timeout=10)
        conn.commit()
    racer.join(10)
    assert answer["status"] == 409  # the only director can no longer be reached
    published = json.dumps(api.outbox(e["id"]))
    assert director["email"] not in published and director["name"] not in published


def test_a_company_update_racing_the_erasure_of_its_director_does_not_bring_the_data_back(api: Api) -> None:
    """The update read the director as known (by e-mail) before the erasure committed; it must not
    write the erased person's name and e-mail back afterwards."""
    company = api.company("Noord")
    director = company["directors"][0]
    service = api.app.extensions["enrolment"].privacy
    answer: dict[str, int] = {}
    again = {"name": "Dirk Terug", "email": director["email"], "role": director["role"]}

    def update() -> None:
        answer["status"] = api.app.test_client().patch(f"/api/v1/companies/{company['id']}",
                                                        json={"directors": [again]},
                                                        headers=api.headers()).status_code

    with psycopg.connect(api.settings.database_url, row_factory=dict_row) as conn:
        conn.execute("SELECT 1")  # an open transaction: the erasure runs as a savepoint of it, uncommitted
        token = request_connection.set(conn)
        try:
            service.erase_person(uuid.UUID(director["person_id"]))
        finally:
            request_connection.reset(token)
        racer = threading.Thread(target=update)
        racer.start()
        wait_until(lambda: not racer.is_alive() or _waiting_for_a_lock(api), timeout=10)
        conn.commit()
    racer.join(10)
    assert answer["status"] == 200
    with psycopg.connect(api.settings.database_url) as conn:
        erased = conn.execute("SELECT name, email, erased_on IS NOT NULL FROM persons WHERE id = %s",
                              (director["person_id"],)).fetchone()
    assert erased == (None, None, True)


def _waiting_for_a_lock(api: Api) -> bool:
    with psycopg.connect(api.settings.database_url) as probe:
        row = probe.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                            " AND wait_event_type = 'Lock'").fetchone()
    return bool(row and row[0])
