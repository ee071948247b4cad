"""A national programme, generated: companies, participants, sessions and the events behind them.

Deterministic: the same scale and seed give the same rows, ids and events
(a `random.Random(seed)` draws everything, ids included). At scale 1 it is
one programme of 10,000 companies in three regions, 100,000 delegated
participants, 20,000 sessions over two years and about 1,000,000 events.

What is generated is the state the four services' own tables hold after
those events, in each service's own columns (`national_load.py` copies it
in), and the event stream itself: every internal event reporting consumed
(its dedupe claim in `processed_events`) and the pseudonymous public copy it
published (`external_events`, the pull feed), in the order they happened.
The event count is steered by the registrations per session, so the total
lands near `events` whatever the other figures.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

REGIONS = ("Noord", "Midden", "Zuid")
START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
SESSION_DAYS = 700  # sessions from START over almost two years
TODAY = START + timedelta(days=540)  # the dataset's "now": sessions before it were held (or cancelled)
SESSION_TYPES = (("dialogue", 8), ("intervision", 6), ("workshop", 4), ("kick_off", 1), ("closing", 1))
FORMATS = ("on_site", "regional_venue", "online")
JOB_LEVELS = ("manager", "supervisor", "foreman", "employee", "other")
ACTIVITIES = ("whiteboard_meetings", "own_intervision", "internal_dialogues", "rollout_all_managers", "other")
LEVELS = ("none", "occasional", "structural")
FACILITATORS = tuple(f"facilitator-{n:03d}" for n in range(1, 61))
# Events per registration beyond the invitation, its mail and the registration itself (attendance on held
# sessions, evaluations, cancellations): used to aim the registrations per session at the event total.
EVENTS_PER_PLACE = 4.1


class Company(NamedTuple):
    id: str
    name: str
    kvk: str
    region: str
    director_id: str
    registered_at: datetime


class Enrolment(NamedTuple):
    id: str
    company_id: str
    region: str
    state: str  # admitted companies go on to active, withdrawn or completed
    interested_at: datetime
    intake_id: str
    intake_on: date
    assessed_level: int
    admitted_on: date | None
    declined_on: date | None
    activated_on: date | None
    withdrawn_on: date | None
    withdrawal_reason: str | None
    completed_on: date | None


class Delegate(NamedTuple):
    person_id: str
    enrolment_id: str
    company_id: str
    region: str
    name: str
    job_level: str
    delegated_at: datetime


class FollowUp(NamedTuple):
    id: str
    enrolment_id: str
    company_id: str
    activity: str
    occurred_on: date
    level: str
    recorded_at: datetime


class Session(NamedTuple):
    id: str
    type: str
    region: str
    format: str
    starts_at: datetime
    duration: int
    capacity_min: int
    capacity_max: int
    facilitators: list[str]
    host_company_id: str | None
    status: str  # planned, confirmed, held, cancelled
    version: int


class Place(NamedTuple):
    """One participant's invitation to, registration for and (held sessions) attendance at one session."""

    registration_id: str
    invitation_id: str
    session_id: str
    person_id: str
    company_id: str
    arrival: int
    invited_at: datetime
    registered_at: datetime
    cancelled_at: datetime | None
    cancelled_late: bool | None
    attendance: str | None
    attendance_at: datetime | None
    attendance_event: str | None
    evaluation_id: str | None
    score: int | None


@dataclass
class Programme:
    scale: float
    seed: int
    target_events: int
    programme_id: str = ""
    companies: list[Company] = field(default_factory=list)
    enrolments: list[Enrolment] = field(default_factory=list)
    delegates: list[Delegate] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {"companies": len(self.companies), "participants": len(self.delegates),
                "sessions": len(self.sessions), "registrations": len(self.places),
                "follow_ups": len(self.follow_ups)}


