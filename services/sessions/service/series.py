"""Recurring series: schedule every occurrence in one step; move or cancel one occurrence or the rest.

Each occurrence is an ordinary session (own capacity, registrations, status)
with `series_id` and its number in `sequence_number`; SessionScheduled /
SessionRescheduled / SessionCancelled go out per occurrence as for any session,
plus one SessionSeriesScheduled / SessionSeriesChanged for the series itself.
One step is one transaction: every occurrence is planned, or none.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from uuid import UUID

from services.common import audit
from services.common.db import unit_of_work
from services.common.events import new_event
from services.common.problems import Conflict, InvalidInput
from services.sessions import db, domain
from services.sessions.db import Conn, Row
from services.sessions.service.base import SERVICE, Context, programme_rules, snapshot
from services.sessions.service.scheduling import Scheduling, check_clashes, new_plan, plan_problems

# What an occurrence takes from the series' request as it is.
PLAN_FIELDS = ("programme_id", "type", "region", "format", "venue_address", "online_url", "host_company_id",
               "capacity_min", "capacity_max", "facilitator_ids", "working_method")


def _series_data(series: Row, sessions: list[Row]) -> dict[str, Any]:
    return {"series_id": str(series["id"]), "programme_id": str(series["programme_id"]), "type": series["type"],
            "region": series["region"], "start_date": series["start_date"].isoformat(),
            "start_time": series["start_time"].strftime("%H:%M"), "end_time": series["end_time"].strftime("%H:%M"),
            "interval_weeks": series["interval_weeks"], "count": series["count"],
            "session_ids": [str(s["id"]) for s in sessions]}


def _same(s: Row, name: str, value: Any) -> bool:
    """Whether a rescheduling's `value` for `name` is what the session has already."""
    if name == "starts_at" and value is not None:
        try:
            return bool(domain.to_utc(value) == s["starts_at"])
        except ValueError:
            return False  # a time that does not exist locally: reschedule_rest says so at the field
    if name == "facilitator_ids":
        return list(value or []) == list(s["facilitator_ids"])
    return bool(s.get(name) == value)


