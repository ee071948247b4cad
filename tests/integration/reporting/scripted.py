"""The final report's programme as events: 12 companies in 3 regions (plus one
declined at the gate), 2 withdrawn, 9 dialogue and 6 intervision sessions held
(and one cancelled), follow-up for 8 of 10. Every event validates against its
contract; personal data (names, e-mail) is in them exactly as enrolment sends it,
so tests can check it never leaves reporting.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from services.common.events import Event, new_event, validate_event

REGIONS = ("Noord", "Midden", "Zuid")
NS = uuid.UUID("5b0c8d5e-1f3a-4b6c-8d7e-9f0a1b2c3d4e")


def uid(*parts: object) -> str:
    return str(uuid.uuid5(NS, "/".join(map(str, parts))))


@dataclass
class Script:
    """Builds the events in the order they happened (each with its own time)."""

    clock: datetime = field(default_factory=lambda: datetime(2021, 1, 11, 9, 0, tzinfo=UTC))
    events: list[Event] = field(default_factory=list)
    names: list[str] = field(default_factory=list)   # personal data that must never leave reporting
    emails: list[str] = field(default_factory=list)
    internal_ids: set[str] = field(default_factory=set)  # ids that must appear only as pseudonyms

    def emit(self, service: str, name: str, subject: str, data: dict[str, Any], at: datetime | None = None) -> Event:
        self.clock = at or self.clock + timedelta(minutes=7)
        event = new_event(service, name, subject, data, time=self.clock.isoformat().replace("+00:00", "Z"))
        validate_event(event)
        self.events.append(event)
        return event


PROGRAMME_ID = uid("programme")
DECLINED_COMPANY = 12  # index of the 13th company, declined at the gate
WITHDRAWN = {10: "understaffing", 11: "no_director_support"}   # companies 10 (Midden) and 11 (Zuid)
STRUCTURAL, OCCASIONAL, NONE_RECORDED = {0, 1, 2, 3}, {4, 5, 6, 7}, {8}   # company 9 recorded nothing


def company_region(index: int) -> str:
    return REGIONS[index % 3]


def build() -> Script:
    """The whole programme, in chronological order."""
    sc = Script()
    enrolment = lambda n: uid("enrolment", n)  # noqa: E731
    company = lambda n: uid("company", n)  # noqa: E731
    sc.emit("enrolment", "ProgrammeOpened", PROGRAMME_ID, {
        "programme_id": PROGRAMME_ID, "name": "Vanzelfsprekend Gezond en Veilig", "fund": "A+O fonds Beton",
        "theme": "veiligheid", "period_start": "2021-01-01", "period_end": "2022-06-30", "regions": list(REGIONS),
        "planned_sessions": {"dialogue": 9, "intervision": 6}, "max_delegates_per_company": 3,
        "session_rules": {"min_duration_minutes": 60, "max_duration_minutes": 210, "online_facilitators": 2},
        "teaser_question": "Wanneer bracht je jezelf in gevaar?"})
    delegates: dict[int, list[str]] = {}
    for n in range(13):
        region, cid, eid = company_region(n), company(n), enrolment(n)
        director = {"person_id": uid("director", n), "name": f"Directeur Jansen{n}",
                    "email": f"directeur{n}@beton{n}.nl", "language": "nl"}
        sc.names.append(director["name"])
        sc.emails.append(director["email"])
        sc.internal_ids.update({cid, eid, director["person_id"]})
        ids = {"enrolment_id": eid, "company_id": cid, "programme_id": PROGRAMME_ID}
        sc.emit("enrolment", "CompanyRegistered", cid, {"company_id": cid, "name": f"Betonbouw Veldhuis {n} BV",
                                                        "kvk_number": f"{10000000 + n}", "region": region})
        sc.names.append(f"Betonbouw Veldhuis {n} BV")
        sc.emit("enrolment", "CompanyShowedInterest", eid, {**ids, "region": region})
        intake = uid("intake", n)
        sc.internal_ids.add(intake)
        sc.emit("enrolment", "IntakeScheduled", eid, {**ids, "intake_id": intake, "location": "Kantoor",
                                                      "scheduled_at": "2021-01-20T10:00:00Z", "sequence": 0,
                                                      "director": director})
        passes = n != DECLINED_COMPANY
        sc.emit("enrolment", "IntakeHeld", eid, {**ids, "intake_id": intake, "held_on": "2021-01-25",
                                                 "interviewee_role": "director", "assessed_level": 4 if passes else 2,
                                                 "commitments": {"staff_time_released": passes},
                                                 "meets_admission_rule": passes})
        if not passes:
            sc.emit("enrolment", "CompanyDeclined", eid, {**ids, "reason": f"{director['name']} heeft geen tijd",
                                                          "declined_on": "2021-01-26", "director": director})
            continue
        sc.emit("enrolment", "CompanyAdmitted", eid, {**ids, "region": region, "admitted_on": "2021-01-26",
                                                      "director": director})
        delegates[n] = []
        for d in range(3):
            person = uid("person", n, d)
            contact = {"person_id": person, "name": f"Deelnemer de Boer {n}-{d}",
                       "email": f"deelnemer{n}.{d}@beton{n}.nl", "language": "nl"}
            sc.names.append(contact["name"])
            sc.emails.append(contact["email"])
            sc.internal_ids.add(person)
            level = "foreman" if d == 2 and n % 4 == 0 else "manager"
            sc.emit("enrolment", "ParticipantDelegated", eid, {**ids, "region": region, "person_id": person,
                                                               "contact": contact, "job_level": level,
                                                               "below_management": level != "manager"})
            delegates[n].append(person)
        sc.emit("enrolment", "CompanyActivated", eid, {**ids, "region": region, "activated_on": "2021-02-01"})

    def session(kind: str, region: str, k: int, starts: datetime, attendees: list[tuple[int, str]],
                attended_count: int, fmt: str, scores: list[int]) -> None:
        sid = uid("session", kind, region, k)
        facilitators = ["begeleider-anna"] if kind == "dialogue" else ["begeleider-bram", "begeleider-cas"]
        sc.internal_ids.update(facilitators)
        snapshot = {"session_id": sid, "programme_id": PROGRAMME_ID, "type": kind, "region": region, "format": fmt,
                    "venue_address": "Betonweg 1, Utrecht" if fmt != "online" else None,
                    "online_url": "https://teams.example/meet/abc" if fmt == "online" else None,
                    "host_company_id": None, "starts_at": starts.isoformat(),
                    "ends_at": (starts + timedelta(hours=3)).isoformat(), "duration_minutes": 180,
                    "capacity_min": 4 if kind == "intervision" else 10, "capacity_max": 12,
                    "facilitator_ids": facilitators, "working_method": "incident_method", "sequence_number": k + 1,
                    "status": "planned", "version": 1}
        sc.emit("sessions", "SessionScheduled", sid, snapshot, at=starts - timedelta(days=30))
        sc.emit("sessions", "SessionRescheduled", sid, {**snapshot, "status": "confirmed", "version": 2},
                at=starts - timedelta(days=20))
        base = {"session_id": sid, "programme_id": PROGRAMME_ID}
        for i, (n, person) in enumerate(attendees):
            reg = uid("registration", sid, person)
            sc.internal_ids.add(reg)
            place = {**base, "registration_id": reg, "person_id": person, "company_id": company(n)}
            sc.emit("sessions", "ParticipantInvited", sid, {**base, "person_id": person, "company_id": company(n),
                                                             "invitation_id": uid("invitation", sid, person)},
                    at=starts - timedelta(days=19, minutes=-i))
            sc.emit("sessions", "ParticipantRegistered", sid, place, at=starts - timedelta(days=15, minutes=-i))
            outcome = "attended" if i < attended_count else "no_show"
            sc.emit("sessions", "AttendanceRecorded", sid, {**place, "attendance": outcome},
                    at=starts + timedelta(hours=3, minutes=i))
        sc.emit("sessions", "SessionHeld", sid, {**base, "type": kind, "region": region, "attended": attended_count,
                                                 "no_shows": len(attendees) - attended_count, "excused": 0},
                at=starts + timedelta(hours=4))
        for i, score in enumerate(scores):
            n, person = attendees[i]
            evaluation = uid("evaluation", sid, person)
            sc.internal_ids.add(evaluation)
            sc.emit("sessions", "EvaluationSubmitted", sid, {**base, "evaluation_id": evaluation, "person_id": person,
                                                             "company_id": company(n), "score": score,
                                                             "has_comment": True, "facilitator_ids": facilitators},
                    at=starts + timedelta(days=1, minutes=i))

    start = datetime(2021, 3, 1, 13, 0, tzinfo=UTC)
    for k in range(3):  # dialogue rounds: every region, 10 to 12 participants
        for r, region in enumerate(REGIONS):
            people = [(n, p) for n in sorted(delegates) if company_region(n) == region for p in delegates[n]]
            session("dialogue", region, k, start + timedelta(days=60 * k + r), people, 12 - k, "regional_venue",
                    [7, 8, 8])
    # One extra dialogue in Noord was cancelled: it is not "held".
    cancelled = uid("session", "dialogue", "Noord", "cancelled")
    sc.emit("sessions", "SessionScheduled", cancelled, {
        "session_id": cancelled, "programme_id": PROGRAMME_ID, "type": "dialogue", "region": "Noord",
        "format": "regional_venue", "venue_address": "Zaal", "online_url": None, "host_company_id": None,
        "starts_at": "2021-08-02T13:00:00+00:00", "ends_at": "2021-08-02T16:00:00+00:00", "duration_minutes": 180,
        "capacity_min": 10, "capacity_max": 12, "facilitator_ids": ["begeleider-anna"], "working_method": None,
        "sequence_number": None, "status": "planned", "version": 1}, at=datetime(2021, 7, 1, tzinfo=UTC))
    sc.emit("sessions", "SessionCancelled", cancelled, {"session_id": cancelled, "programme_id": PROGRAMME_ID,
                                                        "reason": "te weinig aanmeldingen", "version": 2},
            at=datetime(2021, 7, 20, tzinfo=UTC))
    sc.clock = datetime(2021, 9, 1, tzinfo=UTC)
    for n, reason in WITHDRAWN.items():  # two companies stop after the dialogue sessions
        ids = {"enrolment_id": enrolment(n), "company_id": company(n), "programme_id": PROGRAMME_ID}
        sc.emit("enrolment", "CompanyWithdrew", enrolment(n), {**ids, "region": company_region(n),
                                                               "reason_code": reason, "reason_text": "Onderbezetting",
                                                               "withdrawn_on": "2021-09-01"})
    start = datetime(2021, 10, 4, 13, 0, tzinfo=UTC)
    for k in range(2):  # intervision: half the group, partly online
        for r, region in enumerate(REGIONS):
            people = [(n, p) for n in sorted(delegates) if company_region(n) == region and n not in WITHDRAWN
                      for p in delegates[n]][:6]
            session("intervision", region, k, start + timedelta(days=90 * k + r), people, 6 - k,
                    "on_site" if k == 0 else "online", [8, 8, 7, 7] if k == 0 else [9, 9])
    sc.clock = datetime(2022, 5, 1, tzinfo=UTC)
    for n in sorted(delegates):
        if n in WITHDRAWN:
            continue
        ids = {"enrolment_id": enrolment(n), "company_id": company(n), "programme_id": PROGRAMME_ID}
        if n in STRUCTURAL | OCCASIONAL | NONE_RECORDED:
            follow = uid("follow-up", n)
            sc.internal_ids.add(follow)
            sc.emit("enrolment", "FollowUpRecorded", enrolment(n), {
                **ids, "follow_up_id": follow,
                "activity": "whiteboard_meetings" if n in STRUCTURAL else "internal_dialogues",
                "occurred_on": "2022-04-15",
                "adoption_level": "structural" if n in STRUCTURAL else "occasional" if n in OCCASIONAL else "none"})
        sc.emit("enrolment", "CompanyCompleted", enrolment(n), {**ids, "completed_on": "2022-06-30"})
    sc.emit("notifications", "NotificationSent", uid("mail", 1), {
        "delivery_id": uid("mail", 1), "kind": "session_invitation", "recipient_id": uid("person", 0, 0),
        "cause_event_id": uid("cause"), "sent_at": "2021-02-01T10:00:00Z", "attempts": 1, "language": "nl"})
    sc.emit("enrolment", "ProgrammeClosed", PROGRAMME_ID, {"programme_id": PROGRAMME_ID, "closed_on": "2022-07-01"})
    return sc


EXPECTED = {
    "sessions_held_by_type": {"dialogue": 9, "intervision": 6},
    "sessions_held_by_type_and_region": {"dialogue": {"Noord": 3, "Midden": 3, "Zuid": 3},
                                         "intervision": {"Noord": 2, "Midden": 2, "Zuid": 2}},
    "companies": {"started": 12, "withdrawn": 2, "completed": 10},
    "participants_per_session": {
        "dialogue": {"sessions": 9, "participants": 99, "average": 11.0, "min": 10, "max": 12},
        "intervision": {"sessions": 6, "participants": 33, "average": 5.5, "min": 5, "max": 6}},
    "follow_up": {"adopted": 8, "of": 10, "label_nl": "8 van 10"},
    "evaluation_programme": {"responses": 45, "average": 7.8, "shown": True},
    "evaluation_by_type": {"dialogue": {"responses": 27, "average": 7.67, "shown": True},
                           "intervision": {"responses": 18, "average": 8.0, "shown": True}},
}
