"""The things the access matrix is tried on, built through each service's own API (or, for facts another
service owns, its real event handlers), and the principals' credentials.

Region A is "Noord", region B "Zuid". The world holds, per service:
- enrolment: an open programme, a company in A with an active enrolment (intake held, a delegate, a follow-up)
- sessions: a programme and admitted companies with delegates in A and B (enrolment's events), a session in A
  facilitated by fac_own with a registration, a calendar feed made by coord_a, a signed confirm link
- notifications: a coordinator in the staff directory, a campaign, a suppression, an unsubscribe link
- reporting: the scripted programme's projections (company 0 lies in A), a subscription owned by consumer_owner,
  a company-report link
"""

from __future__ import annotations

import itertools
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from flask import Flask

from services.common.auth import mint
from services.common.config import DEV_LINK_SECRET, Settings
from services.common.signed_links import sign
from tests.integration.enrolment.support import Api, next_kvk
from tests.integration.reporting.scripted import PROGRAMME_ID, build, uid
from tests.integration.reporting.support import feed_all
from tests.integration.sessions.world import World as SessionsWorld
from tests.integration.sessions.world import future

REGION_A, REGION_B = "Noord", "Zuid"
FACILITATOR, OTHER_FACILITATOR = "fac-own", "fac-other"
CONSUMER, OTHER_CONSUMER = "consumer-owner", "consumer-other"


