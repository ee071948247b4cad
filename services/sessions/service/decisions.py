"""Sessions below their minimum shortly before the date: the alert, and the go/no-go decision on them."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from services.common import audit
from services.common.db import unit_of_work
from services.common.events import new_event
from services.sessions import db
from services.sessions.service.base import SERVICE, Context


class Decisions:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def check_below_minimum(self, now: datetime | None = None) -> list[UUID]:
        """Raise SessionBelowMinimum once per session that is still below its minimum N days before."""
        now = now or self.ctx.clock()
        with unit_of_work(self.ctx.pool) as conn:
            due = db.sessions_due_below_minimum(conn, now, self.ctx.settings.sessions_below_minimum_days)
            events = []
            for s in due:
                registered = db.roster_counts(conn, s["id"])["registered"]
                db.mark_below_minimum_alerted(conn, s["id"], now)
                events.append(new_event(SERVICE, "SessionBelowMinimum", str(s["id"]), {
                    "session_id": str(s["id"]), "programme_id": str(s["programme_id"]), "region": s["region"],
                    "registered": int(registered), "capacity_min": s["capacity_min"],
                    "starts_at": s["starts_at"].astimezone(UTC).isoformat()}))
                audit.record(conn, "session.below_minimum", "session", str(s["id"]), {"registered": registered},
                             actor="system")
            self.ctx.outbox.add(conn, events)
            return [s["id"] for s in due]
