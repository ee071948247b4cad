"""Read-only overviews the pages need beside the API's reads: a programme's funnel, the regions in
use, a company's history, the audit trail newest first, and the gate's verdict before admission."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from uuid import UUID

from werkzeug.exceptions import NotFound

from services.enrolment import db, domain
from services.enrolment.service.base import Row, UseCases
from services.enrolment.views import intake_view, outcome_of, rule_of


class Overview(UseCases):
    """Reads for people rather than programs."""

    def funnel(self, programme_id: UUID, regions: list[str] | None) -> Row:
        with self._read() as conn:
            return db.funnel(conn, programme_id, regions)

    def known_regions(self) -> list[str]:
        with self._read() as conn:
            return db.known_regions(conn)

    def programme_names(self, ids: Iterable[UUID]) -> dict[UUID, str]:
        with self._read() as conn:
            return db.programme_names(conn, ids)

    def company_history(self, company_id: UUID, enrolment_ids: Iterable[UUID], limit: int,
                        offset: int) -> tuple[list[Row], int]:
        """Audit rows of the company and of its enrolments, newest first."""
        subjects = [("company", str(company_id)), *(("enrolment", str(e)) for e in enrolment_ids)]
        with self._read() as conn:
            return db.audit_of_subjects(conn, subjects, limit, offset)

    def audit_trail(self, filters: Row, limit: int, offset: int) -> tuple[list[Row], int]:
        with self._read() as conn:
            return db.list_audit(conn, filters, limit, offset, newest_first=True)

    def gate(self, enrolment_id: UUID) -> Row:
        """What admission would say now: the latest held intake and what it lacks under the programme's rule
        (the same `domain.missing_for_admission` the admission use case applies)."""
        with self._read() as conn:
            e = db.get_enrolment(conn, enrolment_id)
            if e is None:
                raise NotFound("no such enrolment")
            programme = self._programme(conn, e["programme_id"])
            latest = db.latest_held_intake(conn, enrolment_id)
            return {"intake": intake_view(latest, programme) if latest else None,
                    "missing": domain.missing_for_admission(rule_of(programme), outcome_of(latest)),
                    "rule": rule_of(programme), "programme_status": programme["status"]}

    @staticmethod
    def verdict(programme: Row, commitments: Mapping[str, bool], assessed_level: int) -> list[str]:
        """The gate applied to an outcome not yet recorded (the intake form's preview)."""
        rule = domain.AdmissionRule(tuple(programme["admission_rule"]["required_commitments"]),
                                    programme["admission_rule"]["min_assessed_level"])
        return domain.missing_for_admission(rule, domain.IntakeOutcome(commitments, assessed_level))
