"""Event payloads as enrolment and sessions produce them, for feeding notifications in tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.notifications.service import Notifications
from tests.integration.notifications.conftest import START, Notifier


def uid() -> str:
    return str(uuid.uuid4())


@dataclass
class Person:
    name: str
    email: str
    language: str = "nl"
    person_id: str = field(default_factory=uid)

    def contact(self) -> dict[str, str]:
        return {"person_id": self.person_id, "name": self.name, "email": self.email, "language": self.language}


@dataclass
class Company:
    name: str
    region: str
    director: Person
    company_id: str = field(default_factory=uid)
    enrolment_id: str = field(default_factory=uid)
    delegates: list[Person] = field(default_factory=list)


@dataclass
class Session:
    session_id: str
    data: dict[str, Any]


class Programme:
    """Drives notifications through a programme's life by feeding it the events of the other services."""

    def __init__(self, n: Notifier, name: str = "Vanzelfsprekend Gezond en Veilig", reminder_hours: int = 48,
                 teaser: str = "Wanneer sprak u voor het laatst een collega aan op onveilig gedrag?",
                 follow_up: str = "Tips en oefenopdrachten voor de whiteboard-methode.", v2: bool = False) -> None:
        self.n = n
        # v2: enrolment's events as produced now, people by id, their contact data as a contacts-topic record.
        self.v2 = v2
        self.programme_id = uid()
        n.feed("enrolment", "ProgrammeOpened", self.programme_id, {
            "programme_id": self.programme_id, "name": name, "regions": ["Noord", "Midden", "Zuid"],
            "planned_sessions": {"dialogue": 9, "intervision": 6}, "max_delegates_per_company": 4,
            "session_rules": {"min_duration_minutes": 60, "max_duration_minutes": 210, "online_facilitators": 2},
            "teaser_question": teaser, "reminder_hours_before": reminder_hours, "follow_up_info": follow_up})

    def contact_details(self, p: Person) -> dict[str, Any]:
        """A record of the compacted contacts topic (the consumer's handler table dispatches it by type)."""
        return self.n.feed("enrolment", "ContactDetailsChanged", p.person_id, p.contact())

    def _with_director(self, name: str, c: Company, data: dict[str, Any]) -> dict[str, Any]:
        if not self.v2:
            return self.n.feed("enrolment", name, c.enrolment_id, {**data, "director": c.director.contact()})
        event = self.n.feed("enrolment", name, c.enrolment_id, {**data, "director_id": c.director.person_id}, major=2)
        self.contact_details(c.director)  # after the event: the worse order of the two topics
        return event

    def _ref(self, c: Company) -> dict[str, Any]:
        return {"enrolment_id": c.enrolment_id, "company_id": c.company_id, "programme_id": self.programme_id}

    def company(self, name: str, region: str, director: Person) -> Company:
        c = Company(name, region, director)
        self.n.feed("enrolment", "CompanyRegistered", c.company_id, {
            "company_id": c.company_id, "name": name, "kvk_number": "12345678", "region": region})
        self.n.feed("enrolment", "CompanyShowedInterest", c.enrolment_id, {**self._ref(c), "region": region})
        return c

    def intake(self, c: Company, at: datetime, sequence: int = 0, intake_id: str | None = None) -> dict[str, Any]:
        return self._with_director("IntakeScheduled", c, {
            **self._ref(c), "intake_id": intake_id or uid(), "scheduled_at": at.isoformat(),
            "location": "Kantoor " + c.name, "sequence": sequence})

    def intake_held(self, c: Company, ok: bool = True) -> dict[str, Any]:
        return self.n.feed("enrolment", "IntakeHeld", c.enrolment_id, {
            **self._ref(c), "intake_id": uid(), "held_on": "2026-03-02", "interviewee_role": "director",
            "commitments": {"director_attends_kickoff_and_closing": True, "managers_delegated": ok,
                            "staff_time_released": True, "internal_follow_up_owner": ok},
            "assessed_level": 4 if ok else 2, "meets_admission_rule": ok})

    def admit(self, c: Company) -> dict[str, Any]:
        return self._with_director("CompanyAdmitted", c, {**self._ref(c), "region": c.region,
                                                          "admitted_on": "2026-03-02"})

    def decline(self, c: Company, reason: str = "Onvoldoende commitment van de directie") -> dict[str, Any]:
        return self._with_director("CompanyDeclined", c, {**self._ref(c), "reason": reason,
                                                          "declined_on": "2026-03-02"})

    def delegate(self, c: Company, p: Person, job_level: str = "manager", contact: bool = True) -> dict[str, Any]:
        """Delegate `p`; in v2 mode their contact record follows, unless `contact` is False (not arrived yet)."""
        c.delegates.append(p)
        data = {**self._ref(c), "region": c.region, "person_id": p.person_id, "job_level": job_level,
                "below_management": job_level not in ("manager", "supervisor")}
        if not self.v2:
            return self.n.feed("enrolment", "ParticipantDelegated", c.enrolment_id, {**data, "contact": p.contact()})
        event = self.n.feed("enrolment", "ParticipantDelegated", c.enrolment_id, data, major=2)
        if contact:
            self.contact_details(p)
        return event

    def withdraw(self, c: Company) -> dict[str, Any]:
        return self.n.feed("enrolment", "CompanyWithdrew", c.enrolment_id, {
            **self._ref(c), "region": c.region, "reason_code": "understaffing", "withdrawn_on": "2026-03-10"})

    def erase(self, p: Person) -> dict[str, Any]:
        return self.n.feed("enrolment", "PersonErased", p.person_id, {"person_id": p.person_id,
                                                                      "erased_on": "2026-03-10"})

    # -- sessions -----------------------------------------------------------------------
    def session(self, region: str, starts_at: datetime, facilitators: list[str], type_: str = "dialogue",
                format_: str = "regional_venue", hours: float = 3) -> Session:
        sid = uid()
        data = {"session_id": sid, "programme_id": self.programme_id, "type": type_, "region": region,
                "format": format_, "venue_address": "Betonweg 1, Zwolle" if format_ != "online" else None,
                "online_url": "https://teams.example/meet/1" if format_ == "online" else None,
                "host_company_id": None, "starts_at": starts_at.isoformat(),
                "ends_at": (starts_at + timedelta(hours=hours)).isoformat(),
                "duration_minutes": int(hours * 60), "capacity_min": 4, "capacity_max": 12,
                "facilitator_ids": facilitators, "working_method": "incident_method", "sequence_number": 1,
                "status": "planned", "version": 1}
        self.n.feed("sessions", "SessionScheduled", sid, data)
        return Session(sid, data)

    def reschedule(self, s: Session, starts_at: datetime) -> dict[str, Any]:
        s.data = {**s.data, "starts_at": starts_at.isoformat(),
                  "ends_at": (starts_at + timedelta(minutes=s.data["duration_minutes"])).isoformat(),
                  "version": s.data["version"] + 1}
        return self.n.feed("sessions", "SessionRescheduled", s.session_id, s.data)

    def cancel(self, s: Session, reason: str = "Te weinig aanmeldingen") -> dict[str, Any]:
        s.data = {**s.data, "status": "cancelled", "version": s.data["version"] + 1}
        return self.n.feed("sessions", "SessionCancelled", s.session_id, {
            "session_id": s.session_id, "programme_id": self.programme_id, "reason": reason,
            "version": s.data["version"]})

    def _person_event(self, name: str, s: Session, c: Company, p: Person, **extra: Any) -> dict[str, Any]:
        data = {"session_id": s.session_id, "programme_id": self.programme_id, "person_id": p.person_id,
                "company_id": c.company_id, **extra}
        return self.n.feed("sessions", name, s.session_id, data)

    def invite(self, s: Session, c: Company, p: Person) -> dict[str, Any]:
        return self._person_event("ParticipantInvited", s, c, p, invitation_id=uid())

    def register(self, s: Session, c: Company, p: Person) -> dict[str, Any]:
        return self._person_event("ParticipantRegistered", s, c, p, registration_id=uid())

    def waitlist(self, s: Session, c: Company, p: Person, position: int = 1) -> dict[str, Any]:
        return self._person_event("ParticipantWaitlisted", s, c, p, registration_id=uid(), position=position)

    def respond(self, s: Session, c: Company, p: Person, response: str) -> dict[str, Any]:
        """Sessions' InvitationResponded: registered | waitlisted | declined."""
        return self._person_event("InvitationResponded", s, c, p, invitation_id=uid(), response=response,
                                  responded_at=self.n.clock.now().isoformat())

    def promote(self, s: Session, c: Company, p: Person) -> dict[str, Any]:
        return self._person_event("WaitlistPromoted", s, c, p, registration_id=uid())

    def unregister(self, s: Session, c: Company, p: Person, late: bool = False, cause: str = "participant",
                   cancelled_by: str | None = None) -> dict[str, Any]:
        """Sessions' RegistrationCancelled; `cancelled_by` (participant | staff | system) is optional, as in v1."""
        extra = {"cancelled_by": cancelled_by} if cancelled_by else {}
        return self._person_event("RegistrationCancelled", s, c, p, registration_id=uid(), late=late, cause=cause,
                                  **extra)

    def attendance(self, s: Session, c: Company, p: Person, attendance: str) -> dict[str, Any]:
        return self._person_event("AttendanceRecorded", s, c, p, registration_id=uid(), attendance=attendance)

    def held(self, s: Session, attended: int, no_shows: int = 0) -> dict[str, Any]:
        return self.n.feed("sessions", "SessionHeld", s.session_id, {
            "session_id": s.session_id, "programme_id": self.programme_id, "type": s.data["type"],
            "region": s.data["region"], "attended": attended, "no_shows": no_shows, "excused": 0})

    def below_minimum(self, s: Session, registered: int) -> dict[str, Any]:
        return self.n.feed("sessions", "SessionBelowMinimum", s.session_id, {
            "session_id": s.session_id, "programme_id": self.programme_id, "region": s.data["region"],
            "registered": registered, "capacity_min": s.data["capacity_min"], "starts_at": s.data["starts_at"]})

    def repeated_no_show(self, c: Company, p: Person, sessions: list[Session]) -> dict[str, Any]:
        return self.n.feed("sessions", "RepeatedNoShow", p.person_id, {
            "person_id": p.person_id, "company_id": c.company_id, "programme_id": self.programme_id,
            "session_ids": [s.session_id for s in sessions]})


