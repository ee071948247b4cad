"""One programme per fault window, run through the HTTP APIs as the fund's people would.

A cohort: a programme (opened), companies with a director each (registered,
interest, intake scheduled and held with every commitment, admitted),
delegates, one regional session with its own facilitator, invitations and
registrations of every delegate, attendance (the first registrant is a
no-show), the session closed, and an evaluation from every attendee. The
session is one minute long and starts shortly after it is scheduled: the
sessions API takes attendance only once a session has started, and
evaluations once it has ended.

What the cohort sent is written down as it goes (`Sent`), so the checks can
count every projection, mail and public record against it.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from bench.faults.client import Api, wait_for

REGION = "Noord"
COMMITMENTS = ("director_attends_kickoff_and_closing", "staff_time_released", "managers_delegated",
               "internal_follow_up_owner")
SCORES = (8, 7, 9, 6, 8, 10, 7)
_kvk = itertools.count(int(time.time()) % 10_000_000 * 10)


@dataclass
class Sent:
    """What one cohort did successfully, and so what the platform must show for it."""

    phase: str
    run: str
    programme_id: str = ""
    company_ids: list[str] = field(default_factory=list)
    directors: list[str] = field(default_factory=list)  # e-mail addresses
    delegates: dict[str, str] = field(default_factory=dict)  # person id -> e-mail address
    company_of: dict[str, str] = field(default_factory=dict)  # person id -> company id
    session_id: str = ""
    facilitator: str = ""  # e-mail address
    registrations: dict[str, str] = field(default_factory=dict)  # person id -> registration id
    attendance: dict[str, str] = field(default_factory=dict)  # person id -> attended | no_show
    evaluations: dict[str, int] = field(default_factory=dict)  # person id -> score
    held: bool = False
    steps: list[str] = field(default_factory=list)  # what was done, for the report of a stuck cohort
    error: str = ""

    def mails(self) -> Counter[tuple[str, str]]:
        """(kind, address) -> how many: each person is in one session, so the session is implied."""
        out: Counter[tuple[str, str]] = Counter()
        for address in self.directors:
            for kind in ("intake_invitation", "intake_confirmation", "admission"):
                out[(kind, address)] += 1
        if self.session_id:
            out[("facilitator_assignment", self.facilitator)] += 1
        for person in self.registrations:
            out[("session_invitation", self.delegates[person])] += 1
        for person, what in self.attendance.items():
            if what == "attended":
                out[("evaluation_request", self.delegates[person])] += 1
        return out


class Cohort:
    def __init__(self, api: Api, sent: Sent, companies: int, delegates: int, lead_s: float = 25,
                 settle_timeout: float = 240, pace_s: float = 0) -> None:
        self.api, self.sent = api, sent
        self.companies, self.delegates_per_company = companies, delegates
        # Seconds between companies: a fault that lasts a while meets writes all along, not one burst at its start.
        self.pace_s = pace_s
        self.lead_s, self.settle_timeout = lead_s, settle_timeout
        self.tag = f"{sent.run}-{sent.phase}"
        self.starts = datetime.now(UTC)
        # Set by the suite: () -> bool, the sink holds this cohort's invitations.
        self.invitations_out: Callable[[], bool] | None = None

    def key(self, what: str) -> str:
        return f"faults-{self.tag}-{what}"

    def run(self) -> None:
        try:
            self.programme()
            for n in range(self.companies):
                if n and self.pace_s:
                    time.sleep(self.pace_s)
                self.company(n)
            self.session()
            self.record()
            self.evaluate()
        except Exception as exc:  # the checks report what is missing; say why here
            self.sent.error = f"{type(exc).__name__}: {exc}"

    def programme(self) -> None:
        today = date.today()
        facilitator = f"fac-{self.tag}"
        self.sent.facilitator = f"{facilitator}@begeleiding.example"
        self.api.must("PUT", "notifications", f"/staff/{facilitator}", {
            "role": "facilitator", "name": f"Begeleider {self.sent.phase}", "email": self.sent.facilitator,
            "language": "nl"})
        programme = self.api.must("POST", "enrolment", "/programmes", {
            "name": f"Foutentest {self.tag}", "regions": [REGION], "max_delegates_per_company": 4,
            "planned_sessions": {"dialogue": 1}, "reminder_hours_before": 48,
            "period_start": (today - timedelta(days=30)).isoformat(),
            "period_end": (today + timedelta(days=60)).isoformat(),
            "session_rules": {"min_duration_minutes": 1, "max_duration_minutes": 210, "online_facilitators": 2}},
            key=self.key("programme"))
        self.sent.programme_id = programme["id"]
        self.api.must("POST", "enrolment", f"/programmes/{programme['id']}/opening", {}, key=self.key("opening"))
        self.sent.steps.append("programme")

    def company(self, n: int) -> None:
        api, tag = self.api, f"{self.sent.phase}-{n}"
        director = f"directie.{self.tag}.{n}@bedrijf.example".lower()
        company = api.must("POST", "enrolment", "/companies", {
            "name": f"Bouwbedrijf {self.tag} {n}", "kvk_number": f"{next(_kvk) % 10**8:08d}", "region": REGION,
            "directors": [{"name": f"Directeur {tag}", "email": director, "language": "nl"}]},
            key=self.key(f"company-{n}"))
        self.sent.company_ids.append(company["id"])
        enrolment = api.must("POST", "enrolment", "/enrolments", {
            "company_id": company["id"], "programme_id": self.sent.programme_id}, key=self.key(f"interest-{n}"))
        path = f"/enrolments/{enrolment['id']}"
        intake = api.must("POST", "enrolment", f"{path}/intakes", {
            "scheduled_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(), "location": "Op kantoor"},
            key=self.key(f"intake-{n}"))
        self.sent.directors.append(director)
        api.must("POST", "enrolment", f"{path}/intakes/{intake['id']}/outcome", {
            "held_on": date.today().isoformat(), "interviewee_role": "director", "interviewer": "Projectleider",
            "commitments": dict.fromkeys(COMMITMENTS, True), "assessed_level": 3}, key=self.key(f"outcome-{n}"))
        api.must("POST", "enrolment", f"{path}/admission", {}, key=self.key(f"admission-{n}"))
        for k in range(self.delegates_per_company):
            address = f"deelnemer.{self.tag}.{n}.{k}@bedrijf.example".lower()
            person = api.must("POST", "enrolment", f"{path}/delegates", {
                "name": f"Deelnemer {tag}-{k}", "email": address, "language": "nl",
                "job_level": "manager" if k % 2 == 0 else "supervisor"}, key=self.key(f"delegate-{n}-{k}"))
            self.sent.delegates[str(person["person_id"])] = address
            self.sent.company_of[str(person["person_id"])] = company["id"]
        self.sent.steps.append(f"company {n}")

    def session(self) -> None:
        api, pid = self.api, self.sent.programme_id
        wanted = len(self.sent.delegates)

        def sessions_knows_everyone() -> bool:
            known = api.items("sessions", "/delegates", programme_id=pid)
            return sum(1 for d in known if d["eligible"]) >= wanted
        # Sessions learns the programme, admissions and delegates from enrolment's events (through Kafka).
        wait_for(sessions_knows_everyone, "sessions to know every delegate as eligible", self.settle_timeout)
        self.sent.steps.append("delegates known to sessions")
        starts = (datetime.now(UTC) + timedelta(seconds=self.lead_s)).replace(microsecond=0)
        session = api.must("POST", "sessions", "/sessions", {
            "programme_id": pid, "type": "dialogue", "region": REGION, "format": "regional_venue",
            "venue_address": "Stationsplein 1, Zwolle", "starts_at": starts.isoformat(), "duration_minutes": 1,
            "capacity_min": 1, "capacity_max": 30, "facilitator_ids": [f"fac-{self.tag}"]},
            key=self.key("session"))
        self.sent.session_id = session["id"]
        self.starts = starts
        api.must("POST", "sessions", f"/sessions/{session['id']}/invitations",
                 {"person_ids": list(self.sent.delegates)}, key=self.key("invitations"))
        for person in self.sent.delegates:
            reg = api.must("POST", "sessions", f"/sessions/{session['id']}/registrations", {"person_id": person},
                           key=self.key(f"registration-{person}"))
            self.sent.registrations[person] = str(reg["id"])
        self.sent.steps.append("session scheduled, invited, registered")

    def _sleep_until(self, moment: datetime) -> None:
        wait = (moment - datetime.now(UTC)).total_seconds()
        if wait > 0:
            time.sleep(wait)

    def record(self) -> None:
        """Attendance once the session has started; closed once the invitations are out."""
        sid = self.sent.session_id
        self._sleep_until(self.starts + timedelta(seconds=1))
        records = []
        for index, registration in enumerate(self.sent.registrations.values()):
            what = "no_show" if index == 0 else "attended"
            records.append({"registration_id": registration, "attendance": what})
        self.api.must("POST", "sessions", f"/sessions/{sid}/attendance", {"records": records},
                      key=self.key("attendance"))
        for person, rec in zip(self.sent.registrations, records, strict=True):
            self.sent.attendance[person] = rec["attendance"]
        if self.invitations_out is not None:
            # A held session voids invitations still queued (nobody is invited to the past): close only once the
            # invitations went out, as a coordinator closes a session days after inviting.
            wait_for(self.invitations_out, "the invitations to be mailed", self.settle_timeout, every=1)
        self.api.must("POST", "sessions", f"/sessions/{sid}/closing", {}, key=self.key("closing"))
        self.sent.held = True
        self.sent.steps.append("attendance recorded, closed")

    def evaluate(self) -> None:
        sid = self.sent.session_id
        self._sleep_until(self.starts + timedelta(minutes=1, seconds=1))
        attended = [p for p, what in self.sent.attendance.items() if what == "attended"]
        for n, person in enumerate(attended):
            score = SCORES[n % len(SCORES)]
            self.api.must("POST", "sessions", f"/sessions/{sid}/evaluations", {"person_id": person, "score": score},
                          key=self.key(f"evaluation-{person}"))
            self.sent.evaluations[person] = score
        self.sent.steps.append("evaluated")
