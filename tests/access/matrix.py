"""The access matrix: every route of every service against every principal, and what each must get.

Declarative: a route (method and Flask path template, as in the app's url_map)
maps to a `Rule` naming which of the eight real principals are allowed and
which must be told "not found"; every other real principal must get 403. The
six bad credentials always get 401 (or, for a page without any token, the
redirect to sign in). Routes that people reach by a signed link or that sign
them in are `PUBLIC`: no principal is needed and none is checked.

Outcomes:
- `ok`: allowed; 2xx/3xx, or a 4xx about the input or the state (400, 409, 413, 415, 422), never 401/403/404
- `403`, `404` (the API hides that the thing exists), `401`
- `login`: a page sends the anonymous visitor to /auth/login
- `csrf`: a form post without a token or session is refused (400) before anything else
- `public`: the route takes no bearer token; anything but 5xx
- `signin`: sign-in routes; anything but 500 (503 "sign-in not configured": the matrix runs without a provider)

Principals (tests/access/world.py builds them):
  admin           fund_admin
  coord_a         coordinator of region A (where the world's company and session are)
  coord_b         coordinator of region B only
  coord_none      coordinator without regions
  fac_own         facilitator of the world's session
  fac_other       facilitator of another session
  consumer_owner  reporting_consumer who owns the world's subscription
  consumer_other  reporting_consumer who does not
  anonymous, expired, bad_signature, alg_none, wrong_audience, link_token (a signed link used as a bearer token)
"""

from __future__ import annotations

from dataclasses import dataclass

REAL = ("admin", "coord_a", "coord_b", "coord_none", "fac_own", "fac_other", "consumer_owner", "consumer_other")
BAD = ("anonymous", "expired", "bad_signature", "alg_none", "wrong_audience", "link_token")
PRINCIPALS = REAL + BAD
SHORT = {"A": "admin", "CA": "coord_a", "CB": "coord_b", "CN": "coord_none", "FO": "fac_own", "FX": "fac_other",
         "PO": "consumer_owner", "PX": "consumer_other"}

# Routes that are infrastructure, not access-controlled features: health, metrics, static files, API docs.
EXCLUDED_PREFIXES = ("/livez", "/readyz", "/metrics", "/static", "/api/v1/docs", "/api/v1/openapi.json")
EXCLUDED_EXACT = ("/api/v1",)  # the API's index: where the document and docs are


@dataclass(frozen=True)
class Rule:
    ok: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()
    page: bool = False  # a page: anonymous visitors are sent to sign in instead of 401
    public: bool = False  # no bearer token needed (signed link)
    signin: bool = False  # the sign-in routes

    def expect(self, principal: str, method: str = "GET") -> str:
        if self.signin:
            return "signin"
        if self.public:
            return "public"
        if principal == "anonymous" and self.page:
            return "csrf" if method == "POST" else "login"
        if principal in BAD:
            return "401"
        if principal in self.ok:
            return "ok"
        return "404" if principal in self.hidden else "403"

    def as_page(self) -> Rule:
        return Rule(self.ok, self.hidden, page=True)


def rule(ok: str = "", hidden: str = "") -> Rule:
    return Rule(frozenset(SHORT[s] for s in ok.split()), frozenset(SHORT[s] for s in hidden.split()))


PUBLIC = Rule(public=True)
SIGNIN = Rule(signin=True)
ADMIN = rule("A")
STAFF = rule("A CA CB CN")  # by role only: a coordinator's lists are confined to their regions
REGION = rule("A CA", hidden="CB CN")  # one thing in region A: other coordinators may not learn it exists
SESSION_STAFF_LIST = rule("A CA CB CN FO FX")  # lists confined to your regions / your own sessions
SEE_SESSION = rule("A CA FO", hidden="CB CN FX")  # the session's facilitator sees it too
MANAGE_SESSION = rule("A CA", hidden="CB CN")  # facilitators may not change sessions (403 by role)
REGION_READERS = rule("A CA CB CN PO PX")  # reporting figures: consumers see all, coordinators their regions
OWN_SUBSCRIPTION = rule("A PO", hidden="PX")  # a subscription is its owner's (and the fund administrator's)
SUBSCRIBERS = rule("A PO PX")
FACILITATOR = rule("FO FX")
REPORTING_REGION = rule("A CA", hidden="CB CN")

P = Rule.as_page

