"""Attendance after the session starts, the repeated no-show alert, and closing a session as held."""

from __future__ import annotations

from uuid import UUID

from services.common import audit
from services.common.db import unit_of_work
from services.common.events import Event, new_event
from services.common.problems import Conflict, InvalidInput
from services.sessions import db, domain, roster
from services.sessions.db import Conn, Row
from services.sessions.service.base import SERVICE, Context, locked_session, require_open


class Attendance:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def record(self, session_id: UUID, records: list[Row]) -> list[Row]:
        now = self.ctx.clock()
        with unit_of_work(self.ctx.pool) as conn:
            s = locked_session(conn, session_id)
            require_open(s, "record attendance")
            if s["starts_at"] > now:
                raise Conflict("attendance can be recorded once the session has started",
                               current_state=s["status"], allowed_transitions=["cancelled"])
            problems: dict[str, str | list[str]] = {}
            regs = []
            seen: set[UUID] = set()
            for i, record in enumerate(records):
                reg = db.get_registration(conn, record["registration_id"])
                if record["registration_id"] in seen:
                    # Two answers for one registration: which one is meant is not ours to guess.
                    problems[f"records.{i}.registration_id"] = "this registration is listed twice"
                    continue
                seen.add(record["registration_id"])
                if reg is None or reg["session_id"] != s["id"]:
                    problems[f"records.{i}.registration_id"] = "no such registration in this session"
                elif reg["status"] != "registered":
                    problems[f"records.{i}.registration_id"] = f"the registration is {reg['status']}, not registered"
                else:
                    regs.append((reg, record["attendance"]))
            if problems:
                raise InvalidInput(problems)
            events: list[Event] = []
            for reg, attendance in regs:
                db.set_attendance(conn, reg["id"], attendance)
                events.append(new_event(SERVICE, "AttendanceRecorded", str(s["id"]),
                                        {**roster.registration_data(s, reg), "attendance": attendance}))
            for reg, attendance in regs:
                if attendance == "no_show":
                    events += self._repeated_no_show(conn, s, reg)
            self.ctx.outbox.add(conn, events)
            audit.record(conn, "session.attendance", "session", str(s["id"]),
                         {str(reg["id"]): attendance for reg, attendance in regs})
            return [db.get_registration(conn, reg["id"]) or reg for reg, _ in regs]

    def _repeated_no_show(self, conn: Conn, s: Row, reg: Row) -> list[Event]:
        history = db.attendance_history(conn, s["programme_id"], reg["person_id"])
        events = []
        for earlier, later in domain.consecutive_no_shows([(str(h["session_id"]), h["attendance"]) for h in history]):
            if db.claim_no_show_alert(conn, reg["person_id"], later):
                events.append(new_event(SERVICE, "RepeatedNoShow", str(reg["person_id"]), {
                    "person_id": str(reg["person_id"]), "company_id": str(reg["company_id"]),
                    "programme_id": str(s["programme_id"]), "session_ids": [earlier, later]}))
        return events

    def close(self, session_id: UUID) -> Row:
        now = self.ctx.clock()
        with unit_of_work(self.ctx.pool) as conn:
            s = locked_session(conn, session_id)
            require_open(s, "close")
            if s["starts_at"] > now:
                raise Conflict("a session can be closed once it has started", current_state=s["status"],
                               allowed_transitions=list(domain.TRANSITIONS[s["status"]]))
            counts = db.attendance_counts(conn, s["id"])
            if counts["unrecorded"]:
                raise Conflict(f"record attendance of every registration first ({counts['unrecorded']} missing)",
                               current_state=s["status"], allowed_transitions=["held"],
                               unrecorded=int(counts["unrecorded"]))
            row = db.update_session(conn, s["id"], {"status": "held", "held_at": now})
            self.ctx.outbox.add(conn, [new_event(SERVICE, "SessionHeld", str(row["id"]), {
                "session_id": str(row["id"]), "programme_id": str(row["programme_id"]), "type": row["type"],
                "region": row["region"], "attended": int(counts["attended"]), "no_shows": int(counts["no_shows"]),
                "excused": int(counts["excused"])})])
            audit.record(conn, "session.close", "session", str(row["id"]), dict(counts))
            return row
