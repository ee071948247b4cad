"""Scheduling a session and its life as a plan: reschedule, confirm, cancel; the plan's checks."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from services.common import audit
from services.common.db import unit_of_work
from services.common.events import new_event
from services.common.problems import Conflict, InvalidInput
from services.sessions import db, domain, roster
from services.sessions.db import Conn, Row
from services.sessions.service.base import (
    CHANGEABLE,
    SERVICE,
    Context,
    locked_session,
    programme_rules,
    require_open,
    snapshot,
)


def resolve_times(plan: Row) -> dict[str, str | list[str]]:
    """Naive times are Europe/Amsterdam wall-clock times; an end time becomes a duration.

    Returns problems to report with the plan's other problems; a start
    that cannot be placed in time at all is refused at once.
    """
    problems: dict[str, str | list[str]] = {}
    for name in ("starts_at", "ends_at"):
        if plan.get(name) is not None:
            try:
                plan[name] = domain.to_utc(plan[name])
            except ValueError as exc:
                problems[name] = str(exc)
    if "starts_at" in problems:
        raise InvalidInput(problems)
    end = plan.pop("ends_at", None)
    given = plan.pop("duration_given", False)
    if end is not None and "ends_at" not in problems:
        minutes = (end - plan["starts_at"]).total_seconds() / 60
        if given and plan["duration_minutes"] != minutes:
            problems["ends_at"] = "does not match starts_at + duration_minutes; give one of them"
        else:
            plan["duration_minutes"] = max(int(minutes), 0)
    if plan.get("duration_minutes") is None:
        problems["duration_minutes"] = "give duration_minutes or ends_at"
    return problems


def plan_problems(ctx: Context, programme: Row, plan: Row) -> dict[str, str | list[str]]:
    """Every reason the plan (times resolved) breaks the programme's rules, by field."""
    rules = domain.SessionRules(programme["min_duration_minutes"], programme["max_duration_minutes"],
                                programme["online_facilitators"])
    problems = domain.schedule_problems(
        rules=rules, programme_regions=programme["regions"], region=plan["region"], format_=plan["format"],
        starts_at=plan["starts_at"], duration_minutes=plan["duration_minutes"],
        capacity_min=plan["capacity_min"], capacity_max=plan["capacity_max"],
        facilitator_ids=plan["facilitator_ids"], venue_address=plan.get("venue_address"),
        online_url=plan.get("online_url"))
    if plan["starts_at"] <= ctx.clock():
        problems["starts_at"] = "must be in the future"
    return problems


def check_clashes(conn: Conn, plan: Row, exclude: list[UUID]) -> None:
    """409 when a facilitator is already in an overlapping session (under a per-facilitator lock)."""
    db.lock_facilitators(conn, plan["facilitator_ids"])
    clashes = db.facilitator_clashes(conn, plan["facilitator_ids"], plan["starts_at"],
                                     domain.ends_at(plan["starts_at"], plan["duration_minutes"]), exclude)
    if clashes:
        busy = sorted(set(plan["facilitator_ids"]).intersection(*[c["facilitator_ids"] for c in clashes[:1]]))
        raise Conflict(f"facilitator {', '.join(busy)} is already in an overlapping session",
                       clashing_sessions=[str(c["id"]) for c in clashes],
                       invalid_params=[{"name": "facilitator_ids", "reason": "overlapping session"}])


def check_plan(ctx: Context, conn: Conn, programme: Row, plan: Row, exclude: list[UUID]) -> None:
    time_problems = resolve_times(plan)
    if "duration_minutes" in time_problems:
        plan["duration_minutes"] = programme["min_duration_minutes"]  # placeholder: the 422 names it
    problems = plan_problems(ctx, programme, plan)
    problems.update(time_problems)
    if problems:
        raise InvalidInput(problems)
    check_clashes(conn, plan, exclude)


def new_plan(data: Row) -> Row:
    return {"id": uuid.uuid4(), "venue_address": None, "online_url": None, "host_company_id": None,
            "working_method": None, "sequence_number": None, "series_id": None, **data,
            "duration_given": data.get("duration_minutes") is not None}


