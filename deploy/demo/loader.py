"""Load the demo programme through the public APIs, step by step as the fund's people would.

The sessions API schedules only in the future and takes attendance once a
session has started and evaluations once it has ended. So the sessions the
final report counts as held are scheduled a minute or so ahead, one minute
long (the programme allows 1-minute sessions while loading; its normal
60-210 minutes are put back at the end), invited and registered through the
participants' links, and then recorded, closed and evaluated when their time
has come: loading takes a few minutes. The sessions still to come are
planned in the coming weeks with realistic times.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from deploy.demo import data
from deploy.demo.client import Api, DemoError, wait_for

AMS = ZoneInfo("Europe/Amsterdam")


@dataclass
class Person:
    person_id: str
    company: data.Company
    job_level: str


@dataclass
class Loaded:
    """What the loader made, and the figures it expects the reports to show."""

    programme_id: str = ""
    enrolments: dict[str, str] = field(default_factory=dict)  # company key -> enrolment id
    company_ids: dict[str, str] = field(default_factory=dict)
    people: list[Person] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)  # plan key -> session (+ "plan")
    registered: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # plan key -> (registration, person)
    attended: dict[str, list[str]] = field(default_factory=dict)  # plan key -> person ids
    attendance: Counter[str] = field(default_factory=Counter)
    late_cancellations: int = 0
    waitlisted: int = 0
    scores: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        held = [s["plan"].type for s in self.sessions.values() if s["plan"].slot is not None]
        planned = [s["plan"].type for s in self.sessions.values() if s["plan"].slot is None]
        stayed = [c for c in data.COMPANIES if not c.declined and c.withdrawal is None]
        return {
            "programme_id": self.programme_id,
            "companies": {"registered": len(data.COMPANIES), "started": len(self.enrolments),
                          "declined": sum(c.declined for c in data.COMPANIES),
                          "withdrawn": sum(c.withdrawal is not None for c in data.COMPANIES)},
            "delegates": len(self.people),
            "delegates_below_management": sum(p.job_level != "manager" for p in self.people),
            "sessions_held": dict(Counter(held)), "sessions_planned": dict(Counter(planned)),
            "attendance": dict(self.attendance), "late_cancellations": self.late_cancellations,
            "waitlisted": self.waitlisted, "evaluations": len(self.scores),
            "evaluation_average": round(sum(self.scores) / len(self.scores), 2) if self.scores else None,
            "follow_up": {"adopted": sum(any(f[1] != "none" for f in c.follow_up) for c in stayed), "of": len(stayed)},
        }


def find_existing(api: Api) -> dict[str, Any] | None:
    for programme in api.items("enrolment", "/programmes"):
        if programme["name"] == data.PROGRAMME_NAME:
            return programme
    return None


def local(day: date, hh_mm: str) -> str:
    hour, minute = (int(x) for x in hh_mm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMS).isoformat()


class Loader:
    def __init__(self, api: Api, say: Callable[[str], None] = print, lead_seconds: float = 75,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.api, self.say, self.lead, self.clock = api, say, lead_seconds, clock
        self.today = datetime.now(AMS).date()
        self.out = Loaded()

    # -- the programme and its companies ----------------------------------------------------------
    def staff(self) -> None:
        for staff_id, name, email in data.FACILITATORS.values():
            self.api.must("PUT", "notifications", f"/staff/{staff_id}",
                          {"role": "facilitator", "name": name, "email": email, "language": "nl"})
        for staff_id, name, email, region in data.COORDINATORS:
            self.api.must("PUT", "notifications", f"/staff/{staff_id}",
                          {"role": "coordinator", "name": name, "email": email, "language": "nl", "regions": [region]})
        self.say(f"staff directory: {len(data.FACILITATORS)} facilitators (Bram Smit = Keycloak user `begeleider`), "
                 f"{len(data.COORDINATORS)} coordinators")

    def programme(self) -> None:
        body = {**data.PROGRAMME, "session_rules": data.LOADING_RULES,
                "period_start": (self.today - timedelta(days=60)).isoformat(),
                "period_end": (self.today + timedelta(days=60)).isoformat()}
        programme = self.api.must("POST", "enrolment", "/programmes", body, key="demo-programme")
        self.out.programme_id = programme["id"]
        self.api.must("POST", "enrolment", f"/programmes/{programme['id']}/opening", {}, key="demo-opening")
        self.say(f"programme \"{data.PROGRAMME_NAME}\" opened: {programme['id']}")

    def company(self, index: int, c: data.Company) -> None:
        api, key = self.api, f"demo-{c.kvk}"
        company = api.must("POST", "enrolment", "/companies", {
            "name": c.name, "kvk_number": c.kvk, "region": c.region, "size": c.size,
            "address": {"street": c.street, "postal_code": c.postal_code, "city": c.city},
            "directors": [{"name": c.director, "email": f"directie@{c.domain}", "role": c.director_role,
                           "language": "nl"}]}, key=f"{key}-company")
        self.out.company_ids[c.key] = company["id"]
        enrolment = api.must("POST", "enrolment", "/enrolments",
                             {"company_id": company["id"], "programme_id": self.out.programme_id},
                             key=f"{key}-interest")
        path = f"/enrolments/{enrolment['id']}"
        held_on = self.today - timedelta(days=50 - 2 * index)
        intake = api.must("POST", "enrolment", f"{path}/intakes", {
            "scheduled_at": local(held_on, "10:00"), "location": f"Op kantoor in {c.city}"}, key=f"{key}-intake")
        committed = {item: not c.declined or item in data.COMMITMENTS[:2] for item in data.COMMITMENTS}
        api.must("POST", "enrolment", f"{path}/intakes/{intake['id']}/outcome", {
            "held_on": held_on.isoformat(), "interviewee_role": c.director_role,
            "interviewee_person_id": company["directors"][0]["person_id"], "interviewer": data.INTERVIEWER,
            "commitments": committed, "assessed_level": c.level,
            "notes": "Directie twijfelt over vrijmaken van leidinggevenden; geen eigenaar voor borging."
            if c.declined else "Directie staat achter het project en komt naar de aftrap en de slotbijeenkomst."},
            key=f"{key}-outcome")
        if c.declined:
            gate = api.call("POST", "enrolment", f"{path}/admission", {}, key=f"{key}-admission-refused")
            if gate.status != 409:
                raise DemoError(f"the gate should refuse {c.name} (insufficient commitment), got {gate.status}")
            api.must("POST", "enrolment", f"{path}/declination", {
                "reason": "Onvoldoende commitment van de directie bij het intakegesprek: geen leidinggevenden "
                          "vrijgemaakt en geen interne eigenaar voor de borging.",
                "declined_on": (held_on + timedelta(days=5)).isoformat()}, key=f"{key}-declined")
            self.say(f"  {c.name} ({c.region}): intake with insufficient commitment, the gate refused "
                     f"({', '.join(gate.body.get('missing', []))}), declined")
            return
        api.must("POST", "enrolment", f"{path}/admission", {"admitted_on": (held_on + timedelta(days=7)).isoformat()},
                 key=f"{key}-admitted")
        self.out.enrolments[c.key] = enrolment["id"]
        warnings = 0
        for n, d in enumerate(c.delegates):
            first, _, last = d.name.partition(" ")
            person = api.must("POST", "enrolment", f"{path}/delegates", {
                "name": d.name, "email": f"{first[0].lower()}.{last.replace(' ', '').lower()}@{c.domain}",
                "language": "nl", "job_level": d.job_level}, key=f"{key}-delegate-{n}")
            warnings += bool(person.get("warnings"))
            self.out.people.append(Person(person["person_id"], c, d.job_level))
        self.say(f"  {c.name} ({c.region}, KvK {c.kvk}): intake level {c.level}, admitted, {len(c.delegates)} "
                 f"delegates" + (f" ({warnings} below management, flagged)" if warnings else ""))

    def companies(self) -> None:
        self.say(f"companies: {len(data.COMPANIES)} with a director intake interview each")
        for index, c in enumerate(data.COMPANIES):
            self.company(index, c)

    def wait_for_sessions(self) -> None:
        """Sessions learns of the programme, admissions and delegates from enrolment's events."""
        pid = self.out.programme_id
        wait_for(lambda: any(p["programme_id"] == pid for p in self.api.items("sessions", "/programmes")),
                 "the sessions service to know the programme")
        expected = len(self.out.people)
        wait_for(lambda: sum(d["eligible"] for d in self.api.items("sessions", "/delegates", programme_id=pid))
                 >= expected, f"the sessions service to know all {expected} delegates as eligible")

    # -- sessions ---------------------------------------------------------------------------------
    def invitees(self, plan: data.Plan) -> list[str] | None:
        stayed = [p for p in self.out.people if p.company.withdrawal is None]
        if plan.who == "region":
            return None  # every eligible delegate of the region
        if plan.who == "all":
            chosen = self.out.people
        elif plan.who.startswith("intervision"):
            chosen = [p for p in stayed if p.company.region == plan.region][int(plan.who[-1]) - 1::2]
        elif plan.who == "managers_region":
            chosen = [p for p in stayed if p.company.region == plan.region and p.job_level == "manager"]
        elif plan.who == "managers":
            chosen = [p for p in stayed if p.job_level == "manager"]
        else:
            chosen = stayed
        return [p.person_id for p in chosen]

    def schedule(self, plan: data.Plan, starts_at: str, duration: int) -> dict[str, Any]:
        body: dict[str, Any] = {
            "programme_id": self.out.programme_id, "type": plan.type, "region": plan.region, "format": plan.format,
            "starts_at": starts_at, "duration_minutes": duration, "capacity_min": plan.capacity[0],
            "capacity_max": plan.capacity[1], "facilitator_ids": [data.FACILITATORS[f][0] for f in plan.facilitators],
            "working_method": plan.working_method, "sequence_number": plan.sequence}
        if plan.format == "online":
            body["online_url"] = data.TEAMS.format(key=plan.key)
        elif plan.host:
            host = next(c for c in data.COMPANIES if c.key == plan.host)
            body.update(venue_address=f"{host.street}, {host.postal_code} {host.city}",
                        host_company_id=self.out.company_ids[host.key])
        else:
            body["venue_address"] = data.VENUES[plan.region]
        session = self.api.must("POST", "sessions", "/sessions", body, key=f"demo-session-{plan.key}")
        self.out.sessions[plan.key] = {**session, "plan": plan}
        return dict(session)

    def fill(self, plan: data.Plan) -> None:
        """Invite, then let people take a place through their links; some cancel (late: within 48 hours)."""
        sid = self.out.sessions[plan.key]["id"]
        named = self.invitees(plan)
        invited = self.api.must("POST", "sessions", f"/sessions/{sid}/invitations",
                                {} if named is None else {"person_ids": named}, key=f"demo-invite-{plan.key}")
        people = [i["person_id"] for i in invited["invited"]]
        places = []
        for person_id in people[: plan.register or len(people)]:
            reg = self.api.link("confirm", sid, person_id)
            if reg["status"] == "waitlisted":
                self.out.waitlisted += 1
            else:
                places.append((reg["registration_id"], person_id))
        for _, person_id in places[len(places) - plan.late_cancels:] if plan.late_cancels else []:
            self.api.link("cancel", sid, person_id)
            self.out.late_cancellations += 1
        self.out.registered[plan.key] = places[: len(places) - plan.late_cancels]

    def held_block(self) -> datetime:
        """Schedule and fill the sessions the report counts as held; returns when the first starts."""
        earliest = self.clock() + timedelta(seconds=self.lead)
        start = earliest.replace(second=0, microsecond=0)  # on a whole minute, as a coordinator would plan
        start += timedelta(minutes=1) if start < earliest else timedelta(0)
        held = [p for p in data.PLANS if p.slot is not None]
        for plan in held:
            self.schedule(plan, (start + timedelta(minutes=plan.slot or 0)).isoformat(), 1)
        for plan in held:
            self.fill(plan)
        if self.clock() >= start:
            raise DemoError(f"registrations were not done before the sessions started ({start:%H:%M:%S} UTC); "
                            "run again with a longer --lead")
        self.say(f"{len(held)} sessions scheduled from {start.astimezone(AMS):%H:%M} (one minute each), "
                 f"{sum(len(v) for v in self.out.registered.values())} places taken through participants' links, "
                 f"{self.out.late_cancellations} late cancellations")
        return start

    def record(self, start: datetime) -> None:
        """Per slot, once its sessions have started: attendance (as the facilitator would), then closing."""
        salt = 0
        for slot in sorted({p.slot for p in data.PLANS if p.slot is not None}):
            begins = start + timedelta(minutes=slot)
            self.sleep_until(begins + timedelta(seconds=2), f"sessions of {begins.astimezone(AMS):%H:%M}")
            for plan in [p for p in data.PLANS if p.slot == slot]:
                sid = self.out.sessions[plan.key]["id"]
                records = []
                self.out.attended[plan.key] = []
                for index, (registration_id, person_id) in enumerate(self.out.registered[plan.key]):
                    records.append({"registration_id": registration_id, "attendance": data.attendance_for(index, salt)})
                    self.out.attendance[records[-1]["attendance"]] += 1
                    if records[-1]["attendance"] == "attended":
                        self.out.attended[plan.key].append(person_id)
                salt += 1
                self.api.must("POST", "sessions", f"/sessions/{sid}/attendance", {"records": records},
                              key=f"demo-attendance-{plan.key}")
                self.api.must("POST", "sessions", f"/sessions/{sid}/closing", {}, key=f"demo-closing-{plan.key}")
        self.say(f"attendance recorded and sessions closed: {dict(self.out.attendance)}")

    def evaluations(self, start: datetime) -> None:
        last = max(p.slot or 0 for p in data.PLANS if p.slot is not None)
        self.sleep_until(start + timedelta(minutes=last + 1, seconds=2), "the last session to end")
        answered = 0
        for plan in [p for p in data.PLANS if p.slot is not None]:
            sid = self.out.sessions[plan.key]["id"]
            for person_id in self.out.attended[plan.key]:
                answered += 1
                if answered % 5 == 0:
                    continue  # about one in five does not answer
                score = data.SCORES[len(self.out.scores) % len(data.SCORES)]
                body: dict[str, Any] = {"score": score}
                if answered % 3 == 0:
                    body["comment"] = data.COMMENTS[answered % len(data.COMMENTS)]
                self.api.link("evaluate", sid, person_id, body)
                self.out.scores.append(score)
        self.say(f"{len(self.out.scores)} evaluations through participants' links, average "
                 f"{sum(self.out.scores) / len(self.out.scores):.2f}")

    def sleep_until(self, moment: datetime, what: str) -> None:
        import time

        wait = (moment - self.clock()).total_seconds()
        if wait > 0:
            self.say(f"waiting {math.ceil(wait)}s for {what}")
            time.sleep(wait)

    # -- after the sessions -----------------------------------------------------------------------
    def withdrawals(self) -> None:
        for c in data.COMPANIES:
            if c.withdrawal:
                code, text = c.withdrawal
                self.api.must("POST", "enrolment", f"/enrolments/{self.out.enrolments[c.key]}/withdrawal",
                              {"reason_code": code, "reason_text": text, "withdrawn_on": self.today.isoformat()},
                              key=f"demo-{c.kvk}-withdrawal")
                self.say(f"  {c.name} withdrew ({code})")

    def upcoming(self) -> None:
        for plan in [p for p in data.PLANS if p.days_ahead is not None]:
            day = self.today + timedelta(days=plan.days_ahead or 0)
            self.schedule(plan, local(day, plan.at), plan.duration)
            self.fill(plan)
            self.say(f"  {plan.type} ({plan.format}) on {day:%d-%m-%Y} {plan.at}: "
                     f"{len(self.out.registered[plan.key])} registered")

    def follow_ups(self) -> None:
        for c in data.COMPANIES:
            for n, (activity, level, text) in enumerate(c.follow_up):
                self.api.must("POST", "enrolment", f"/enrolments/{self.out.enrolments[c.key]}/follow-ups",
                              {"activity": activity, "adoption_level": level, "description": text,
                               "occurred_on": self.today.isoformat()}, key=f"demo-{c.kvk}-follow-up-{n}")

    def run(self) -> Loaded:
        self.staff()
        self.programme()
        self.companies()
        self.wait_for_sessions()
        start = self.held_block()
        self.record(start)
        self.say("withdrawals:")
        self.withdrawals()
        self.say("sessions still to come:")
        self.upcoming()
        self.follow_ups()
        self.evaluations(start)
        self.api.must("PATCH", "enrolment", f"/programmes/{self.out.programme_id}",
                      {"session_rules": data.SESSION_RULES})
        return self.out
