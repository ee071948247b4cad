"""Reads: one session with its counts, lists, the read model of enrolment (already scoped by access.py)."""

from __future__ import annotations

from uuid import UUID

from services.sessions import db
from services.sessions.db import Row
from services.sessions.service.base import Context


class Queries:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def session(self, session_id: UUID) -> Row | None:
        """The session with `registered` / `waitlisted` counts, or None."""
        with self.ctx.pool.connection() as conn:
            s = db.get_session(conn, session_id)
            return None if s is None else {**s, **db.roster_counts(conn, s["id"])}

    def sessions(self, filters: Row, limit: int, offset: int) -> tuple[list[Row], int]:
        """Sessions matching `filters` (access.session_filters has narrowed them to the caller's)."""
        with self.ctx.pool.connection() as conn:
            rows, total = db.list_sessions(conn, filters, limit, offset)
            counts = db.roster_counts_of(conn, [r["id"] for r in rows])
            return [{**r, **counts[r["id"]]} for r in rows], total

    def registrations(self, session_id: UUID, status: str | None, limit: int, offset: int) -> tuple[list[Row], int]:
        with self.ctx.pool.connection() as conn:
            return db.list_registrations(conn, session_id, status, limit, offset)

    def registration(self, registration_id: UUID) -> Row | None:
        with self.ctx.pool.connection() as conn:
            return db.get_registration(conn, registration_id)

    def live_registration(self, session_id: UUID, person_id: UUID) -> Row | None:
        with self.ctx.pool.connection() as conn:
            return db.live_registration(conn, session_id, person_id)

    def invitations(self, session_id: UUID, limit: int, offset: int) -> tuple[list[Row], int]:
        with self.ctx.pool.connection() as conn:
            return db.list_invitations(conn, session_id, limit, offset)

    def programmes(self, limit: int, offset: int) -> tuple[list[Row], int]:
        with self.ctx.pool.connection() as conn:
            return db.list_programmes(conn, limit, offset)

    def people_of(self, programme_id: UUID, person_ids: list[UUID]) -> dict[UUID, Row]:
        """Name and job level of people on a session (for whoever may see that session, its facilitator too)."""
        with self.ctx.pool.connection() as conn:
            return {d["person_id"]: d for d in db.delegates_of(conn, programme_id, person_ids)}

    def delegates(self, programme_id: UUID | None, regions: list[str] | None, region: str | None, limit: int,
                  offset: int) -> tuple[list[Row], int]:
        with self.ctx.pool.connection() as conn:
            return db.list_delegates(conn, programme_id, regions, region, limit, offset)
