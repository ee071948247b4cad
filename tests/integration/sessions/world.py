"""A small world for sessions tests: enrolment's facts as real events, and API helpers.

Enrolment is built in parallel, so the tests produce its events themselves
(validated against enrolment's published schemas) and feed them through
sessions' real handlers in an EventConsumer (or onto the real topic).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from flask import Flask
from flask.testing import FlaskClient

from services.common.consumer import EventConsumer
from services.common.events import Event, new_event, validate_event
from services.sessions.handlers import handlers
from tests.support import bearer

RULES = {"min_duration_minutes": 60, "max_duration_minutes": 210, "online_facilitators": 2}


def enrolment_event(name: str, subject: str, data: dict[str, Any]) -> Event:
    event = new_event("enrolment", name, subject, data)
    validate_event(event)  # the test speaks enrolment's contract exactly
    return event


@dataclass
class Company:
    enrolment_id: str
    company_id: str
    programme_id: str
    region: str
    people: list[str] = field(default_factory=list)


def future(days: int = 30, hour: int = 10) -> datetime:
    """A whole hour some days ahead, in UTC (stable across test runs)."""
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=days)
    return base.replace(hour=hour)


class World:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.settings = app.config["SETTINGS"]
        self.pool = app.config["POOL"]
        self.consumer = EventConsumer(self.settings, self.pool, "test-sessions", [], handlers(self.settings))
        self.client: FlaskClient = app.test_client()
        self.admin = bearer(self.settings, "fund_admin", sub="admin")

    # -- enrolment's facts ---------------------------------------------------------
    def apply(self, event: Event) -> Event:
        self.consumer.apply(event)
        return event

    def programme(self, regions: tuple[str, ...] = ("Noord", "Midden", "Zuid"), **rules: Any) -> str:
        pid = str(uuid.uuid4())
        self.apply(enrolment_event("ProgrammeOpened", pid, {
            "programme_id": pid, "name": "Vanzelfsprekend", "regions": list(regions),
            "planned_sessions": {"dialogue": 9, "intervision": 6}, "max_delegates_per_company": 4,
            "session_rules": {**RULES, **rules}}))
        return pid

    def admitted_event(self, c: Company) -> Event:
        return enrolment_event("CompanyAdmitted", c.enrolment_id, {
            "enrolment_id": c.enrolment_id, "company_id": c.company_id, "programme_id": c.programme_id,
            "region": c.region, "admitted_on": date.today().isoformat(),
            "director": {"person_id": str(uuid.uuid4()), "name": "Directeur", "email": "d@example.nl",
                         "language": "nl"}})

    def delegated_event(self, c: Company, person_id: str, job_level: str = "manager",
                        name: str = "") -> Event:
        return enrolment_event("ParticipantDelegated", c.enrolment_id, {
            "enrolment_id": c.enrolment_id, "company_id": c.company_id, "programme_id": c.programme_id,
            "region": c.region, "person_id": person_id,
            "contact": {"person_id": person_id, "name": name or f"Deelnemer {person_id[:8]}",
                        "email": "p@example.nl", "language": "nl"},
            "job_level": job_level, "below_management": job_level not in ("manager", "supervisor")})

    def withdrew_event(self, c: Company) -> Event:
        return enrolment_event("CompanyWithdrew", c.enrolment_id, {
            "enrolment_id": c.enrolment_id, "company_id": c.company_id, "programme_id": c.programme_id,
            "region": c.region, "reason_code": "understaffing", "withdrawn_on": date.today().isoformat()})

    def company(self, programme_id: str, region: str, *, delegates: int = 3, admitted: bool = True) -> Company:
        c = Company(str(uuid.uuid4()), str(uuid.uuid4()), programme_id, region)
        if admitted:
            self.apply(self.admitted_event(c))
        for _ in range(delegates):
            person = str(uuid.uuid4())
            c.people.append(person)
            self.apply(self.delegated_event(c, person))
        return c

    def withdraw(self, c: Company) -> None:
        self.apply(self.withdrew_event(c))

    # -- the API -----------------------------------------------------------------------
    def coordinator(self, *regions: str, sub: str = "coordinator") -> dict[str, Any]:
        return bearer(self.settings, "coordinator", regions=list(regions), sub=sub)

    def facilitator(self, sub: str) -> dict[str, Any]:
        return bearer(self.settings, "facilitator", sub=sub)

    def session_body(self, programme_id: str, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "programme_id": programme_id, "type": "dialogue", "region": "Noord", "format": "regional_venue",
            "venue_address": "Stationsplein 1, Groningen", "starts_at": future().isoformat(),
            "duration_minutes": 150, "capacity_min": 10, "capacity_max": 12,
            "facilitator_ids": [f"fac-{uuid.uuid4().hex[:8]}"], "working_method": "incidentmethode",
            "sequence_number": 1}
        body.update(overrides)
        return body

    def schedule(self, programme_id: str, headers: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
        r = self.client.post("/api/v1/sessions", json=self.session_body(programme_id, **overrides),
                             headers=headers or self.admin)
        assert r.status_code == 201, r.get_json()
        body: dict[str, Any] = r.get_json()
        return body

    def register(self, session_id: str, person_id: str, headers: dict[str, Any] | None = None) -> Any:
        return self.client.post(f"/api/v1/sessions/{session_id}/registrations", json={"person_id": person_id},
                                headers=headers or self.admin)

    def set_clock(self, now: datetime) -> None:
        self.app.extensions["sessions"].clock = lambda: now

    # -- what happened -------------------------------------------------------------------
    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        with psycopg.connect(self.settings.database_url) as conn:
            rows = conn.execute("SELECT payload FROM outbox ORDER BY id").fetchall()
        events = [r[0] for r in rows]
        if name:
            events = [e for e in events if e["type"] == f"progadmin.sessions.{name}.v1"]
        return events