def generate(scale: float = 1.0, seed: int = 14) -> Programme:
    """The whole programme at `scale` (1.0: 10,000 companies, 100,000 participants, 20,000 sessions, ~1M events)."""
    rng = random.Random(seed)
    n_companies, n_people = max(3, round(10_000 * scale)), max(10, round(100_000 * scale))
    n_sessions = max(6, round(20_000 * scale))
    prog = Programme(scale, seed, round(1_000_000 * scale), programme_id=_id(rng))

    def new_id() -> str:
        return _id(rng)

    for n in range(n_companies):
        registered = START - timedelta(days=60) + timedelta(minutes=rng.randrange(60 * 24 * 50))
        prog.companies.append(Company(new_id(), f"Bouwbedrijf {_name(rng)} {n + 1}", f"{10_000_000 + n:08d}",
                                      REGIONS[rng.randrange(len(REGIONS))], new_id(), registered))
    for c in prog.companies:
        prog.enrolments.append(_enrolment(rng, new_id, c))
    admitted = [e for e in prog.enrolments if e.admitted_on is not None]
    for n in range(n_people):
        e = admitted[n % len(admitted)]
        prog.delegates.append(Delegate(new_id(), e.id, e.company_id, e.region, f"Deelnemer {_name(rng)} {n + 1}",
                                       rng.choice(JOB_LEVELS), datetime.combine(e.activated_on or e.intake_on,
                                                                                datetime.min.time(), UTC)
                                       + timedelta(hours=9, minutes=rng.randrange(480))))
    for e in admitted:
        if e.activated_on is None:
            continue
        for k in range(rng.choice((1, 2, 2, 3))):
            occurred = e.activated_on + timedelta(days=90 + 120 * k + rng.randrange(60))
            recorded = datetime.combine(occurred, datetime.min.time(), UTC) + timedelta(days=rng.randrange(1, 20))
            prog.follow_ups.append(FollowUp(new_id(), e.id, e.company_id, rng.choice(ACTIVITIES), occurred,
                                            rng.choice(LEVELS), recorded))
    _sessions_and_places(prog, rng, new_id, n_sessions)
    return prog


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _name(rng: random.Random) -> str:
    return rng.choice(("de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "de Boer", "Bos",
                       "Vos", "Peters", "Hendriks", "van Dijk", "Dekker", "Brouwer", "de Wit"))


def _enrolment(rng: random.Random, new_id: Any, c: Company) -> Enrolment:
    interested = c.registered_at + timedelta(hours=rng.randrange(1, 72))
    intake_on = (interested + timedelta(days=rng.randrange(5, 30))).date()
    roll = rng.random()
    if roll < 0.03:  # declined after the intake
        return Enrolment(new_id(), c.id, c.region, "declined", interested, new_id(), intake_on, 2, None,
                         intake_on + timedelta(days=3), None, None, None, None)
    admitted = intake_on + timedelta(days=rng.randrange(1, 10))
    activated = admitted + timedelta(days=rng.randrange(5, 40))
    withdrawn = reason = completed = None
    state = "active"
    if roll < 0.11:
        state, withdrawn = "withdrawn", activated + timedelta(days=rng.randrange(30, 400))
        reason = rng.choice(("understaffing", "no_director_support", "other"))
    elif roll < 0.50:
        state, completed = "completed", activated + timedelta(days=rng.randrange(400, 520))
    return Enrolment(new_id(), c.id, c.region, state, interested, new_id(), intake_on, rng.randint(3, 5), admitted,
                     None, activated, withdrawn, reason, completed)