def staff(n: Notifier, staff_id: str, role: str, name: str, email: str, regions: list[str] | None = None,
          language: str = "nl") -> None:
    service: Notifications = n.app.extensions["notifications"]
    service.put_staff(staff_id, {"role": role, "name": name, "email": email, "language": language,
                                 "regions": regions or []})


def admitted_with_delegate(n: Notifier, **programme: Any) -> tuple[Programme, Company, Person]:
    """The usual start: an admitted company in Noord whose director is Els and whose delegate is Anna."""
    p = Programme(n, **programme)
    c = p.company("Betonbouw Noord BV", "Noord", Person("Els Bakker", "els@betonnoord.nl"))
    p.admit(c)
    anna = Person("Anna de Jong", "anna@betonnoord.nl")
    p.delegate(c, anna)
    return p, c, anna


def four_in_noord(n: Notifier) -> tuple[Programme, Company, list[Person], Session]:
    """Petra (fac-1) facilitates; Betonbouw Noord delegates Anna, Bram, Cor and Dirk; a session in ten days."""
    staff(n, "fac-1", "facilitator", "Petra Visser", "petra@begeleiding.nl")
    p, c, anna = admitted_with_delegate(n)
    others = [Person(name, f"{name.split()[0].lower()}@betonnoord.nl")
              for name in ("Bram Smit", "Cor Jansen", "Dirk Mulder")]
    for person in others:
        p.delegate(c, person)
    return p, c, [anna, *others], p.session("Noord", START + timedelta(days=10), ["fac-1"])
