"""Registrations: take a place or a waiting-list spot, cancel (afzeggen); the roster module moves the list."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from werkzeug.exceptions import NotFound

from services.common import audit
from services.common.db import unit_of_work
from services.common.events import Event, new_event
from services.common.problems import Conflict
from services.sessions import db, domain, roster
from services.sessions.db import Conn, Row
from services.sessions.service.base import SERVICE, Context, locked_session, participant, require_open


def respond(conn: Conn, s: Row, person_id: UUID, response: str, now: datetime) -> list[Event]:
    """An invited person's answer (registered, waitlisted, declined): InvitationResponded when it changed.

    Notifications reminds invitees without an answer; people registered without an invitation give none.
    """
    inv = db.record_response(conn, s["id"], person_id, response, now)
    if inv is None:
        return []
    return [new_event(SERVICE, "InvitationResponded", str(s["id"]), {
        "session_id": str(s["id"]), "programme_id": str(s["programme_id"]), "invitation_id": str(inv["id"]),
        "person_id": str(person_id), "company_id": str(inv["company_id"]), "response": response,
        "responded_at": now.astimezone(UTC).isoformat()})]


class Registrations:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def register(self, session_id: UUID, person_id: UUID, *, by_participant: bool = False) -> Row:
        """Take a place or a waiting-list spot; the session row lock makes capacity hold under concurrency.

        `by_participant`: the person acts through their signed link (else staff act on their behalf).
        """
        now = self.ctx.clock()
        with unit_of_work(self.ctx.pool) as conn:
            seen = db.get_session(conn, session_id)
            if seen is None:
                raise NotFound("no such session")
            # Delegate and enrolment first, then the session: the order the enrolment handlers lock in.
            db.lock_standing(conn, seen["programme_id"], person_id)
            s = locked_session(conn, session_id)
            require_open(s, "register")
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
            events += respond(conn, s, person_id, reg["status"], now)
            self.ctx.outbox.add(conn, events)
            audit.record(conn, "registration.create", "registration", str(reg["id"]),
                         {"session_id": str(s["id"]), "status": reg["status"]},
                         actor=participant(person_id) if by_participant else None)
            return reg

    def decline(self, session_id: UUID, person_id: UUID) -> Row:
        """An invited person who is not registered says no (the cancel link from the invitation)."""
        now = self.ctx.clock()
        with unit_of_work(self.ctx.pool) as conn:
            s = locked_session(conn, session_id)
            require_open(s, "answer the invitation")
            if s["starts_at"] <= now:
                raise Conflict("the session has started", current_state=s["status"], allowed_transitions=[])
            invitation = db.invitation_of(conn, s["id"], person_id)
            if invitation is None:
                raise Conflict("U bent niet (meer) aangemeld voor deze sessie. / You are not registered for this "
                               "session.")
            events = respond(conn, s, person_id, "declined", now)
            self.ctx.outbox.add(conn, events)
            audit.record(conn, "invitation.decline", "invitation", str(invitation["id"]), actor=participant(person_id))
            return {**invitation, "response": "declined"}

    def cancel_registration(self, registration_id: UUID, *, by_participant: bool = False) -> Row:
        now = self.ctx.clock()
        with unit_of_work(self.ctx.pool) as conn:
            reg = db.get_registration(conn, registration_id)
            if reg is None:
                raise NotFound("no such registration")
            s = locked_session(conn, reg["session_id"])
            reg = db.get_registration(conn, registration_id)  # re-read under the session lock
            assert reg is not None
            if reg["status"] not in db.LIVE:
                raise Conflict("the registration is already cancelled", current_state=reg["status"],
                               allowed_transitions=[])
            require_open(s, "cancel a registration")
            if s["starts_at"] <= now:
                raise Conflict("the session has started; record attendance instead", current_state=reg["status"],
                               allowed_transitions=[])
            late = domain.is_late_cancellation(s["starts_at"], now, self.ctx.settings.sessions_late_cancel_hours)
            events = roster.cancel(conn, s, [reg], "participant", now, late=late,
                                   cancelled_by="participant" if by_participant else "staff")
            events += respond(conn, s, reg["person_id"], "declined", now)
            self.ctx.outbox.add(conn, events)
            audit.record(conn, "registration.cancel", "registration", str(reg["id"]), {"late": late},
                         actor=participant(reg["person_id"]) if by_participant else None)
            out = db.get_registration(conn, registration_id)
            assert out is not None
            return out
