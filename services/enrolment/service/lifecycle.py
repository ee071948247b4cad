"""An enrolment's lifecycle: interest, intake interviews, the commitment gate, decline, withdrawal, completion.

Every use case on an enrolment runs inside `_locked`: concurrent requests on one
enrolment serialise on its row lock, so its events keep their order.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from werkzeug.exceptions import NotFound

from services.common import audit
from services.common.db import unit_of_work
from services.common.problems import Conflict, InvalidInput
from services.enrolment import db, domain, payloads
from services.enrolment.service.base import Conn, Row, UseCases, today
from services.enrolment.views import enrolment_view, intake_view, outcome_of, rule_of


class Lifecycle(UseCases):
    """A company's enrolment in a programme, from interest to admitted, declined, withdrawn or completed."""

    @staticmethod
    def _director(conn: Conn, company_id: UUID, preferred: UUID | None = None) -> Row:
        """The director mail goes to (the interviewee when known); 409 when there is none to reach."""
        reachable = [d for d in db.directors_of(conn, [company_id], share=True) if d["email"]]
        for d in reachable:
            if d["id"] == preferred:
                return d
        if not reachable:
            raise Conflict("the company has no director with contact data; add one first",
                           missing=["a director with name and e-mail"])
        return reachable[0]

    def enrol(self, company_id: UUID, programme_id: UUID) -> Row:
        """A registered company shows interest in an open programme."""
        with unit_of_work(self.pool) as conn:
            company = db.get_company(conn, company_id)
            programme = db.get_programme(conn, programme_id, share=True)
            problems: dict[str, str | list[str]] = {}
            if company is None:
                problems["company_id"] = "no such company"
            if programme is None:
                problems["programme_id"] = "no such programme"
            if problems:
                raise InvalidInput(problems)
            assert company is not None and programme is not None
            if programme["status"] != "open":
                raise Conflict(f"the programme is {programme['status']}; companies enrol only in an open programme",
                               current_state=programme["status"],
                               allowed_next=list(domain.PROGRAMME_NEXT[programme["status"]]))
            if company["region"] not in programme["regions"]:
                raise InvalidInput({"company_id": f"the company's region {company['region']} is not one of the "
                                                  f"programme's regions ({', '.join(programme['regions'])})"})
            enrolment_id = uuid.uuid4()
            if not db.insert_enrolment(conn, enrolment_id, company_id, programme_id):
                raise Conflict("the company is already enrolled in this programme")
            e = db.get_enrolment(conn, enrolment_id)
            assert e is not None
            self.outbox.add(conn, [payloads.company_showed_interest(e)])
            audit.record(conn, "enrolment.create", "enrolment", str(enrolment_id),
                         {"company_id": str(company_id), "programme_id": str(programme_id)})
            return enrolment_view(e)

    def enrolment(self, enrolment_id: UUID) -> Row | None:
        with self._read() as conn:
            e = db.get_enrolment(conn, enrolment_id)
            return enrolment_view(e) if e else None

    def enrolments(self, filters: Row, regions: list[str] | None, limit: int, offset: int) -> tuple[list[Row], int]:
        with self._read() as conn:
            rows, total = db.list_enrolments(conn, filters, regions, limit, offset)
            return [enrolment_view(r) for r in rows], total

    def schedule_intake(self, enrolment_id: UUID, data: Row) -> Row:
        with self._locked(enrolment_id) as (conn, e):
            state = domain.schedule_intake(e["state"])
            self._open_programme(conn, e, "intake interviews")
            director = self._director(conn, e["company_id"])
            intake = db.insert_intake(conn, uuid.uuid4(), enrolment_id, data["scheduled_at"], data["location"])
            e = self._set(conn, e, {"state": state})
            self._share_contact(conn, director)
            self.outbox.add(conn, [payloads.intake_scheduled(e, intake, director)])
            audit.record(conn, "intake.schedule", "enrolment", str(enrolment_id), {"intake_id": str(intake["id"])})
            return intake_view(intake, self._programme(conn, e["programme_id"]))

    def reschedule_intake(self, enrolment_id: UUID, intake_id: UUID, data: Row) -> Row:
        with self._locked(enrolment_id) as (conn, e):
            intake = self._intake(conn, enrolment_id, intake_id)
            domain.reschedule_intake(e["state"])
            self._open_programme(conn, e, "intake interviews")
            if intake["status"] != "scheduled":
                raise Conflict("this intake was already held", current_state=e["state"],
                               allowed_next=domain.allowed_next(e["state"]))
            director = self._director(conn, e["company_id"])
            intake = db.update(conn, "intakes", intake_id, {"scheduled_at": data["scheduled_at"],
                                                            "location": data["location"],
                                                            "sequence": intake["sequence"] + 1})
            self._share_contact(conn, director)
            self.outbox.add(conn, [payloads.intake_scheduled(e, intake, director)])
            audit.record(conn, "intake.reschedule", "enrolment", str(enrolment_id),
                         {"intake_id": str(intake_id), "sequence": intake["sequence"]})
            return intake_view(intake, self._programme(conn, e["programme_id"]))

    def record_intake_outcome(self, enrolment_id: UUID, intake_id: UUID, data: Row) -> Row:
        with self._locked(enrolment_id) as (conn, e):
            intake = self._intake(conn, enrolment_id, intake_id)
            state = domain.hold_intake(e["state"])
            if intake["status"] != "scheduled":
                raise Conflict("this intake's outcome was already recorded", current_state=e["state"],
                               allowed_next=domain.allowed_next(e["state"]))
            programme = self._programme(conn, e["programme_id"])
            checklist = [*domain.STANDARD_COMMITMENTS, *programme["extra_commitments"]]
            problems: dict[str, str | list[str]] = {}
            unknown = sorted(set(data["commitments"]) - set(checklist))
            if unknown:
                problems["commitments"] = f"not on this programme's checklist: {', '.join(unknown)}"
            directors = {d["id"]: d for d in db.directors_of(conn, [e["company_id"]])}
            interviewee = data["interviewee_person_id"]
            if interviewee is not None and interviewee not in directors:
                problems["interviewee_person_id"] = "not a director of this company"
            if problems:
                raise InvalidInput(problems)
            if interviewee is None and directors:
                interviewee = next(iter(directors))
            commitments = {item: bool(data["commitments"].get(item, False)) for item in checklist}
            outcome = domain.IntakeOutcome(commitments, data["assessed_level"])
            meets = not domain.missing_for_admission(rule_of(programme), outcome)
            intake = db.update(conn, "intakes", intake_id, {
                "status": "held", "held_on": data["held_on"], "interviewee_person_id": interviewee,
                "interviewee_role": data["interviewee_role"], "interviewer": data["interviewer"],
                "commitments": commitments, "assessed_level": data["assessed_level"],
                "meets_admission_rule": meets, "notes": data["notes"]})
            e = self._set(conn, e, {"state": state})
            self.outbox.add(conn, [payloads.intake_held(e, intake)])
            audit.record(conn, "intake.outcome", "enrolment", str(enrolment_id),
                         {"intake_id": str(intake_id), "assessed_level": data["assessed_level"],
                          "meets_admission_rule": meets})
            return intake_view(intake, programme)

    def intake(self, enrolment_id: UUID, intake_id: UUID) -> Row:
        with self._read() as conn:
            intake = self._intake(conn, enrolment_id, intake_id)
            e = db.get_enrolment(conn, enrolment_id)
            assert e is not None
            return intake_view(intake, self._programme(conn, e["programme_id"]))

    def intakes(self, enrolment_id: UUID, limit: int, offset: int) -> tuple[list[Row], int]:
        with self._read() as conn:
            e = db.get_enrolment(conn, enrolment_id)
            if e is None:
                raise NotFound("no such enrolment")
            programme = self._programme(conn, e["programme_id"])
            rows, total = db.list_intakes(conn, enrolment_id, limit, offset)
            return [intake_view(r, programme) for r in rows], total

    @staticmethod
    def _intake(conn: Conn, enrolment_id: UUID, intake_id: UUID) -> Row:
        intake = db.get_intake(conn, enrolment_id, intake_id)
        if intake is None:
            raise NotFound("no such intake for this enrolment")
        return intake

    def admit(self, enrolment_id: UUID, data: Row) -> Row:
        with self._locked(enrolment_id) as (conn, e):
            programme = self._open_programme(conn, e, "admissions")
            latest = db.latest_held_intake(conn, enrolment_id)
            try:
                state = domain.admit(e["state"], rule_of(programme), outcome_of(latest))
            except domain.GateClosed as exc:
                raise Conflict(f"not admissible: the held intake lacks {'; '.join(exc.missing)}",
                               current_state=e["state"], allowed_next=domain.allowed_next(e["state"]),
                               missing=exc.missing) from None
            director = self._director(conn, e["company_id"], latest["interviewee_person_id"] if latest else None)
            e = self._set(conn, e, {"state": state, "admitted_on": data["admitted_on"] or today()})
            self._share_contact(conn, director)
            self.outbox.add(conn, [payloads.company_admitted(e, director)])
            audit.record(conn, "enrolment.admit", "enrolment", str(enrolment_id))
            return enrolment_view(e)

    def decline(self, enrolment_id: UUID, data: Row) -> Row:
        with self._locked(enrolment_id) as (conn, e):
            state = domain.decline(e["state"])
            latest = db.latest_held_intake(conn, enrolment_id)
            director = self._director(conn, e["company_id"], latest["interviewee_person_id"] if latest else None)
            e = self._set(conn, e, {"state": state, "declined_on": data["declined_on"] or today(),
                                    "decline_reason": data["reason"]})
            self._share_contact(conn, director)
            self.outbox.add(conn, [payloads.company_declined(e, director)])
            audit.record(conn, "enrolment.decline", "enrolment", str(enrolment_id))
            return enrolment_view(e)

    def withdraw(self, enrolment_id: UUID, data: Row) -> Row:
        with self._locked(enrolment_id) as (conn, e):
            state = domain.withdraw(e["state"])
            e = self._set(conn, e, {"state": state, "withdrawn_on": data["withdrawn_on"] or today(),
                                    "withdrawal_reason": data["reason_code"], "withdrawal_text": data["reason_text"]})
            self.outbox.add(conn, [payloads.company_withdrew(e)])
            audit.record(conn, "enrolment.withdraw", "enrolment", str(enrolment_id),
                         {"reason_code": data["reason_code"]})
            return enrolment_view(e)

    def complete(self, enrolment_id: UUID, data: Row) -> Row:
        with self._locked(enrolment_id) as (conn, e):
            state = domain.complete(e["state"])
            e = self._set(conn, e, {"state": state, "completed_on": data["completed_on"] or today()})
            self.outbox.add(conn, [payloads.company_completed(e)])
            audit.record(conn, "enrolment.complete", "enrolment", str(enrolment_id))
            return enrolment_view(e)