ENROLMENT: dict[str, Rule] = {
    # API
    "POST /api/v1/programmes": ADMIN,
    "GET /api/v1/programmes": STAFF,
    "GET /api/v1/programmes/<uuid:programme_id>": STAFF,
    "PATCH /api/v1/programmes/<uuid:programme_id>": ADMIN,
    "POST /api/v1/programmes/<uuid:programme_id>/opening": ADMIN,
    "POST /api/v1/programmes/<uuid:programme_id>/closing": ADMIN,
    "POST /api/v1/companies": ADMIN,
    "GET /api/v1/companies": STAFF,
    "GET /api/v1/companies/<uuid:company_id>": REGION,
    "PATCH /api/v1/companies/<uuid:company_id>": ADMIN,
    "POST /api/v1/enrolments": ADMIN,
    "GET /api/v1/enrolments": STAFF,
    "GET /api/v1/enrolments/<uuid:enrolment_id>": REGION,
    "POST /api/v1/enrolments/<uuid:enrolment_id>/intakes": ADMIN,
    "GET /api/v1/enrolments/<uuid:enrolment_id>/intakes": ADMIN,  # the director's interview: fund staff only
    "GET /api/v1/enrolments/<uuid:enrolment_id>/intakes/<uuid:intake_id>": ADMIN,
    "POST /api/v1/enrolments/<uuid:enrolment_id>/intakes/<uuid:intake_id>/rescheduling": ADMIN,
    "POST /api/v1/enrolments/<uuid:enrolment_id>/intakes/<uuid:intake_id>/outcome": ADMIN,
    "POST /api/v1/enrolments/<uuid:enrolment_id>/admission": ADMIN,
    "POST /api/v1/enrolments/<uuid:enrolment_id>/declination": ADMIN,
    "POST /api/v1/enrolments/<uuid:enrolment_id>/delegates": ADMIN,
    "GET /api/v1/enrolments/<uuid:enrolment_id>/delegates": REGION,
    "GET /api/v1/enrolments/<uuid:enrolment_id>/delegates/<uuid:person_id>": REGION,
    "DELETE /api/v1/enrolments/<uuid:enrolment_id>/delegates/<uuid:person_id>": ADMIN,
    "POST /api/v1/enrolments/<uuid:enrolment_id>/follow-ups": ADMIN,
    "GET /api/v1/enrolments/<uuid:enrolment_id>/follow-ups": REGION,
    "GET /api/v1/enrolments/<uuid:enrolment_id>/follow-ups/<uuid:follow_up_id>": REGION,
    "POST /api/v1/enrolments/<uuid:enrolment_id>/completion": ADMIN,
    "POST /api/v1/enrolments/<uuid:enrolment_id>/withdrawal": ADMIN,
    "GET /api/v1/persons": ADMIN,
    "GET /api/v1/persons/<uuid:person_id>/export": ADMIN,
    "GET /api/v1/persons/<uuid:person_id>/complete-export": ADMIN,
    "POST /api/v1/persons/<uuid:person_id>/erasure": ADMIN,
    "GET /api/v1/audit-entries": ADMIN,
    # pages
    "GET /programmes": P(STAFF),
    "GET /programmes/new": P(ADMIN),
    "POST /programmes/new": P(ADMIN),
    "GET /programmes/<uuid:programme_id>": P(STAFF),
    "GET /programmes/<uuid:programme_id>/edit": P(ADMIN),
    "POST /programmes/<uuid:programme_id>/edit": P(ADMIN),
    "POST /programmes/<uuid:programme_id>/opening": P(ADMIN),
    "POST /programmes/<uuid:programme_id>/closing": P(ADMIN),
    "GET /companies": P(STAFF),
    "GET /companies/new": P(ADMIN),
    "POST /companies/new": P(ADMIN),
    "GET /companies/<uuid:company_id>": P(REGION),
    "POST /companies/<uuid:company_id>/enrolments": P(ADMIN),
    "GET /enrolments/<uuid:enrolment_id>": P(REGION),
    "GET /enrolments/<uuid:enrolment_id>/intakes/new": P(ADMIN),
    "POST /enrolments/<uuid:enrolment_id>/intakes/new": P(ADMIN),
    "GET /enrolments/<uuid:enrolment_id>/intakes/<uuid:intake_id>/rescheduling": P(ADMIN),
    "POST /enrolments/<uuid:enrolment_id>/intakes/<uuid:intake_id>/rescheduling": P(ADMIN),
    "GET /enrolments/<uuid:enrolment_id>/intakes/<uuid:intake_id>/outcome": P(ADMIN),
    "POST /enrolments/<uuid:enrolment_id>/intakes/<uuid:intake_id>/outcome": P(ADMIN),
    "GET /enrolments/<uuid:enrolment_id>/intakes/<uuid:intake_id>/verdict": P(ADMIN),
    "POST /enrolments/<uuid:enrolment_id>/admission": P(ADMIN),
    "POST /enrolments/<uuid:enrolment_id>/declination": P(ADMIN),
    "GET /enrolments/<uuid:enrolment_id>/delegates": P(REGION),
    "POST /enrolments/<uuid:enrolment_id>/delegates": P(ADMIN),
    "POST /enrolments/<uuid:enrolment_id>/delegates/<uuid:person_id>/removal": P(ADMIN),
    "GET /enrolments/<uuid:enrolment_id>/follow-ups": P(REGION),
    "POST /enrolments/<uuid:enrolment_id>/follow-ups": P(ADMIN),
    "POST /enrolments/<uuid:enrolment_id>/completion": P(ADMIN),
    "GET /enrolments/<uuid:enrolment_id>/withdrawal": P(ADMIN),
    "POST /enrolments/<uuid:enrolment_id>/withdrawal": P(ADMIN),
    "GET /audit": P(ADMIN),
    "GET /persons": P(ADMIN),
    "GET /persons/<uuid:person_id>/export.json": P(ADMIN),
}

