"""Enrolment's API test kit: a client speaking as a given role, builders that drive the HTTP API
to put an enrolment in a given state, and a look at what the service wrote to its outbox.

Tests share a module's database, so every builder uses fresh KvK numbers and
tests look only at the rows of the subjects they created.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import psycopg
from werkzeug.test import TestResponse

from services.common.contacts import contacts_topic
from tests.support import AppClient, bearer

_kvk = itertools.count(random.randrange(10_000_000, 90_000_000, 100_000))

COMMITTED: dict[str, bool] = {"director_attends_kickoff_and_closing": True, "staff_time_released": True,
                              "managers_delegated": True, "internal_follow_up_owner": True}
PASSING_INTAKE: dict[str, Any] = {
    "held_on": "2026-01-15", "interviewee_role": "director_owner", "interviewer": "Fondsbeheerder Jansen",
    "commitments": COMMITTED,
    "assessed_level": 4, "notes": "Directeur zeer betrokken.",
}


def next_kvk() -> str:
    return f"{next(_kvk):08d}"


class Api(AppClient):
    """A Flask test client speaking as a fund administrator unless told otherwise."""

    def headers(self, role: str = "fund_admin", regions: list[str] | None = None) -> dict[str, Any]:
        return bearer(self.settings, role, regions=regions)

    def post(self, path: str, body: dict[str, Any] | None = None, *, role: str = "fund_admin",
             regions: list[str] | None = None, headers: dict[str, str] | None = None) -> TestResponse:
        return self.client.post(path, json=body if body is not None else {},
                                headers={**self.headers(role, regions), **(headers or {})})

    def get(self, path: str, *, role: str = "fund_admin", regions: list[str] | None = None) -> TestResponse:
        return self.client.get(path, headers=self.headers(role, regions))

    def patch(self, path: str, body: dict[str, Any], *, role: str = "fund_admin") -> TestResponse:
        return self.client.patch(path, json=body, headers=self.headers(role))

    def delete(self, path: str, *, role: str = "fund_admin") -> TestResponse:
        return self.client.delete(path, headers=self.headers(role))

    def ok(self, response: TestResponse, status: int = 200) -> dict[str, Any]:
        assert response.status_code == status, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body

    # -- builders -----------------------------------------------------------
    def programme(self, *, open_: bool = True, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": "Vanzelfsprekend Gezond en Veilig", "fund": "A+O fonds Betonketen", "theme": "veiligheid",
            "period_start": "2026-01-01", "period_end": "2027-06-30", "regions": ["Noord", "Midden", "Zuid"],
            "planned_sessions": {"dialogue": 9, "intervision": 6}, "max_delegates_per_company": 3,
            "teaser_question": "Wanneer bracht je jezelf of een ander in gevaar?",
        }
        body.update(overrides)
        programme = self.ok(self.post("/api/v1/programmes", body), 201)
        if open_:
            programme = self.ok(self.post(f"/api/v1/programmes/{programme['id']}/opening"))
        return programme

    def company(self, region: str = "Noord", *, directors: int = 1, **overrides: Any) -> dict[str, Any]:
        kvk = next_kvk()
        body: dict[str, Any] = {
            "name": f"Betonbouw {kvk}", "kvk_number": kvk, "region": region,
            "address": {"street": "Industrieweg 1", "postal_code": "9712 AB", "city": "Groningen"}, "size": "medium",
            "directors": [{"name": f"Directeur {kvk}-{i}", "email": f"dir{i}.{kvk}@example.nl",
                           "role": "director_owner"} for i in range(directors)],
            "contact_person": {"name": f"Contact {kvk}", "email": f"contact.{kvk}@example.nl", "phone": "050 123 4567"},
        }
        body.update(overrides)
        return self.ok(self.post("/api/v1/companies", body), 201)

    def enrolment(self, state: str = "interested", *, programme: dict[str, Any] | None = None,
                  region: str = "Noord", intake: dict[str, Any] | None = None,
                  company: dict[str, Any] | None = None) -> dict[str, Any]:
        """An enrolment driven through the API to `state` (of a new company, built with `company` overrides)."""
        programme = programme or self.programme()
        company = self.company(region, **(company or {}))
        e = self.ok(self.post("/api/v1/enrolments", {"company_id": company["id"], "programme_id": programme["id"]}),
                    201)
        path = f"/api/v1/enrolments/{e['id']}"
        steps = {
            "intake_scheduled": ("interested",),
            "intake_held": ("interested", "intake_scheduled"),
            "admitted": ("interested", "intake_scheduled", "intake_held"),
            "declined": ("interested", "intake_scheduled", "intake_held"),
            "active": ("interested", "intake_scheduled", "intake_held", "admitted"),
            "completed": ("interested", "intake_scheduled", "intake_held", "admitted", "active"),
            "withdrawn": ("interested",),
            "interested": (),
        }[state]
        intake_id = None
        for done in (*steps, state):
            if done == "intake_scheduled":
                intake_id = self.ok(self.post(f"{path}/intakes", {"scheduled_at": "2026-01-10T10:00:00+01:00",
                                                                   "location": "Op locatie"}), 201)["id"]
            elif done == "intake_held":
                self.ok(self.post(f"{path}/intakes/{intake_id}/outcome", intake or PASSING_INTAKE), 201)
            elif done == "admitted":
                self.ok(self.post(f"{path}/admission", {}))
            elif done == "declined":
                self.ok(self.post(f"{path}/declination", {"reason": "Onvoldoende commitment"}))
            elif done == "active":
                self.ok(self.post(f"{path}/delegates", {"name": "Piet Kader", "email": f"piet.{e['id'][:8]}@ex.nl",
                                                        "job_level": "manager"}), 201)
            elif done == "completed":
                self.ok(self.post(f"{path}/completion", {}))
            elif done == "withdrawn":
                self.ok(self.post(f"{path}/withdrawal", {"reason_code": "understaffing"}))
        e = self.ok(self.get(path))
        assert e["state"] == state
        e["intake_id"] = intake_id
        e["programme"] = programme
        return e

    # -- what the service wrote ------------------------------------------------
    def outbox(self, subject: str | None = None) -> list[dict[str, Any]]:
        """Events (CloudEvents) for the events topic in the outbox, in order, optionally for one subject."""
        with psycopg.connect(self.settings.database_url) as conn:
            rows = conn.execute("SELECT payload FROM outbox WHERE topic = %(t)s"
                                " AND (%(s)s::text IS NULL OR message_key = %(s)s) ORDER BY id",
                                {"s": subject, "t": self.settings.topic("enrolment")}).fetchall()
        return [r[0] for r in rows]

    def contact_records(self, person_id: str) -> list[dict[str, Any] | None]:
        """Outbox rows for the contacts topic of one person, in order: ContactDetailsChanged, or None (tombstone)."""
        with psycopg.connect(self.settings.database_url) as conn:
            rows = conn.execute("SELECT payload FROM outbox WHERE topic = %s AND message_key = %s ORDER BY id",
                                (contacts_topic(self.settings), person_id)).fetchall()
        return [r[0] for r in rows]

    def types(self, subject: str) -> list[str]:
        return [e["type"].split(".")[2] for e in self.outbox(subject)]
