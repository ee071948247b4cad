"""An erasure reaches every service's tables: nothing of the person is left in any of the four databases.

The four services run as real gunicorn and worker processes on PostgreSQL and Kafka (with the SMTP
sink). A director and a delegate get data in all four: enrolment (the company, the intake interview
with notes, the delegation), sessions (an invitation, a registration, attendance and an evaluation
comment), notifications (contact data, deliveries, mail) and reporting (the projections). Their
complete export holds it all. Then both are erased through enrolment's API, and every text, character,
array, JSON and byte column of every table of every database (found through information_schema, so
a table added later is searched too) is searched for their names, addresses and free text, until
none is found anywhere. The same search finds them all before the erasure, so it can fail.

"Time passes" in one place: the session is moved into the past in the sessions database, so that
attendance and the evaluation can be recorded without waiting for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from services.common.config import SERVICES
from tests.conftest import Platform
from tests.e2e.processes import Processes, call
from tests.support import bearer, wait_until

pytestmark = pytest.mark.e2e

TEXTUAL = ("text", "character varying", "character", "jsonb", "json", "ARRAY", "bytea")


def ok(status_body: tuple[int, Any], *expected: int) -> Any:
    status, body = status_body
    assert status in (expected or (200, 201)), (status, body)
    return body


def found_anywhere(urls: dict[str, str], needles: list[str]) -> dict[str, list[str]]:
    """Where each needle still occurs: {needle: ["service.table.column", ...]} over every table of every database."""
    hits: dict[str, list[str]] = {n: [] for n in needles}
    patterns = [f"%{n}%" for n in needles]
    for service, url in urls.items():
        with psycopg.connect(url, autocommit=True) as conn:
            columns = conn.execute(
                "SELECT c.table_schema, c.table_name, c.column_name, c.data_type FROM information_schema.columns c"
                " JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
                " WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')"
                " AND c.data_type = ANY(%s)", (list(TEXTUAL),)).fetchall()
            assert columns, f"no columns found in {service}'s database"
            for schema, table, column, data_type in columns:
                # Bytes (stored HTTP responses) are searched as escaped text: the needles are plain ASCII.
                value = (sql.SQL("encode({}, 'escape')") if data_type == "bytea" else sql.SQL("{}::text")).format(
                    sql.Identifier(column))
                query = sql.SQL("SELECT n FROM unnest(%s::text[], %s::text[]) AS x(n, p)"
                                " WHERE EXISTS (SELECT 1 FROM {}.{} WHERE {} ILIKE x.p)").format(
                    sql.Identifier(schema), sql.Identifier(table), value)
                for (needle,) in conn.execute(query, (needles, patterns)).fetchall():
                    hits[needle].append(f"{service}.{table}.{column}")
    return {n: where for n, where in hits.items() if where}


@pytest.fixture
def running(platform: Platform, tmp_path: Path) -> Iterator[Processes]:
    platform.create_topics()
    procs = Processes(platform.env(), tmp_path)
    try:
        procs.mail_sink(tmp_path / "mail")
        for service in ("sessions", "notifications", "reporting"):
            procs.web(service)
        # Enrolment's complete export calls the others (so it starts knowing them); the workers put links in mails.
        procs.share_public_urls()
        procs.web("enrolment")
        procs.share_public_urls()
        for service in SERVICES:
            procs.worker(service)
        yield procs
    finally:
        procs.stop()


def test_an_erasure_leaves_nothing_of_the_person_in_any_database(platform: Platform, running: Processes) -> None:
    procs = running
    e, s = procs.urls["enrolment"] + "/api/v1", procs.urls["sessions"] + "/api/v1"
    admin = bearer(platform.settings("enrolment"), "fund_admin")
    coordinator = bearer(platform.settings("sessions"), "coordinator", regions=["Noord"])
    tag = uuid.uuid4().hex[:8]
    delegate = {"name": f"Wilhelmina Zwartkop {tag}", "email": f"w.zwartkop.{tag}@betonnoord.nl"}
    director = {"name": f"Barend Oosterhout {tag}", "email": f"b.oosterhout.{tag}@betonnoord.nl"}
    notes = f"Directeur twijfelt over vrijmaken van tijd {tag}"
    comment = f"Mijn leidinggevende schreeuwt op de bouwplaats {tag}"

    programme = ok(call(f"{e}/programmes", admin, {"name": "Veilig Werken", "regions": ["Noord"],
                                                   "max_delegates_per_company": 3,
                                                   "planned_sessions": {"dialogue": 2, "intervision": 1}}))
    ok(call(f"{e}/programmes/{programme['id']}/opening", admin, {}))
    company = ok(call(f"{e}/companies", admin, {"name": f"Betonbouw {tag}", "kvk_number": str(10_000_000 + int(
        tag[:6], 16) % 89_999_999), "region": "Noord", "directors": [{**director, "language": "nl"}]}))
    director_id = company["directors"][0]["person_id"]
    enrolment = ok(call(f"{e}/enrolments", admin, {"company_id": company["id"], "programme_id": programme["id"]}))
    path = f"{e}/enrolments/{enrolment['id']}"
    intake = ok(call(f"{path}/intakes", admin, {"scheduled_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
                                               "location": "Zwolle"}))
    ok(call(f"{path}/intakes/{intake['id']}/outcome", admin, {
        "held_on": date.today().isoformat(), "interviewee_role": "director", "interviewee_person_id": director_id,
        "interviewer": "Projectleider", "assessed_level": 4, "notes": notes,
        "commitments": {"director_attends_kickoff_and_closing": True, "staff_time_released": True,
                        "managers_delegated": True, "internal_follow_up_owner": True}}))
    ok(call(f"{path}/admission", admin, {}))
    person_id = ok(call(f"{path}/delegates", admin, {**delegate, "job_level": "manager"}))["person_id"]

    # Sessions: invited, registered, attended and evaluated with a comment.
    wait_until(lambda: any(d["person_id"] == person_id for d in ok(call(
        f"{s}/delegates?programme_id={programme['id']}&region=Noord", coordinator))["items"]), 90,
        what="sessions to know the delegate")
    starts = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)
    session = ok(call(f"{s}/sessions", coordinator, {
        "programme_id": programme["id"], "type": "dialogue", "region": "Noord", "format": "regional_venue",
        "venue_address": "Betonweg 1, Zwolle", "starts_at": starts.isoformat(), "duration_minutes": 120,
        "capacity_min": 1, "capacity_max": 12}))
    ok(call(f"{s}/sessions/{session['id']}/invitations", coordinator, {}))
    registration = ok(call(f"{s}/sessions/{session['id']}/registrations", coordinator, {"person_id": person_id}))
    with psycopg.connect(platform.settings("sessions").database_url, autocommit=True) as conn:
        conn.execute("UPDATE sessions SET starts_at = now() - interval '3 hours' WHERE id = %s", (session["id"],))
    ok(call(f"{s}/sessions/{session['id']}/attendance", coordinator,
            {"records": [{"registration_id": registration["id"], "attendance": "attended"}]}))
    ok(call(f"{s}/sessions/{session['id']}/evaluations", coordinator,
            {"person_id": person_id, "score": 6, "comment": comment}))

    urls = {svc: platform.settings(svc).database_url for svc in SERVICES}
    needles = [delegate["name"], delegate["email"], director["name"], director["email"], notes, comment]

    def reporting_has_the_evaluation() -> bool:
        with psycopg.connect(urls["reporting"]) as conn:
            return conn.execute("SELECT 1 FROM evaluations WHERE person_id = %s", (person_id,)).fetchone() is not None

    wait_until(reporting_has_the_evaluation, 90, what="reporting to project the evaluation")
    # Before: the search finds every value where it belongs (so the search itself can fail).
    before = wait_until(lambda: (lambda f: f if {delegate["email"], director["email"]} <= set(f) and any(
        w.startswith("notifications.") for w in f[delegate["email"]]) else None)(found_anywhere(urls, needles)), 90,
        what="notifications to hold the delegate's address")
    assert any(w.startswith("enrolment.intakes.") for w in before[notes]), before
    assert any(w.startswith("sessions.evaluations.") for w in before[comment]), before
    assert any(w.startswith("sessions.") for w in before[delegate["name"]]), before
    export = ok(call(f"{e}/persons/{person_id}/complete-export", admin))
    assert export["services"]["enrolment"]["person"]["email"] == delegate["email"]
    assert export["services"]["sessions"]["tables"]["evaluations"][0]["comment"] == comment
    assert export["services"]["notifications"]["tables"]["recipients"][0]["email"] == delegate["email"]
    assert export["services"]["reporting"]["tables"]["evaluations"][0]["score"] == 6

    for erased in (person_id, director_id):
        ok(call(f"{e}/persons/{erased}/erasure", admin, {}))

    def nothing_left() -> bool:
        return not found_anywhere(urls, needles)

    try:
        wait_until(nothing_left, 120, interval=0.5, what="the erasure to reach every database")
    except AssertionError:
        raise AssertionError(f"still held after the erasure: {found_anywhere(urls, needles)}") from None
    after = ok(call(f"{e}/persons/{person_id}/complete-export", admin))
    assert after["services"]["enrolment"]["person"]["erased"] is True
    assert after["services"]["sessions"]["tables"]["evaluations"][0]["comment"] is None