class Scheduling:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def schedule(self, data: Row) -> Row:
        """A new session (the caller may schedule in `data["region"]`: access.may_schedule_in)."""
        with unit_of_work(self.ctx.pool) as conn:
            programme = programme_rules(conn, data["programme_id"])
            plan = new_plan(data)
            check_plan(self.ctx, conn, programme, plan, [])
            row = db.insert_session(conn, plan)
            self.ctx.outbox.add(conn, [new_event(SERVICE, "SessionScheduled", str(row["id"]), snapshot(row))])
            audit.record(conn, "session.schedule", "session", str(row["id"]),
                         {"region": row["region"], "type": row["type"], "starts_at": row["starts_at"].isoformat()})
            return row

    def reschedule(self, session_id: UUID, changes: Row) -> Row:
        with unit_of_work(self.ctx.pool) as conn:
            row, events = self.reschedule_in(conn, session_id, changes)
            self.ctx.outbox.add(conn, events)
            return row

    def reschedule_in(self, conn: Conn, session_id: UUID, changes: Row, *,
                      also_moving: list[UUID] | None = None) -> tuple[Row, list[Any]]:
        """Reschedule inside the caller's transaction; returns the row and the events to add.

        `also_moving`: sessions moved in the same step (a series' rest), left out of the clash check.
        """
        now = self.ctx.clock()
        s = locked_session(conn, session_id)
        require_open(s, "reschedule")
        if s["starts_at"] <= now:
            raise Conflict("the session has started; it can only be closed now", current_state=s["status"],
                           allowed_transitions=["held"])
        programme = programme_rules(conn, s["programme_id"])
        plan = {**s, **changes, "duration_given": changes.get("duration_minutes") is not None}
        check_plan(self.ctx, conn, programme, plan, [s["id"], *(also_moving or [])])
        registered = db.roster_counts(conn, s["id"])["registered"]
        if plan["capacity_max"] < registered:
            raise InvalidInput({"capacity_max": f"{registered} people are registered already; cancel "
                                                "registrations first"})
        changed = {k: plan[k] for k in CHANGEABLE if plan[k] != s[k]}
        if not changed:
            return s, []
        if "starts_at" in changed:
            changed["below_minimum_alerted_at"] = None  # a new date deserves a new check
        row = db.update_session(conn, s["id"], changed)
        events = [new_event(SERVICE, "SessionRescheduled", str(row["id"]),
                            {**snapshot(row), "changed_fields": sorted(k for k in changed if k in CHANGEABLE)})]
        events += roster.fill_free_places(conn, row, now)
        audit.record(conn, "session.reschedule", "session", str(row["id"]), {k: str(v) for k, v in changed.items()})
        return row, events

    def confirm(self, session_id: UUID) -> Row:
        with unit_of_work(self.ctx.pool) as conn:
            row, events = self.confirm_in(conn, session_id)
            self.ctx.outbox.add(conn, events)
            return row

    def confirm_in(self, conn: Conn, session_id: UUID) -> tuple[Row, list[Any]]:
        s = locked_session(conn, session_id)
        if s["status"] != "planned":
            raise Conflict(f"only a planned session can be confirmed; this one is {s['status']}",
                           current_state=s["status"], allowed_transitions=list(domain.TRANSITIONS[s["status"]]))
        row = db.update_session(conn, s["id"], {"status": "confirmed"})
        audit.record(conn, "session.confirm", "session", str(row["id"]))
        return row, [new_event(SERVICE, "SessionRescheduled", str(row["id"]),
                               {**snapshot(row), "changed_fields": ["status"]})]

    def cancel(self, session_id: UUID, reason: str) -> Row:
        with unit_of_work(self.ctx.pool) as conn:
            row, events = self.cancel_in(conn, session_id, reason)
            self.ctx.outbox.add(conn, events)
            return row

    def cancel_in(self, conn: Conn, session_id: UUID, reason: str, *,
                  merged_into: UUID | None = None) -> tuple[Row, list[Any]]:
        """Cancel inside the caller's transaction; every live registration is cancelled with it."""
        now = self.ctx.clock()
        s = locked_session(conn, session_id)
        require_open(s, "cancel")
        row = db.update_session(conn, s["id"], {"status": "cancelled", "cancel_reason": reason})
        live = [r for r in db.list_registrations(conn, s["id"], None, 100000, 0)[0] if r["status"] in db.LIVE]
        data: dict[str, Any] = {"session_id": str(row["id"]), "programme_id": str(row["programme_id"]),
                                "reason": reason, "version": row["version"]}
        if merged_into is not None:
            data["merged_into_session_id"] = str(merged_into)
        events = [new_event(SERVICE, "SessionCancelled", str(row["id"]), data)]
        events += roster.cancel(conn, row, live, "session_cancelled", now, cancelled_by="staff",
                                merged_into=merged_into)
        audit.record(conn, "session.cancel", "session", str(row["id"]), {"reason": reason})
        return row, events
