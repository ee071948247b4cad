"""Programme use cases: create, change, open, close."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from uuid import UUID

from services.common import audit
from services.common.db import unit_of_work
from services.common.events import Event
from services.common.problems import InvalidInput
from services.enrolment import db, domain, payloads
from services.enrolment.schemas import programme_problems
from services.enrolment.service.base import Row, UseCases, illegal, today
from services.enrolment.views import programme_columns, programme_view


class Programmes(UseCases):
    """Programmes and their lifecycle (draft -> open -> closed)."""

    def create_programme(self, data: Row) -> Row:
        with unit_of_work(self.pool) as conn:
            row = db.insert_programme(conn, uuid.uuid4(), programme_columns(data))
            audit.record(conn, "programme.create", "programme", str(row["id"]), {"name": row["name"]})
            return programme_view(row)

    def update_programme(self, programme_id: UUID, changes: Row) -> Row:
        with unit_of_work(self.pool) as conn:
            current = self._programme(conn, programme_id, lock=True)
            try:
                domain.update_programme(current["status"])
            except domain.IllegalTransition as exc:
                raise illegal(exc) from None
            merged = programme_view(current)
            for key, value in changes.items():
                merged[key] = {**merged[key], **value} if key in ("admission_rule", "session_rules") else value
            problems = programme_problems(merged)
            rules = merged["session_rules"]
            if rules["min_duration_minutes"] > rules["max_duration_minutes"]:
                problems["session_rules.max_duration_minutes"] = "must not be below min_duration_minutes"
            if problems:
                raise InvalidInput(problems)
            row = db.update(conn, "programmes", programme_id, programme_columns(merged)) if changes else current
            if row["status"] == "open" and changes:
                self.outbox.add(conn, [payloads.event("ProgrammeUpdated", row["id"], payloads.programme_snapshot(row))])
            audit.record(conn, "programme.update", "programme", str(programme_id), {"fields": sorted(changes)})
            return programme_view(row)

    def open_programme(self, programme_id: UUID) -> Row:
        return self._move(programme_id, domain.open_programme, "opened_on", "programme.open",
                          lambda row: payloads.event("ProgrammeOpened", row["id"], payloads.programme_snapshot(row)))

    def close_programme(self, programme_id: UUID) -> Row:
        return self._move(programme_id, domain.close_programme, "closed_on", "programme.close",
                          lambda row: payloads.event("ProgrammeClosed", row["id"], {
                              "programme_id": str(row["id"]), "closed_on": row["closed_on"].isoformat()}))

    def _move(self, programme_id: UUID, step: Callable[[str], str], dated: str, action: str,
              event: Callable[[Row], Event]) -> Row:
        """One step of the programme's lifecycle: the new status dated today, its event and its audit row."""
        with unit_of_work(self.pool) as conn:
            current = self._programme(conn, programme_id, lock=True)
            try:
                status = step(current["status"])
            except domain.IllegalTransition as exc:
                raise illegal(exc) from None
            row = db.update(conn, "programmes", programme_id, {"status": status, dated: today()})
            self.outbox.add(conn, [event(row)])
            audit.record(conn, action, "programme", str(programme_id))
            return programme_view(row)

    def programme(self, programme_id: UUID) -> Row:
        with self._read() as conn:
            return programme_view(self._programme(conn, programme_id))

    def programmes(self, status: str | None, limit: int, offset: int) -> tuple[list[Row], int]:
        with self._read() as conn:
            rows, total = db.list_programmes(conn, status, limit, offset)
            return [programme_view(r) for r in rows], total