def credentials(settings: Settings) -> dict[str, dict[str, str]]:
    """Authorization headers per principal (none for `anonymous`)."""
    def token(sub: str, roles: list[str], regions: list[str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint(settings, sub, roles, regions or [])}"}

    now = int(time.time())
    claims = {"sub": "admin", "roles": ["fund_admin"], "regions": [], "iss": settings.jwt_issuer,
              "aud": settings.jwt_audience, "iat": now, "exp": now + 3600}

    def forged(key: str, algorithm: str, **changes: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {jwt.encode({**claims, **changes}, key, algorithm=algorithm)}"}

    unsigned = jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]
    # A service that signs no links (enrolment) has no link secret: a link signed with the development one.
    link = sign(getattr(settings, "link_secret", DEV_LINK_SECRET), "confirm",
                {"session_id": str(uuid.uuid4()), "person_id": str(uuid.uuid4())}, 3600)
    return {
        "admin": token("admin", ["fund_admin"]),
        "coord_a": token("coord-a", ["coordinator"], [REGION_A]),
        "coord_b": token("coord-b", ["coordinator"], [REGION_B]),
        "coord_none": token("coord-none", ["coordinator"]),
        "fac_own": token(FACILITATOR, ["facilitator"]),
        "fac_other": token(OTHER_FACILITATOR, ["facilitator"]),
        "consumer_owner": token(CONSUMER, ["reporting_consumer"]),
        "consumer_other": token(OTHER_CONSUMER, ["reporting_consumer"]),
        "anonymous": {},
        "expired": forged(settings.jwt_secret, "HS256", iat=now - 7200, exp=now - 3600),
        "bad_signature": forged("not-the-secret-" * 3, "HS256"),
        "alg_none": {"Authorization": f"Bearer {unsigned}"},
        "wrong_audience": forged(settings.jwt_secret, "HS256", aud="someone-else"),
        "link_token": {"Authorization": f"Bearer {link}"},
    }


Body = dict[str, Any] | Callable[[], dict[str, Any]]


@dataclass
class World:
    """Values for the path parameters, bodies per route, and routes whose allowed callers need fresh targets."""

    params: dict[str, str]
    bodies: dict[str, Body] = field(default_factory=dict)
    query: dict[str, dict[str, str]] = field(default_factory=dict)
    # route -> a builder of fresh path parameters, for routes an allowed caller uses up (delete, cancel)
    fresh: dict[str, Callable[[], dict[str, str]]] = field(default_factory=dict)
    # parameters the world could not make real (an allowed caller may then get 404)
    absent: set[str] = field(default_factory=set)

    def path(self, template: str, overrides: dict[str, str] | None = None) -> str:
        values = {**self.params, **(overrides or {})}
        return re.sub(r"<(?:[^:<>]+:)?([a-z_]+)>", lambda m: values[m.group(1)], template)

    def body(self, route: str) -> dict[str, Any] | None:
        body = self.bodies.get(route)
        return body() if callable(body) else body


def admin_headers(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(settings, 'admin', ['fund_admin'])}"}


def ok(response: Any, *statuses: int) -> dict[str, Any]:
    assert response.status_code in (statuses or (200, 201)), (response.status_code, response.get_data()[:500])
    body: dict[str, Any] = response.get_json() or {}
    return body


# -- enrolment ------------------------------------------------------------------------------------------


def enrolment_world(app: Flask) -> World:
    api = Api(app, app.test_client())
    programme = api.programme(regions=[REGION_A, "Midden", REGION_B])
    e = api.enrolment("active", programme=programme, region=REGION_A)
    eid = e["id"]
    person = ok(api.get(f"/api/v1/enrolments/{eid}/delegates"))["items"][0]["person_id"]
    follow_up = ok(api.post(f"/api/v1/enrolments/{eid}/follow-ups", {
        "activity": "whiteboard_meetings", "occurred_on": "2026-03-01", "adoption_level": "structural"}), 201)

    def fresh_enrolment() -> dict[str, str]:
        other = api.enrolment("active", programme=programme, region=REGION_A)
        pid = ok(api.get(f"/api/v1/enrolments/{other['id']}/delegates"))["items"][0]["person_id"]
        return {"enrolment_id": other["id"], "person_id": pid}

    def company_body() -> dict[str, Any]:
        kvk = next_kvk()
        return {"name": f"Matrix {kvk}", "kvk_number": kvk, "region": REGION_A, "size": "small",
                "address": {"street": "Weg 1", "postal_code": "9712 AB", "city": "Groningen"},
                "directors": [{"name": "Directeur", "email": f"d.{kvk}@example.nl", "role": "director_owner"}]}

    def programme_body() -> dict[str, Any]:
        return {"name": "Matrix", "fund": "A+O fonds", "theme": "veiligheid", "period_start": "2026-01-01",
                "period_end": "2027-06-30", "regions": [REGION_A, REGION_B],
                "planned_sessions": {"dialogue": 1, "intervision": 1}, "max_delegates_per_company": 3}

    base = "/api/v1/enrolments/<uuid:enrolment_id>"
    return World(
        params={"programme_id": programme["id"], "company_id": e["company_id"], "enrolment_id": eid,
                "intake_id": e["intake_id"], "person_id": person, "follow_up_id": follow_up["id"]},
        bodies={
            "POST /api/v1/programmes": programme_body,
            "PATCH /api/v1/programmes/<uuid:programme_id>": {"teaser_question": "Wat ging er bijna mis?"},
            "POST /api/v1/companies": company_body,
            "PATCH /api/v1/companies/<uuid:company_id>": {"size": "medium"},
            "POST /api/v1/enrolments": {"company_id": e["company_id"], "programme_id": programme["id"]},
            f"POST {base}/intakes": {"scheduled_at": "2026-01-10T10:00:00+01:00", "location": "Op locatie"},
            f"POST {base}/intakes/<uuid:intake_id>/rescheduling": {"scheduled_at": "2026-01-11T10:00:00+01:00"},
            f"POST {base}/intakes/<uuid:intake_id>/outcome": {"held_on": "2026-01-15"},
            f"POST {base}/admission": {},
            f"POST {base}/declination": {"reason": "Geen commitment"},
            f"POST {base}/delegates": lambda: {"name": "Piet", "email": f"p.{uuid.uuid4().hex[:8]}@example.nl",
                                               "job_level": "manager"},
            f"POST {base}/follow-ups": {"activity": "whiteboard_meetings", "occurred_on": "2026-03-02",
                                        "adoption_level": "structural"},
            f"POST {base}/completion": {},
            f"POST {base}/withdrawal": {"reason_code": "understaffing"},
            "POST /api/v1/persons/<uuid:person_id>/erasure": {},
        },
        fresh={f"{m} {p}": fresh_enrolment for m, p in (
            ("POST", f"{base}/withdrawal"), ("POST", f"{base}/completion"),
            ("DELETE", f"{base}/delegates/<uuid:person_id>"), ("POST", "/api/v1/persons/<uuid:person_id>/erasure"),
            ("POST", "/enrolments/<uuid:enrolment_id>/withdrawal"),
            ("POST", "/enrolments/<uuid:enrolment_id>/completion"),
            ("POST", "/enrolments/<uuid:enrolment_id>/delegates/<uuid:person_id>/removal"))}
        | {"POST /api/v1/programmes/<uuid:programme_id>/closing": lambda: {"programme_id": api.programme()["id"]},
           "POST /programmes/<uuid:programme_id>/closing": lambda: {"programme_id": api.programme()["id"]}},
    )


# -- sessions -------------------------------------------------------------------------------------------


def sessions_world(app: Flask) -> World:
    w = SessionsWorld(app)
    settings: Settings = app.config["SETTINGS"]
    programme = w.programme(regions=(REGION_A, "Midden", REGION_B))
    in_a = w.company(programme, REGION_A, delegates=4)
    w.company(programme, REGION_B, delegates=2)
    coord_a = w.coordinator(REGION_A, sub="coord-a")

    days = itertools.count(30)  # a day each, so that fac_own's sessions never overlap

    def session(facilitators: list[str]) -> dict[str, Any]:
        return w.schedule(programme, region=REGION_A, facilitator_ids=facilitators,
                          starts_at=future(days=next(days)).isoformat())

    s = session([FACILITATOR])
    session(["fac-third"])  # another session, not fac_other's either
    registration = ok(w.register(s["id"], in_a.people[0]), 201)
    feed = ok(w.client.post("/api/v1/calendar-feeds", json={"kind": "region", "subject": REGION_A},
                            headers=coord_a), 201)
    link = sign(settings.link_secret, "confirm", {"session_id": s["id"], "person_id": in_a.people[1]}, 3600)

    def series_body(facilitator: str, weeks: int) -> dict[str, Any]:
        return {"programme_id": programme, "type": "intervision", "region": REGION_A, "format": "regional_venue",
                "venue_address": "Stationsplein 1, Groningen", "capacity_min": 2, "capacity_max": 8,
                "facilitator_ids": [facilitator], "start_date": (future(days=7 * weeks)).date().isoformat(),
                "start_time": "14:00", "end_time": "16:00", "interval_weeks": 1, "count": 2}

    series = ok(w.client.post("/api/v1/session-series", json=series_body(FACILITATOR, 30), headers=coord_a), 201)

    def fresh_session() -> dict[str, str]:
        other = session([FACILITATOR])
        reg = ok(w.register(other["id"], in_a.people[2]), 201)
        return {"session_id": other["id"], "registration_id": reg["id"]}

    def fresh_feed() -> dict[str, str]:
        return {"feed_id": ok(w.client.post("/api/v1/calendar-feeds", json={"kind": "region", "subject": REGION_A},
                                            headers=coord_a), 201)["id"]}

    sid = "/api/v1/sessions/<uuid:session_id>"
    return World(
        params={"session_id": s["id"], "registration_id": registration["id"], "feed_id": feed["id"],
                "series_id": series["id"],
                "token": feed["token"], "action": "confirm"},
        bodies={
            "POST /api/v1/sessions": lambda: w.session_body(programme, region=REGION_A, facilitator_ids=[FACILITATOR]),
            f"POST {sid}/rescheduling": {"venue_address": "Stationsplein 2, Groningen"},
            f"POST {sid}/invitations": {"person_ids": [in_a.people[3]]},
            f"POST {sid}/registrations": {"person_id": in_a.people[3]},
            f"POST {sid}/attendance": {"records": [{"registration_id": registration["id"], "attendance": "attended"}]},
            f"POST {sid}/evaluations": {"person_id": in_a.people[0], "score": 8},
            f"POST {sid}/cancellation": {"reason": "Te weinig aanmeldingen"},
            f"POST {sid}/decisions": {"decision": "go"},
            "POST /api/v1/session-series": lambda: series_body("fac-series-matrix", 40),
            "POST /api/v1/calendar-feeds": {"kind": "facilitator", "subject": FACILITATOR},
            "POST /sessions/<uuid:session_id>/registrations": {"person_id": in_a.people[3]},
        },
        query={"GET /api/v1/links/<any(confirm, cancel, evaluate):action>": {"token": link},
               "POST /api/v1/links/<any(confirm, cancel, evaluate):action>": {"token": link},
               "GET /participant/calendar.ics": {"token": link}},
        fresh={f"POST {sid}/cancellation": fresh_session, f"POST {sid}/closing": fresh_session,
               f"POST {sid}/decisions": fresh_session, "POST /sessions/<uuid:session_id>/decision": fresh_session,
               "POST /api/v1/registrations/<uuid:registration_id>/cancellation": fresh_session,
               "POST /sessions/<uuid:session_id>/cancel": fresh_session, "POST /sessions/<uuid:session_id>/close":
               fresh_session, "POST /registrations/<uuid:registration_id>/cancel": fresh_session,
               "DELETE /api/v1/calendar-feeds/<uuid:feed_id>": fresh_feed},
    )


# -- notifications --------------------------------------------------------------------------------------


def notifications_world(app: Flask) -> World:
    client = app.test_client()
    settings: Settings = app.config["SETTINGS"]
    admin = admin_headers(settings)

    def staff() -> dict[str, str]:
        staff_id = f"coord-{uuid.uuid4().hex[:8]}"
        ok(client.put(f"/api/v1/staff/{staff_id}", json={"role": "coordinator", "name": "Coördinator",
                                                         "email": f"{staff_id}@example.nl", "regions": [REGION_A]},
                      headers=admin), 200, 201)
        return {"staff_id": staff_id}

    def campaign() -> dict[str, Any]:
        text = {"nl": "Hallo", "en": "Hello"}
        return {"name": "Inspiratie", "steps": [{"offset_days": 0, "subject": text, "body": text}]}

    def suppression() -> dict[str, str]:
        person = str(uuid.uuid4())
        ok(client.post("/api/v1/suppressions", json={"person_id": person}, headers=admin), 200, 201)
        return {"person_id": person}

    made = ok(client.post("/api/v1/campaigns", json=campaign(), headers=admin), 201)
    link = sign(settings.link_secret, "unsubscribe", {"person_id": str(uuid.uuid4())}, 3600)
    return World(
        params={**staff(), **suppression(), "campaign_id": made["id"], "delivery_id": str(uuid.uuid4()),
                "kind": "session_invitation", "action": "pause"},
        bodies={"POST /api/v1/campaigns": campaign,
                "PUT /api/v1/staff/<string:staff_id>": {"role": "coordinator", "name": "Coördinator A",
                                                         "email": "coord.a@example.nl", "regions": [REGION_A]},
                "POST /api/v1/suppressions": lambda: {"person_id": str(uuid.uuid4())}},
        query={"GET /api/v1/unsubscribe": {"token": link}, "POST /api/v1/unsubscribe": {"token": link},
               "GET /api/v1/templates/<string:kind>/preview": {"language": "nl"}},
        fresh={"DELETE /api/v1/staff/<string:staff_id>": staff, "POST /staff/<staff_id>/delete": staff,
               "DELETE /api/v1/suppressions/<string:person_id>": suppression},
        absent={"delivery_id"},  # a delivery needs a mail the worker made from another service's event
    )


# -- reporting ------------------------------------------------------------------------------------------


def reporting_world(app: Flask) -> World:
    client = app.test_client()
    settings: Settings = app.config["SETTINGS"]
    feed_all(settings, build().events)
    owner = {"Authorization": f"Bearer {mint(settings, CONSUMER, ['reporting_consumer'])}"}

    def subscription() -> dict[str, str]:
        made = ok(client.post("/api/v1/subscriptions", json={"url": "https://consumer.example/hook"},
                              headers=owner), 201)
        return {"subscription_id": made["id"]}

    company = uid("company", 0)  # the scripted programme's company 0 lies in Noord (region A)
    token = sign(settings.link_secret, "company-report", {"programme_id": PROGRAMME_ID, "company_id": company}, 3600)
    return World(
        params={**subscription(), "programme_id": PROGRAMME_ID, "company_id": company,
                "delivery_id": str(uuid.uuid4()), "token": token, "fmt": "csv", "change": "deactivation"},
        bodies={"POST /api/v1/subscriptions": {"url": "https://consumer.example/other"},
                "POST /api/v1/subscriptions/<uuid:subscription_id>/replays": {"from_position": 1}},
        query={"GET /final-report": {"programme_id": PROGRAMME_ID}},
        fresh={"DELETE /api/v1/subscriptions/<uuid:subscription_id>": subscription,
               "POST /subscriptions/<subscription_id>/delete": subscription},
        absent={"delivery_id"},  # a webhook delivery needs the worker's delivery loop
    )


WORLDS: dict[str, Callable[[Flask], World]] = {
    "enrolment": enrolment_world, "sessions": sessions_world, "notifications": notifications_world,
    "reporting": reporting_world,
}

