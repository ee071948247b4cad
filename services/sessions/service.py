"""Sessions use cases: each writes its state change, its events and an audit row in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool
from werkzeug.exceptions import Forbidden, NotFound

from services.common import audit
from services.common.auth import Principal
from services.common.config import Settings
from services.common.db import unit_of_work
from services.common.events import Event, new_event
from services.common.outbox import Outbox
from services.common.problems import Conflict, InvalidInput
from services.common.regions import require_visible_regions
from services.sessions import db, domain, roster
from services.sessions.db import Conn, Row

SERVICE = "sessions"
Clock = Callable[[], datetime]
# Fields a rescheduling may change; the rest of a session is its identity.
CHANGEABLE = ("format", "venue_address", "online_url", "host_company_id", "starts_at", "duration_minutes",
              "capacity_min", "capacity_max", "facilitator_ids", "working_method", "sequence_number")


def utc_now() -> datetime:
    return datetime.now(UTC)


def snapshot(s: Row) -> dict[str, Any]:
    """The full picture of a session that SessionScheduled/SessionRescheduled carry."""
    return {
        "session_id": str(s["id"]), "programme_id": str(s["programme_id"]), "type": s["type"],
        "region": s["region"], "format": s["format"], "venue_address": s["venue_address"],
        "online_url": s["online_url"],
        "host_company_id": str(s["host_company_id"]) if s["host_company_id"] else None,
        "starts_at": s["starts_at"].astimezone(UTC).isoformat(),
        "ends_at": domain.ends_at(s["starts_at"], s["duration_minutes"]).astimezone(UTC).isoformat(),
        "duration_minutes": s["duration_minutes"], "capacity_min": s["capacity_min"],
        "capacity_max": s["capacity_max"], "facilitator_ids": list(s["facilitator_ids"]),
        "working_method": s["working_method"], "sequence_number": s["sequence_number"],
        "status": s["status"], "version": s["version"],
    }


# -- access -----------------------------------------------------------------------


def may_see(principal: Principal, s: Row) -> bool:
    return (principal.may_see_region(s["region"]) and principal.has("fund_admin", "coordinator")) or (
        principal.has("facilitator") and principal.subject in s["facilitator_ids"])


def may_manage(principal: Principal, s: Row) -> bool:
    return principal.has("fund_admin") or (principal.has("coordinator") and s["region"] in principal.regions)


def require_manage(principal: Principal | None, s: Row | None) -> Row:
    """404 when the caller may not know the session, 403 when it may see but not change it."""
    if s is None or (principal is not None and not may_see(principal, s)):
        raise NotFound("no such session")
    if principal is not None and not may_manage(principal, s):
        raise Forbidden("only the region's coordinators may change this session")
    return s


def require_see(principal: Principal | None, s: Row | None) -> Row:
    if s is None or (principal is not None and not may_see(principal, s)):
        raise NotFound("no such session")
    return s


def _actor(principal: Principal | None, person_id: UUID | None = None) -> str | None:
    """Audit actor: the caller, or the participant acting through a signed link."""
    if principal is None and person_id is not None:
        return f"participant:{person_id}"
    return None


def _require_open(s: Row, action: str) -> None:
    if s["status"] not in ("planned", "confirmed"):
        raise Conflict(f"cannot {action}: the session is {s['status']}", current_state=s["status"],
                       allowed_transitions=list(domain.TRANSITIONS[s["status"]]))


class Sessions:
    """The sessions service's use cases."""

    def __init__(self, settings: Settings, pool: ConnectionPool, clock: Clock = utc_now) -> None:
        self.settings = settings
        self.pool = pool
        self.outbox = Outbox(settings)
        self.clock = clock

    # -- scheduling -------------------------------------------------------------
    def _rules(self, conn: Conn, programme_id: UUID) -> Row:
        programme = db.get_programme(conn, programme_id)
        if programme is None:
            raise InvalidInput({"programme_id": "unknown programme: enrolment has not published it (yet)"})
        if programme["closed_on"] is not None:
            raise Conflict("the programme is closed", current_state="closed", allowed_transitions=[])
        return programme

    @staticmethod
    def _resolve_times(plan: Row) -> dict[str, str | list[str]]:
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

    def _check_plan(self, conn: Conn, programme: Row, plan: Row, exclude: UUID | None) -> None:
        time_problems = self._resolve_times(plan)
        if "duration_minutes" in time_problems:
            plan["duration_minutes"] = programme["min_duration_minutes"]  # placeholder: the 422 names it
        rules = domain.SessionRules(programme["min_duration_minutes"], programme["max_duration_minutes"],
                                    programme["online_facilitators"])
        problems = domain.schedule_problems(
            rules=rules, programme_regions=programme["regions"], region=plan["region"], format_=plan["format"],
            starts_at=plan["starts_at"], duration_minutes=plan["duration_minutes"],
            capacity_min=plan["capacity_min"], capacity_max=plan["capacity_max"],
            facilitator_ids=plan["facilitator_ids"], venue_address=plan.get("venue_address"),
            online_url=plan.get("online_url"))
        if plan["starts_at"] <= self.clock():
            problems["starts_at"] = "must be in the future"
        problems.update(time_problems)
        if problems:
            raise InvalidInput(problems)
        db.lock_facilitators(conn, plan["facilitator_ids"])
        clashes = db.facilitator_clashes(conn, plan["facilitator_ids"], plan["starts_at"],
                                         domain.ends_at(plan["starts_at"], plan["duration_minutes"]), exclude)
        if clashes:
            busy = sorted(set(plan["facilitator_ids"]).intersection(*[c["facilitator_ids"] for c in clashes[:1]]))
            raise Conflict(f"facilitator {', '.join(busy)} is already in an overlapping session",
                           clashing_sessions=[str(c["id"]) for c in clashes],
                           invalid_params=[{"name": "facilitator_ids", "reason": "overlapping session"}])

    def schedule(self, principal: Principal, data: Row) -> Row:
        if not principal.has("fund_admin") and data["region"] not in principal.regions:
            raise Forbidden(f"you coordinate {', '.join(sorted(principal.regions)) or 'no region'}, "
                            f"not {data['region']}")
        with unit_of_work(self.pool) as conn:
            programme = self._rules(conn, data["programme_id"])
            plan = {"id": uuid.uuid4(), "venue_address": None, "online_url": None, "host_company_id": None,
                    "working_method": None, "sequence_number": None, **data,
                    "duration_given": data.get("duration_minutes") is not None}
            self._check_plan(conn, programme, plan, None)
            row = db.insert_session(conn, plan)
            self.outbox.add(conn, [new_event(SERVICE, "SessionScheduled", str(row["id"]), snapshot(row))])
            audit.record(conn, "session.schedule", "session", str(row["id"]),
                         {"region": row["region"], "type": row["type"], "starts_at": row["starts_at"].isoformat()})
            return row

    def reschedule(self, principal: Principal, session_id: UUID, changes: Row) -> Row:
        now = self.clock()
        with unit_of_work(self.pool) as conn:
            s = require_manage(principal, db.get_session(conn, session_id, lock=True))
            _require_open(s, "reschedule")
            if s["starts_at"] <= now:
                raise Conflict("the session has started; it can only be closed now", current_state=s["status"],
                               allowed_transitions=["held"])
            programme = self._rules(conn, s["programme_id"])
            plan = {**s, **changes, "duration_given": changes.get("duration_minutes") is not None}
            self._check_plan(conn, programme, plan, s["id"])
            registered = db.roster_counts(conn, s["id"])["registered"]
            if plan["capacity_max"] < registered:
                raise InvalidInput({"capacity_max": f"{registered} people are registered already; cancel "
                                                    "registrations first"})
            changed = {k: plan[k] for k in CHANGEABLE if plan[k] != s[k]}
            if not changed:
                return s
            if "starts_at" in changed:
                changed["below_minimum_alerted_at"] = None  # a new date deserves a new check
            row = db.update_session(conn, s["id"], changed)
            events = [new_event(SERVICE, "SessionRescheduled", str(row["id"]),
                                {**snapshot(row), "changed_fields": sorted(k for k in changed if k in CHANGEABLE)})]
            events += roster.fill_free_places(conn, row, now)
            self.outbox.add(conn, events)
            audit.record(conn, "session.reschedule", "session", str(row["id"]),
                         {k: str(v) for k, v in changed.items()})
            return row

    def confirm(self, principal: Principal, session_id: UUID) -> Row:
        with unit_of_work(self.pool) as conn:
            s = require_manage(principal, db.get_session(conn, session_id, lock=True))
            if s["status"] != "planned":
                raise Conflict(f"only a planned session can be confirmed; this one is {s['status']}",
                               current_state=s["status"], allowed_transitions=list(domain.TRANSITIONS[s["status"]]))
            row = db.update_session(conn, s["id"], {"status": "confirmed"})
            self.outbox.add(conn, [new_event(SERVICE, "SessionRescheduled", str(row["id"]),
                                             {**snapshot(row), "changed_fields": ["status"]})])
            audit.record(conn, "session.confirm", "session", str(row["id"]))
            return row

    def cancel(self, principal: Principal, session_id: UUID, reason: str) -> Row:
        now = self.clock()
        with unit_of_work(self.pool) as conn:
            s = require_manage(principal, db.get_session(conn, session_id, lock=True))
            _require_open(s, "cancel")
            row = db.update_session(conn, s["id"], {"status": "cancelled", "cancel_reason": reason})
            live = db.list_registrations(conn, s["id"], None, 100000, 0)[0]
            events = [new_event(SERVICE, "SessionCancelled", str(row["id"]),
                                {"session_id": str(row["id"]), "programme_id": str(row["programme_id"]),
                                 "reason": reason, "version": row["version"]})]
            events += roster.cancel(conn, row, [r for r in live if r["status"] in db.LIVE], "session_cancelled", now)
            self.outbox.add(conn, events)
            audit.record(conn, "session.cancel", "session", str(row["id"]), {"reason": reason})
            return row

    # -- invitations and registrations ------------------------------------------------
    def invite(self, principal: Principal, session_id: UUID, person_ids: list[UUID] | None) -> list[Row]:
        now = self.clock()
        with unit_of_work(self.pool) as conn:
            seen = require_manage(principal, db.get_session(conn, session_id))
            # As in register: standings first (a withdrawal being applied is waited for), then the session.
            if person_ids is None:
                db.lock_region_standings(conn, seen["programme_id"], seen["region"])
            else:
                for pid in sorted(set(person_ids), key=str):
                    db.lock_standing(conn, seen["programme_id"], pid)
            s = require_manage(principal, db.get_session(conn, session_id, lock=True))
            _require_open(s, "invite")
            if s["starts_at"] <= now:
                raise Conflict("the session has started", current_state=s["status"], allowed_transitions=["held"])
            if person_ids is None:
                people = db.eligible_delegates(conn, s["programme_id"], s["region"])
            else:
                people, refused = [], []
                for pid in dict.fromkeys(person_ids):
                    standing = db.delegate_standing(conn, s["programme_id"], pid)
                    reason = roster.gate_refusal(standing)
                    if reason:
                        refused.append({"person_id": str(pid), "reason": reason})
                    else:
                        people.append(standing or {})
                if refused:
                    raise Conflict("some people may not be invited; nobody was invited", refused=refused)
            invited, events = [], []
            for person in people:
                invitation_id = uuid.uuid4()
                if db.insert_invitation(conn, invitation_id, s["id"], person["person_id"], person["company_id"]):
                    invited.append({"id": invitation_id, "session_id": s["id"], "person_id": person["person_id"],
                                    "company_id": person["company_id"]})
                    events.append(new_event(SERVICE, "ParticipantInvited", str(s["id"]), {
                        "session_id": str(s["id"]), "programme_id": str(s["programme_id"]),
                        "person_id": str(person["person_id"]), "company_id": str(person["company_id"]),
                        "invitation_id": str(invitation_id)}))
            self.outbox.add(conn, events)
            audit.record(conn, "session.invite", "session", str(s["id"]), {"invited": len(invited)})
            return invited

    def register(self, principal: Principal | None, session_id: UUID, person_id: UUID) -> Row:
        """Take a place or a waiting-list spot; the session row lock makes capacity hold under concurrency."""
        now = self.clock()
        with unit_of_work(self.pool) as conn:
            seen = require_manage(principal, db.get_session(conn, session_id))
            # Delegate and enrolment first, then the session: the order the enrolment handlers lock in.
            db.lock_standing(conn, seen["programme_id"], person_id)
            s = require_manage(principal, db.get_session(conn, session_id, lock=True))
            _require_open(s, "register")
            if s["starts_at"] <= now:
                raise Conflict("registration is closed: the session has started", current_state=s["status"],
                               allowed_transitions=["held"])
            standing = db.delegate_standing(conn, s["programme_id"], person_id)
            refusal = roster.gate_refusal(standing)
            if refusal or standing is None:
                raise Conflict(f"this person may not take part: {refusal}", reason=refusal)
            existing = db.live_registration(conn, s["id"], person_id)
            if existing is not None:
                raise Conflict(f"already {existing['status']} for this session", current_state=existing["status"],
                               registration_id=str(existing["id"]), allowed_transitions=["cancelled"])
            reg, events = roster.take_place(conn, s, person_id, standing["company_id"])
            self.outbox.add(conn, events)
            audit.record(conn, "registration.create", "registration", str(reg["id"]),
                         {"session_id": str(s["id"]), "status": reg["status"]}, actor=_actor(principal, person_id))
            return reg

    def cancel_registration(self, principal: Principal | None, registration_id: UUID) -> Row:
        now = self.clock()
        with unit_of_work(self.pool) as conn:
            reg = db.get_registration(conn, registration_id)
            if reg is None:
                raise NotFound("no such registration")
            s = require_manage(principal, db.get_session(conn, reg["session_id"], lock=True))
            reg = db.get_registration(conn, registration_id)  # re-read under the session lock
            assert reg is not None
            if reg["status"] not in db.LIVE:
                raise Conflict("the registration is already cancelled", current_state=reg["status"],
                               allowed_transitions=[])
            _require_open(s, "cancel a registration")
            if s["starts_at"] <= now:
                raise Conflict("the session has started; record attendance instead", current_state=reg["status"],
                               allowed_transitions=[])
            late = domain.is_late_cancellation(s["starts_at"], now, self.settings.sessions_late_cancel_hours)
            events = roster.cancel(conn, s, [reg], "participant", now, late=late)
            self.outbox.add(conn, events)
            audit.record(conn, "registration.cancel", "registration", str(reg["id"]), {"late": late},
                         actor=_actor(principal, reg["person_id"]))
            out = db.get_registration(conn, registration_id)
            assert out is not None
            return out

    def registration_of(self, session_id: UUID, person_id: UUID) -> Row | None:
        with self.pool.connection() as conn:
            return db.live_registration(conn, session_id, person_id)

    # -- attendance -----------------------------------------------------------------
    def record_attendance(self, principal: Principal, session_id: UUID, records: list[Row]) -> list[Row]:
        now = self.clock()
        with unit_of_work(self.pool) as conn:
            s = require_see(principal, db.get_session(conn, session_id, lock=True))
            if not (may_manage(principal, s) or principal.subject in s["facilitator_ids"]):
                raise Forbidden("only the session's facilitators and the region's coordinators record attendance")
            _require_open(s, "record attendance")
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
            self.outbox.add(conn, events)
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

    def close(self, principal: Principal, session_id: UUID) -> Row:
        now = self.clock()
        with unit_of_work(self.pool) as conn:
            s = require_manage(principal, db.get_session(conn, session_id, lock=True))
            _require_open(s, "close")
            if s["starts_at"] > now:
                raise Conflict("a session can be closed once it has started", current_state=s["status"],
                               allowed_transitions=list(domain.TRANSITIONS[s["status"]]))
            counts = db.attendance_counts(conn, s["id"])
            if counts["unrecorded"]:
                raise Conflict(f"record attendance of every registration first ({counts['unrecorded']} missing)",
                               current_state=s["status"], allowed_transitions=["held"],
                               unrecorded=int(counts["unrecorded"]))
            row = db.update_session(conn, s["id"], {"status": "held", "held_at": now})
            self.outbox.add(conn, [new_event(SERVICE, "SessionHeld", str(row["id"]), {
                "session_id": str(row["id"]), "programme_id": str(row["programme_id"]), "type": row["type"],
                "region": row["region"], "attended": int(counts["attended"]), "no_shows": int(counts["no_shows"]),
                "excused": int(counts["excused"])})])
            audit.record(conn, "session.close", "session", str(row["id"]), dict(counts))
            return row

    # -- evaluations -------------------------------------------------------------------
    def evaluate(self, principal: Principal | None, session_id: UUID, person_id: UUID, score: int,
                 comment: str | None) -> Row:
        now = self.clock()
        with unit_of_work(self.pool) as conn:
            s = require_manage(principal, db.get_session(conn, session_id))
            if s["status"] == "cancelled":
                raise Conflict("the session was cancelled", current_state="cancelled", allowed_transitions=[])
            opens, closes = domain.evaluation_window(domain.ends_at(s["starts_at"], s["duration_minutes"]),
                                                     self.settings.sessions_evaluation_days)
            if not opens <= now <= closes:
                raise Conflict("evaluations are accepted only after the session, until "
                               f"{domain.local(closes):%d-%m-%Y %H:%M}", opens_at=opens.isoformat(),
                               closes_at=closes.isoformat())
            attended = conn.execute(
                "SELECT company_id FROM registrations WHERE session_id = %s AND person_id = %s"
                " AND status = 'registered' AND attendance = 'attended'", (s["id"], person_id)).fetchone()
            if attended is None:
                raise Conflict("only participants who attended can evaluate this session")
            if db.is_erased(conn, person_id):
                # A link minted before the erasure must not collect new data about the person.
                raise Conflict("this person's data was erased; no evaluation is taken", current_state="erased",
                               allowed_transitions=[])
            evaluation_id = uuid.uuid4()
            comment = (comment or "").strip() or None
            if not db.insert_evaluation(conn, evaluation_id, s["id"], person_id, attended["company_id"], score,
                                        comment):
                raise Conflict("this session has already been evaluated by this participant",
                               current_state="evaluated", allowed_transitions=[])
            self.outbox.add(conn, [new_event(SERVICE, "EvaluationSubmitted", str(s["id"]), {
                "session_id": str(s["id"]), "programme_id": str(s["programme_id"]),
                "evaluation_id": str(evaluation_id), "person_id": str(person_id),
                "company_id": str(attended["company_id"]), "score": score, "has_comment": comment is not None,
                "facilitator_ids": list(s["facilitator_ids"])})])
            audit.record(conn, "evaluation.submit", "session", str(s["id"]), {"evaluation_id": str(evaluation_id)},
                         actor=_actor(principal, person_id))
            return {"id": evaluation_id, "session_id": s["id"], "score": score, "has_comment": comment is not None}

    def evaluation_summary(self, principal: Principal, session_id: UUID) -> Row:
        with self.pool.connection() as conn:
            s = require_see(principal, db.get_session(conn, session_id))
            rows = db.evaluations_of(conn, s["id"])
        scores = [r["score"] for r in rows]
        min_group = self.settings.evaluation_min_group
        average = domain.average(scores, min_group)
        shown = average is not None
        return {"session_id": s["id"], "count": len(scores), "average": average,
                "minimum_group": min_group,
                "comments": [r["comment"] for r in rows if r["comment"]] if shown else []}

    # -- alerts ------------------------------------------------------------------------
    def check_below_minimum(self, now: datetime | None = None) -> list[UUID]:
        """Raise SessionBelowMinimum once per session that is still below its minimum N days before."""
        now = now or self.clock()
        with unit_of_work(self.pool) as conn:
            due = db.sessions_due_below_minimum(conn, now, self.settings.sessions_below_minimum_days)
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
            self.outbox.add(conn, events)
            return [s["id"] for s in due]

    # -- queries -----------------------------------------------------------------------
    def session(self, principal: Principal, session_id: UUID) -> Row:
        with self.pool.connection() as conn:
            s = require_see(principal, db.get_session(conn, session_id))
            return {**s, **db.roster_counts(conn, s["id"])}

    def sessions(self, principal: Principal, filters: Row, limit: int, offset: int) -> tuple[list[Row], int]:
        require_visible_regions(principal, filters.get("region"))
        f = dict(filters)
        if not principal.has("fund_admin"):
            if principal.has("coordinator"):
                f["regions"] = sorted(principal.regions)
            else:
                f["facilitator"] = principal.subject
        with self.pool.connection() as conn:
            rows, total = db.list_sessions(conn, f, limit, offset)
            return [{**r, **db.roster_counts(conn, r["id"])} for r in rows], total

    def registrations(self, principal: Principal, session_id: UUID, status: str | None, limit: int,
                      offset: int) -> tuple[list[Row], int]:
        with self.pool.connection() as conn:
            s = require_see(principal, db.get_session(conn, session_id))
            return db.list_registrations(conn, s["id"], status, limit, offset)

    def registration(self, principal: Principal, registration_id: UUID) -> Row:
        with self.pool.connection() as conn:
            reg = db.get_registration(conn, registration_id)
            if reg is None:
                raise NotFound("no such registration")
            require_see(principal, db.get_session(conn, reg["session_id"]))
            return reg

    def invitations(self, principal: Principal, session_id: UUID, limit: int, offset: int) -> tuple[list[Row], int]:
        with self.pool.connection() as conn:
            s = require_see(principal, db.get_session(conn, session_id))
            return db.list_invitations(conn, s["id"], limit, offset)

    def programmes(self, limit: int, offset: int) -> tuple[list[Row], int]:
        with self.pool.connection() as conn:
            return db.list_programmes(conn, limit, offset)

    def people_of(self, principal: Principal, session_id: UUID, person_ids: list[UUID]) -> dict[UUID, Row]:
        """Name and job level of people on a session, for whoever may see that session (its facilitator too)."""
        session = self.session(principal, session_id)
        with self.pool.connection() as conn:
            return {d["person_id"]: d for d in db.delegates_of(conn, session["programme_id"], person_ids)}

    def delegates(self, principal: Principal, programme_id: UUID | None, region: str | None, limit: int,
                  offset: int) -> tuple[list[Row], int]:
        require_visible_regions(principal, region)
        regions = None if principal.has("fund_admin") else sorted(principal.regions)
        with self.pool.connection() as conn:
            return db.list_delegates(conn, programme_id, regions, region, limit, offset)
