"""Sessions below their minimum shortly before the date: the alert, and the go/no-go decision on them.

A decision is recorded with who and when (SessionDecisionRecorded) and carried
out in the same transaction; its outcome is the usual event of that change:
go confirms a planned session (SessionRescheduled, status), cancel cancels it
(SessionCancelled + RegistrationCancelled), merge moves every live registration
to the target session by the same rules as registering there (a place while
there is one, else the end of its waiting list; someone no longer eligible
is not moved) and cancels this one (SessionsMerged + SessionCancelled + ...).

Only a session that still needs one takes a decision: open, not started, no decision for its current date,
and below its minimum (go is also taken when the minimum was reached meanwhile). The session row is locked
before that is checked, so two people deciding at once cannot both record one.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from services.common import audit
from services.common.db import unit_of_work
from services.common.events import Event, new_event
from services.common.problems import Conflict, InvalidInput
from services.sessions import db, domain, roster
from services.sessions.db import Conn, Row
from services.sessions.service.base import SERVICE, Context, locked_session
from services.sessions.service.scheduling import Scheduling


class Decisions:
    def __init__(self, ctx: Context, scheduling: Scheduling) -> None:
        self.ctx = ctx
        self.scheduling = scheduling

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

    def needing_decision(self, regions: list[str] | None, region: str | None, limit: int = 200) -> list[Row]:
        """Open sessions below their minimum within the horizon and without a decision for their date."""
        with self.ctx.pool.connection() as conn:
            return db.sessions_needing_decision(conn, regions, region, self.ctx.clock(),
                                                self.ctx.settings.sessions_below_minimum_days, limit)

    def decisions(self, session_id: UUID) -> list[Row]:
        with self.ctx.pool.connection() as conn:
            return db.decisions_of(conn, session_id)

    def decide(self, session_id: UUID, decision: str, decided_by: str, *, merge_into: UUID | None = None,
               reason: str | None = None, decided_by_name: str | None = None) -> Row:
        """Record the decision and carry it out, all in one transaction.

        `decided_by` is the staff member's id (it goes into the event); their name stays in the row, for the pages.
        The session must still need a decision (domain.decision_refusal, else 409 with its `reason` code),
        checked with its row locked: of two people deciding at the same moment, the second waits and is then
        told it was decided. A merge's target must be another open session of the same programme, type and
        region (domain.merge_target_problem, else 422 naming `merge_into_session_id`).
        """
        now = self.ctx.clock()
        if (decision == "merge") != (merge_into is not None):
            raise InvalidInput({"merge_into_session_id": "give the session to merge into for a merge, and only then"})
        if decision == "cancel" and not (reason or "").strip():
            raise InvalidInput({"reason": "say why the session is cancelled (the participants are told)"})
        with unit_of_work(self.ctx.pool) as conn:
            # Both sessions locked in one order (by id), so two merges between the same pair cannot deadlock.
            ids = sorted({session_id, *([merge_into] if merge_into else [])}, key=str)
            locked = {i: locked_session(conn, i) for i in ids}
            s = locked[session_id]
            registered = int(db.roster_counts(conn, s["id"])["registered"])
            earlier = db.decision_for_date(conn, s["id"], s["starts_at"])
            refused = domain.decision_refusal(
                status=s["status"], starts_at=s["starts_at"], now=now, decision=decision, registered=registered,
                capacity_min=s["capacity_min"], decided=earlier["decision"] if earlier else None)
            if refused is not None:
                code, text = refused
                extra = {"decision_id": str(earlier["id"])} if earlier and code == "already_decided" else {}
                raise Conflict(text, reason=code, current_state=s["status"],
                               allowed_transitions=list(domain.TRANSITIONS[s["status"]]), **extra)
            if merge_into is not None:
                unfit = domain.merge_target_problem(s, locked[merge_into], now)
                if unfit is not None:
                    raise InvalidInput({"merge_into_session_id": unfit})
            row = db.insert_decision(conn, {
                "id": uuid.uuid4(), "session_id": s["id"], "decision": decision, "merge_into_session_id": merge_into,
                "reason": (reason or "").strip() or None, "starts_at": s["starts_at"], "registered": registered,
                "capacity_min": s["capacity_min"], "decided_by": decided_by, "decided_by_name": decided_by_name,
                "decided_at": now})
            outcome: dict[str, Any]
            if decision == "go":
                outcome, events = self._go(conn, s)
            elif decision == "cancel":
                _, events = self.scheduling.cancel_in(conn, s["id"], row["reason"])
                outcome = {"status": "cancelled"}
            else:
                assert merge_into is not None
                outcome, events = self._merge(conn, s, locked[merge_into], row)
            data = {"decision_id": str(row["id"]), "session_id": str(s["id"]),
                    "programme_id": str(s["programme_id"]), "region": s["region"], "decision": decision,
                    "reason": row["reason"], "registered": registered, "capacity_min": s["capacity_min"],
                    "starts_at": s["starts_at"].astimezone(UTC).isoformat(), "decided_by": decided_by,
                    "decided_at": now.astimezone(UTC).isoformat(), "outcome": outcome["status"]}
            if merge_into is not None:
                data["merge_into_session_id"] = str(merge_into)
            self.ctx.outbox.add(conn, [new_event(SERVICE, "SessionDecisionRecorded", str(s["id"]), data), *events])
            audit.record(conn, "session.decision", "session", str(s["id"]),
                         {"decision": decision, "merge_into": str(merge_into) if merge_into else None,
                          "outcome": outcome["status"]})
            return {**row, "outcome": outcome}

    def _go(self, conn: Conn, s: Row) -> tuple[dict[str, Any], list[Event]]:
        if s["status"] == "confirmed":
            return {"status": "confirmed"}, []  # it was going ahead already: nothing changes
        _, events = self.scheduling.confirm_in(conn, s["id"])
        return {"status": "confirmed"}, events

    def _merge(self, conn: Conn, s: Row, target: Row, decision: Row) -> tuple[dict[str, Any], list[Event]]:
        """Move every live registration to `target` (checked by merge_target_problem) and cancel `s`."""
        live = [r for r in db.list_registrations(conn, s["id"], None, 100000, 0)[0] if r["status"] in db.LIVE]
        events: list[Event] = []
        moved, skipped = [], []
        # Arrival order: whoever had a place (or waited longer) here is first in line there too.
        for reg in live:
            refusal = roster.gate_check(db.delegate_standing(conn, s["programme_id"], reg["person_id"]))
            existing = db.live_registration(conn, target["id"], reg["person_id"])
            if refusal is not None or existing is not None:
                why = refusal[1] if refusal is not None else f"already {(existing or {}).get('status')} there"
                skipped.append({"person_id": str(reg["person_id"]), "registration_id": str(reg["id"]), "reason": why})
                continue
            new, more = roster.take_place(conn, target, reg["person_id"], reg["company_id"],
                                          moved_from=s["id"])
            events += more
            moved.append({"person_id": str(reg["person_id"]), "from_registration_id": str(reg["id"]),
                          "to_registration_id": str(new["id"]), "status": new["status"]})
        events.insert(0, new_event(SERVICE, "SessionsMerged", str(s["id"]), {
            "decision_id": str(decision["id"]), "session_id": str(s["id"]), "programme_id": str(s["programme_id"]),
            "target_session_id": str(target["id"]), "moved": moved, "not_moved": skipped}))
        reason = decision["reason"] or "samengevoegd met een andere sessie / merged into another session"
        _, cancelled = self.scheduling.cancel_in(conn, s["id"], reason, merged_into=target["id"])
        return {"status": "merged", "target_session_id": str(target["id"]), "moved": moved,
                "not_moved": skipped}, events + cancelled