# Every service but enrolment (whose own are above): its part of a person's export, its audit trail (API + page).
PRIVACY_AND_AUDIT: dict[str, Rule] = {
    "GET /api/v1/persons/<uuid:person_id>/export": ADMIN,
    "GET /api/v1/audit-entries": ADMIN,
    "GET /audit": P(ADMIN),
}

SESSIONS: dict[str, Rule] = {
    "POST /api/v1/sessions": rule("A CA", hidden=""),
    "GET /api/v1/sessions": SESSION_STAFF_LIST,
    "GET /api/v1/sessions/<uuid:session_id>": SEE_SESSION,
    "POST /api/v1/sessions/<uuid:session_id>/rescheduling": MANAGE_SESSION,
    "POST /api/v1/sessions/<uuid:session_id>/confirmation": MANAGE_SESSION,
    "POST /api/v1/sessions/<uuid:session_id>/invitations": MANAGE_SESSION,
    "GET /api/v1/sessions/<uuid:session_id>/invitations": SEE_SESSION,
    "POST /api/v1/sessions/<uuid:session_id>/registrations": MANAGE_SESSION,
    "GET /api/v1/sessions/<uuid:session_id>/registrations": SEE_SESSION,
    "GET /api/v1/registrations/<uuid:registration_id>": SEE_SESSION,
    "POST /api/v1/sessions/<uuid:session_id>/attendance": SEE_SESSION,
    "POST /api/v1/sessions/<uuid:session_id>/evaluations": MANAGE_SESSION,
    "GET /api/v1/sessions/<uuid:session_id>/evaluation-summary": SEE_SESSION,
    "POST /api/v1/sessions/<uuid:session_id>/closing": MANAGE_SESSION,
    "POST /api/v1/registrations/<uuid:registration_id>/cancellation": MANAGE_SESSION,
    "POST /api/v1/sessions/<uuid:session_id>/cancellation": MANAGE_SESSION,
    "GET /api/v1/sessions/needing-decision": STAFF,
    "POST /api/v1/sessions/<uuid:session_id>/decisions": MANAGE_SESSION,
    "GET /api/v1/sessions/<uuid:session_id>/decisions": SEE_SESSION,
    "POST /api/v1/session-series": rule("A CA", hidden=""),
    "GET /api/v1/session-series/<uuid:series_id>": SEE_SESSION,  # a facilitator sees the series of their sessions
    "GET /api/v1/programmes": SESSION_STAFF_LIST,
    "GET /api/v1/delegates": STAFF,
    # The world asks for fac_own's feed: only that facilitator and the fund administrator may make it (a
    # coordinator's feed of a facilitator would list sessions beyond the coordinator's regions).
    "POST /api/v1/calendar-feeds": rule("A FO"),
    "DELETE /api/v1/calendar-feeds/<uuid:feed_id>": rule("A CA"),
    "GET /api/v1/calendars/<string:token>.ics": PUBLIC,
    "GET /api/v1/links/<any(confirm, cancel, evaluate):action>": PUBLIC,
    "POST /api/v1/links/<any(confirm, cancel, evaluate):action>": PUBLIC,
    # pages
    "GET /calendar": P(STAFF),
    "GET /sessions": P(STAFF),
    "GET /my-sessions": P(FACILITATOR),
    "GET /evaluations": P(STAFF),
    "GET /alerts": P(STAFF),
    "GET /sessions/new": P(STAFF),
    "POST /sessions/new": P(STAFF),
    "GET /sessions/<uuid:session_id>": P(SEE_SESSION),
    "GET /sessions/<uuid:session_id>/evaluations": P(SEE_SESSION),
    "GET /sessions/<uuid:session_id>/edit": P(MANAGE_SESSION),
    "POST /sessions/<uuid:session_id>/edit": P(MANAGE_SESSION),
    "POST /sessions/<uuid:session_id>/confirm": P(MANAGE_SESSION),
    "POST /sessions/<uuid:session_id>/invitations": P(MANAGE_SESSION),
    "POST /sessions/<uuid:session_id>/registrations": P(MANAGE_SESSION),
    "GET /sessions/<uuid:session_id>/attendance": P(SEE_SESSION),
    "POST /sessions/<uuid:session_id>/attendance": P(SEE_SESSION),
    "POST /sessions/<uuid:session_id>/close": P(MANAGE_SESSION),
    "POST /registrations/<uuid:registration_id>/cancel": P(MANAGE_SESSION),
    "GET /sessions/<uuid:session_id>/cancel": P(MANAGE_SESSION),
    "POST /sessions/<uuid:session_id>/cancel": P(MANAGE_SESSION),
    "GET /participant/calendar.ics": PUBLIC,
    "GET /decisions": P(STAFF),
    "GET /sessions/<uuid:session_id>/decision": P(MANAGE_SESSION),
    "POST /sessions/<uuid:session_id>/decision": P(MANAGE_SESSION),
    "GET /sessions/series/new": P(STAFF),
    "POST /sessions/series/new": P(STAFF),
    "GET /sessions/series/<uuid:series_id>": P(SEE_SESSION),
}