def _sessions_and_places(prog: Programme, rng: random.Random, new_id: Any, n_sessions: int) -> None:
    """Sessions in date order, each with places drawn from its region's participants."""
    fixed = sum(1 for _ in _enrolment_events(prog)) + 2 * n_sessions
    per_session = max(1.0, (prog.target_events - fixed) / n_sessions / EVENTS_PER_PLACE)
    by_region: dict[str, list[Delegate]] = {r: [] for r in REGIONS}
    for d in prog.delegates:
        by_region[d.region].append(d)
    types = [t for t, weight in SESSION_TYPES for _ in range(weight)]
    starts = sorted(START + timedelta(days=rng.randrange(SESSION_DAYS), hours=rng.choice((0, 1, 5, 6)))
                    for _ in range(n_sessions))
    arrival = 0
    for starts_at in starts:
        region = REGIONS[rng.randrange(len(REGIONS))]
        fmt = rng.choice(FORMATS)
        past = starts_at < TODAY
        status = ("cancelled" if rng.random() < 0.05 else "held") if past else rng.choice(("planned", "confirmed"))
        session = Session(new_id(), rng.choice(types), region, fmt, starts_at, rng.choice((90, 120, 180)), 6, 18,
                          rng.sample(FACILITATORS, 2 if fmt == "online" else 1),
                          rng.choice(prog.companies).id if fmt == "on_site" else None, status,
                          2 if status == "cancelled" else 1)
        prog.sessions.append(session)
        pool = by_region[region] or prog.delegates
        wanted = min(len(pool), max(1, round(rng.uniform(0.6, 1.4) * per_session)))
        for d in rng.sample(pool, wanted):
            arrival += 1
            invited = starts_at - timedelta(days=21, minutes=rng.randrange(600))
            registered = invited + timedelta(days=rng.randrange(1, 10), minutes=rng.randrange(600))
            cancelled = late = attendance = attendance_at = attendance_event = evaluation = score = None
            if rng.random() < 0.05:
                cancelled = registered + timedelta(days=rng.randrange(1, 10))
                late = cancelled > starts_at - timedelta(days=2)
            elif status == "held":
                attendance = rng.choices(("attended", "no_show", "excused"), (85, 10, 5))[0]
                attendance_at = starts_at + timedelta(minutes=session.duration + 10)
                attendance_event = new_id()
                if attendance == "attended" and rng.random() < 0.6:
                    evaluation, score = new_id(), rng.choices(range(5, 11), (1, 2, 5, 9, 6, 3))[0]
            prog.places.append(Place(new_id(), new_id(), session.id, d.person_id, d.company_id, arrival, invited,
                                     registered, cancelled, late, attendance, attendance_at, attendance_event,
                                     evaluation, score))


# -- the event stream -----------------------------------------------------------------------------
class Fact(NamedTuple):
    """One internal event as reporting consumed it."""

    service: str
    name: str
    id: str
    time: datetime
    data: dict[str, Any]


def events(prog: Programme, seed: int) -> Iterator[Fact]:
    """Every internal event of the programme, enrolment's first, then each session's in session order."""
    rng = random.Random(seed + 1)
    yield from _enrolment_events(prog, rng)
    p = prog.programme_id
    places: dict[str, list[Place]] = {}
    for one in prog.places:
        places.setdefault(one.session_id, []).append(one)
    for s in prog.sessions:
        snapshot = {"session_id": s.id, "programme_id": p, "type": s.type, "region": s.region, "format": s.format,
                    "host_company_id": s.host_company_id, "starts_at": _iso(s.starts_at),
                    "ends_at": _iso(s.starts_at + timedelta(minutes=s.duration)), "duration_minutes": s.duration,
                    "capacity_min": s.capacity_min, "capacity_max": s.capacity_max, "facilitator_ids": s.facilitators,
                    "working_method": None, "sequence_number": None, "status": "planned", "version": 1}
        yield Fact("sessions", "SessionScheduled", _id(rng), s.starts_at - timedelta(days=30), snapshot)
        mine = places.get(s.id, [])
        for pl in mine:
            place = {"session_id": s.id, "programme_id": p, "registration_id": pl.registration_id,
                     "person_id": pl.person_id, "company_id": pl.company_id}
            yield Fact("sessions", "ParticipantInvited", _id(rng), pl.invited_at,
                       {**place, "invitation_id": pl.invitation_id})
            yield Fact("notifications", "NotificationSent", _id(rng), pl.invited_at + timedelta(seconds=30),
                       {"delivery_id": f"invitation:{pl.invitation_id}", "kind": "invitation"})
            yield Fact("sessions", "ParticipantRegistered", _id(rng), pl.registered_at, place)
            if pl.cancelled_at is not None:
                yield Fact("sessions", "RegistrationCancelled", _id(rng), pl.cancelled_at,
                           {**place, "late": pl.cancelled_late, "cause": "participant"})
        if s.status == "cancelled":
            yield Fact("sessions", "SessionCancelled", _id(rng), s.starts_at - timedelta(days=3),
                       {"session_id": s.id, "programme_id": p, "version": 2})
            continue
        if s.status != "held":
            continue
        for pl in mine:
            if pl.attendance is not None and pl.attendance_at is not None and pl.attendance_event is not None:
                yield Fact("sessions", "AttendanceRecorded", pl.attendance_event, pl.attendance_at,
                           {"session_id": s.id, "programme_id": p, "registration_id": pl.registration_id,
                            "person_id": pl.person_id, "company_id": pl.company_id, "attendance": pl.attendance})
        counts = {a: sum(1 for pl in mine if pl.attendance == a) for a in ("attended", "no_show", "excused")}
        yield Fact("sessions", "SessionHeld", _id(rng), s.starts_at + timedelta(minutes=s.duration + 15),
                   {"session_id": s.id, "programme_id": p, "type": s.type, "region": s.region,
                    "attended": counts["attended"], "no_shows": counts["no_show"], "excused": counts["excused"]})
        for pl in mine:
            if pl.evaluation_id is not None:
                yield Fact("sessions", "EvaluationSubmitted", pl.evaluation_id, s.starts_at + timedelta(days=1),
                           {"evaluation_id": pl.evaluation_id, "session_id": s.id, "programme_id": p,
                            "person_id": pl.person_id, "company_id": pl.company_id, "score": pl.score,
                            "facilitator_ids": s.facilitators})