class Series:
    def __init__(self, ctx: Context, scheduling: Scheduling) -> None:
        self.ctx = ctx
        self.scheduling = scheduling

    def schedule(self, data: Row, created_by: str) -> tuple[Row, list[Row]]:
        """Every occurrence of the series, or a 422 naming each field and occurrence that fails."""
        minutes = domain.minutes_between(data["start_time"], data["end_time"])
        if minutes <= 0:
            raise InvalidInput({"end_time": "must be after start_time (on the same day)"})
        with unit_of_work(self.ctx.pool) as conn:
            programme = programme_rules(conn, data["programme_id"])
            series_id = uuid.uuid4()
            first_number = data.get("sequence_number") or 1
            plans: list[Row] = []
            problems: dict[str, str | list[str]] = {}
            for n, day in enumerate(domain.series_dates(data["start_date"], data["interval_weeks"], data["count"])):
                try:
                    starts_at = domain.to_utc(domain.wall_clock(day, data["start_time"]))
                except ValueError as exc:
                    problems.setdefault("start_time", f"{day:%d-%m-%Y}: {exc}")
                    continue
                plan = new_plan({**{k: data.get(k) for k in PLAN_FIELDS}, "starts_at": starts_at,
                                 "duration_minutes": minutes, "series_id": series_id,
                                 "sequence_number": first_number + n})
                plan.pop("duration_given")
                plan["facilitator_ids"] = plan["facilitator_ids"] or []
                for name, reason in plan_problems(self.ctx, programme, plan).items():
                    # The series' own fields name what the request gave: a start is its date, a length its end.
                    field = {"starts_at": "start_date", "duration_minutes": "end_time", "ends_at": "end_time"}.get(
                        name, name)
                    problems.setdefault(field, f"{day:%d-%m-%Y}: {reason}" if field == "start_date" else reason)
                plans.append(plan)
            if problems:
                raise InvalidInput(problems)
            series = db.insert_series(conn, {"id": series_id, "created_by": created_by, **{
                k: data[k] for k in ("programme_id", "type", "region", "start_date", "start_time", "end_time",
                                     "interval_weeks", "count")}})
            rows, events = [], []
            for plan in plans:
                check_clashes(conn, plan, [])
                row = db.insert_session(conn, plan)
                rows.append(row)
                events.append(new_event(SERVICE, "SessionScheduled", str(row["id"]), snapshot(row)))
            events.append(new_event(SERVICE, "SessionSeriesScheduled", str(series_id), _series_data(series, rows)))
            self.ctx.outbox.add(conn, events)
            audit.record(conn, "series.schedule", "session_series", str(series_id),
                         {"region": series["region"], "count": series["count"],
                          "interval_weeks": series["interval_weeks"]})
            return series, rows

    def _rest(self, conn: Conn, session_id: UUID) -> tuple[Row, list[Row]]:
        """The occurrence and the open ones from it on (itself first), locked in start order."""
        s = db.get_session(conn, session_id)
        if s is None or s.get("series_id") is None:
            raise InvalidInput({"scope": "this session is not part of a series; leave scope out"})
        rest = [r for r in db.series_sessions(conn, s["series_id"], from_start=s["starts_at"], lock=True)
                if r["status"] in ("planned", "confirmed")]
        if not rest or rest[0]["id"] != s["id"]:
            raise Conflict(f"the session is {s['status']}", current_state=s["status"], allowed_transitions=[])
        return s, rest

    def reschedule_rest(self, session_id: UUID, changes: Row, *, changed_only: bool = False) -> Row:
        """Move this occurrence and every open one after it by the same number of days, to the same new time;
        the other changes apply to each of them. Each keeps its own `sequence_number`.

        `changed_only`: leave out what equals this occurrence's own value (a form sends every field; only what
        the coordinator changed should reach the others, not this one's venue or time where theirs differ).
        """
        with unit_of_work(self.ctx.pool) as conn:
            s, rest = self._rest(conn, session_id)
            changes = {k: v for k, v in changes.items() if k != "sequence_number"}
            if changed_only:
                changes = {k: v for k, v in changes.items() if not _same(s, k, v)}
            shift, new_time = timedelta(0), None
            if changes.get("starts_at") is not None:
                try:
                    target = domain.local(domain.to_utc(changes["starts_at"]))
                except ValueError as exc:
                    raise InvalidInput({"starts_at": str(exc)}) from exc
                shift = target.date() - domain.local(s["starts_at"]).date()
                new_time = target.time().replace(tzinfo=None)
            moving = [r["id"] for r in rest]
            rows, events = [], []
            for occurrence in rest:
                before = domain.local(occurrence["starts_at"])
                change = {k: v for k, v in changes.items() if k != "starts_at"}
                if new_time is not None:
                    try:
                        change["starts_at"] = domain.to_utc(domain.wall_clock(before.date() + shift, new_time))
                    except ValueError as exc:
                        raise InvalidInput({"starts_at": f"{before.date() + shift:%d-%m-%Y}: {exc}"}) from exc
                row, more = self.scheduling.reschedule_in(conn, occurrence["id"], change, also_moving=moving)
                rows.append(row)
                events += more
            if not events:
                return rows[0]  # nothing differed: no change to announce
            events.append(new_event(SERVICE, "SessionSeriesChanged", str(s["series_id"]), {
                "series_id": str(s["series_id"]), "programme_id": str(s["programme_id"]),
                "from_session_id": str(s["id"]), "change": "moved", "session_ids": [str(r["id"]) for r in rows]}))
            self.ctx.outbox.add(conn, events)
            return rows[0]

    def cancel_rest(self, session_id: UUID, reason: str) -> Row:
        """Cancel this occurrence and every open one after it; their registrations are cancelled with them."""
        with unit_of_work(self.ctx.pool) as conn:
            s, rest = self._rest(conn, session_id)
            rows, events = [], []
            for occurrence in rest:
                row, more = self.scheduling.cancel_in(conn, occurrence["id"], reason)
                rows.append(row)
                events += more
            events.append(new_event(SERVICE, "SessionSeriesChanged", str(s["series_id"]), {
                "series_id": str(s["series_id"]), "programme_id": str(s["programme_id"]),
                "from_session_id": str(s["id"]), "change": "cancelled", "reason": reason,
                "session_ids": [str(r["id"]) for r in rows]}))
            self.ctx.outbox.add(conn, events)
            return rows[0]

    def series(self, series_id: UUID) -> Row | None:
        """The series with its occurrences (and their counts), or None."""
        with self.ctx.pool.connection() as conn:
            series = db.get_series(conn, series_id)
            if series is None:
                return None
            sessions = [{**s, **db.roster_counts(conn, s["id"])} for s in db.series_sessions(conn, series_id)]
        return {**series, "sessions": sessions}