NOTIFICATIONS: dict[str, Rule] = {
    "GET /api/v1/deliveries": ADMIN,
    "GET /api/v1/deliveries/<uuid:delivery_id>": ADMIN,
    "GET /api/v1/staff": STAFF,
    "GET /api/v1/staff/<string:staff_id>": STAFF,
    "PUT /api/v1/staff/<string:staff_id>": ADMIN,
    "DELETE /api/v1/staff/<string:staff_id>": ADMIN,
    "POST /api/v1/campaigns": ADMIN,
    "GET /api/v1/campaigns": ADMIN,
    "GET /api/v1/campaigns/<uuid:campaign_id>": ADMIN,
    "POST /api/v1/campaigns/<uuid:campaign_id>/pause": ADMIN,
    "POST /api/v1/campaigns/<uuid:campaign_id>/resumption": ADMIN,
    "POST /api/v1/campaigns/<uuid:campaign_id>/stop": ADMIN,
    "GET /api/v1/suppressions": ADMIN,
    "POST /api/v1/suppressions": ADMIN,
    "DELETE /api/v1/suppressions/<string:person_id>": ADMIN,
    "GET /api/v1/templates": ADMIN,
    "GET /api/v1/templates/<string:kind>/preview": ADMIN,
    "GET /api/v1/unsubscribe": PUBLIC,
    "POST /api/v1/unsubscribe": PUBLIC,
    # pages
    "GET /deliveries": P(ADMIN),
    "GET /deliveries/<delivery_id>": P(ADMIN),
    "GET /campaigns": P(ADMIN),
    "GET /campaigns/new": P(ADMIN),
    "POST /campaigns/new": P(ADMIN),
    "GET /campaigns/<campaign_id>": P(ADMIN),
    "POST /campaigns/<campaign_id>/<action>": P(ADMIN),
    "GET /templates": P(ADMIN),
    "GET /templates/<kind>": P(ADMIN),
    "GET /staff": P(STAFF),
    "GET /staff/new": P(ADMIN),
    "POST /staff/new": P(ADMIN),
    "GET /staff/<staff_id>/edit": P(ADMIN),
    "POST /staff/<staff_id>/edit": P(ADMIN),
    "GET /staff/<staff_id>/delete": P(ADMIN),
    "POST /staff/<staff_id>/delete": P(ADMIN),
}