def _enrolment_events(prog: Programme, rng: random.Random | None = None) -> Iterator[Fact]:
    rng = rng or random.Random(0)  # counting only: ids do not matter then
    p = prog.programme_id
    yield Fact("enrolment", "ProgrammeOpened", _id(rng), START - timedelta(days=90), programme_snapshot(prog))
    for c in prog.companies:
        yield Fact("enrolment", "CompanyRegistered", _id(rng), c.registered_at,
                   {"company_id": c.id, "region": c.region, "name": c.name})
    for e in prog.enrolments:
        ref = {"enrolment_id": e.id, "company_id": e.company_id, "programme_id": p}
        day = datetime.combine(e.intake_on, datetime.min.time(), UTC) + timedelta(hours=10)
        yield Fact("enrolment", "CompanyShowedInterest", _id(rng), e.interested_at, {**ref, "region": e.region})
        yield Fact("enrolment", "IntakeHeld", _id(rng), day,
                   {**ref, "intake_id": e.intake_id, "held_on": e.intake_on.isoformat(), "commitments": {},
                    "assessed_level": e.assessed_level, "meets_admission_rule": e.admitted_on is not None})
        for name, on, extra in (("CompanyDeclined", e.declined_on, {}),
                                ("CompanyAdmitted", e.admitted_on, {"region": e.region}),
                                ("CompanyActivated", e.activated_on, {"region": e.region}),
                                ("CompanyWithdrew", e.withdrawn_on,
                                 {"region": e.region, "reason_code": e.withdrawal_reason}),
                                ("CompanyCompleted", e.completed_on, {})):
            if on is not None:
                field_name = {"CompanyDeclined": "declined_on", "CompanyAdmitted": "admitted_on",
                              "CompanyActivated": "activated_on", "CompanyWithdrew": "withdrawn_on",
                              "CompanyCompleted": "completed_on"}[name]
                yield Fact("enrolment", name, _id(rng), datetime.combine(on, datetime.min.time(), UTC)
                           + timedelta(hours=11), {**ref, **extra, field_name: on.isoformat()})
    for d in prog.delegates:
        yield Fact("enrolment", "ParticipantDelegated", _id(rng), d.delegated_at,
                   {"enrolment_id": d.enrolment_id, "company_id": d.company_id, "programme_id": p,
                    "region": d.region, "person_id": d.person_id, "job_level": d.job_level,
                    "below_management": d.job_level in ("foreman", "employee")})
    for f in prog.follow_ups:
        yield Fact("enrolment", "FollowUpRecorded", _id(rng), f.recorded_at,
                   {"enrolment_id": f.enrolment_id, "company_id": f.company_id, "programme_id": p,
                    "follow_up_id": f.id, "activity": f.activity, "occurred_on": f.occurred_on.isoformat(),
                    "adoption_level": f.level})


def programme_snapshot(prog: Programme) -> dict[str, Any]:
    return {"programme_id": prog.programme_id, "name": programme_name(prog), "fund": "Opleidingsfonds Bouw",
            "theme": "Leiderschap", "period_start": START.date().isoformat(),
            "period_end": (START + timedelta(days=SESSION_DAYS + 30)).date().isoformat(), "regions": list(REGIONS),
            "planned_sessions": {t: round(w / 20 * len(prog.sessions)) for t, w in SESSION_TYPES}}


def programme_name(prog: Programme) -> str:
    return f"Landelijk programma (schaal {prog.scale:g})"


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


iso = _iso