REPORTING: dict[str, Rule] = {
    "GET /api/v1/figures/companies": REGION_READERS,
    "GET /api/v1/programmes": REGION_READERS,
    "GET /api/v1/programmes/<uuid:programme_id>/final-report": REGION_READERS,
    "GET /api/v1/programmes/<uuid:programme_id>/companies": STAFF,
    "GET /api/v1/programmes/<uuid:programme_id>/companies/<uuid:company_id>/report": REPORTING_REGION,
    "POST /api/v1/programmes/<uuid:programme_id>/companies/<uuid:company_id>/report-links": ADMIN,
    "GET /api/v1/company-reports/<token>": PUBLIC,
    "GET /api/v1/feed": SUBSCRIBERS,
    "GET /api/v1/event-types": SUBSCRIBERS,
    "POST /api/v1/subscriptions": SUBSCRIBERS,
    "GET /api/v1/subscriptions": SUBSCRIBERS,
    "GET /api/v1/subscriptions/<uuid:subscription_id>": OWN_SUBSCRIPTION,
    "POST /api/v1/subscriptions/<uuid:subscription_id>/activation": OWN_SUBSCRIPTION,
    "POST /api/v1/subscriptions/<uuid:subscription_id>/deactivation": OWN_SUBSCRIPTION,
    "GET /api/v1/subscriptions/<uuid:subscription_id>/deliveries": OWN_SUBSCRIPTION,
    "GET /api/v1/subscriptions/<uuid:subscription_id>/deliveries/<uuid:delivery_id>": OWN_SUBSCRIPTION,
    "POST /api/v1/subscriptions/<uuid:subscription_id>/deliveries/<uuid:delivery_id>/redelivery": OWN_SUBSCRIPTION,
    "POST /api/v1/subscriptions/<uuid:subscription_id>/replays": OWN_SUBSCRIPTION,
    "POST /api/v1/subscriptions/<uuid:subscription_id>/secret-rotation": OWN_SUBSCRIPTION,
    "DELETE /api/v1/subscriptions/<uuid:subscription_id>": OWN_SUBSCRIPTION,
    # pages
    "GET /dashboard": P(REGION_READERS),
    "GET /final-report": P(REGION_READERS),
    "GET /final-report/<uuid:programme_id>.<any(csv, xlsx):fmt>": P(REGION_READERS),
    "GET /subscriptions": P(SUBSCRIBERS),
    "GET /subscriptions/new": P(SUBSCRIBERS),
    "POST /subscriptions/new": P(SUBSCRIBERS),
    "GET /subscriptions/<subscription_id>": P(OWN_SUBSCRIPTION),
    "POST /subscriptions/<subscription_id>/<any(activation, deactivation):change>": P(OWN_SUBSCRIPTION),
    "GET /subscriptions/<subscription_id>/secret-rotation": P(OWN_SUBSCRIPTION),
    "POST /subscriptions/<subscription_id>/secret-rotation": P(OWN_SUBSCRIPTION),
    "GET /subscriptions/<subscription_id>/delete": P(OWN_SUBSCRIPTION),
    "POST /subscriptions/<subscription_id>/delete": P(OWN_SUBSCRIPTION),
}

# Served by every service (common blueprints): the front door, sign-in and the language switch.
COMMON: dict[str, Rule] = {
    "GET /": PUBLIC,
    "GET /auth/login": SIGNIN,
    "GET /auth/callback": SIGNIN,
    "GET /auth/signed-out": PUBLIC,
    "POST /auth/logout": PUBLIC,
    "GET /auth/lang": PUBLIC,
}

MATRIX: dict[str, dict[str, Rule]] = {
    "enrolment": {**ENROLMENT, **COMMON},
    "sessions": {**SESSIONS, **PRIVACY_AND_AUDIT, **COMMON},
    "notifications": {**NOTIFICATIONS, **PRIVACY_AND_AUDIT, **COMMON},
    "reporting": {**REPORTING, **PRIVACY_AND_AUDIT, **COMMON},
}


def cells() -> list[tuple[str, str, str]]:
    """(service, route, principal) for every cell; on each route the allowed principals come last, so that
    what they change (a cancelled session, a deleted subscription) cannot alter a refused principal's answer."""
    out = []
    for service, routes in MATRIX.items():
        for route, r in routes.items():
            method = route.split(" ", 1)[0]
            for principal in sorted(PRINCIPALS, key=lambda p: r.expect(p, method) in ("ok", "public", "signin")):
                out.append((service, route, principal))
    return out
