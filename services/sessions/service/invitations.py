"""Invitations: every eligible delegate of the session's region, or the people named (all or none)."""

from __future__ import annotations

import uuid
from datetime import UTC
from uuid import UUID

from werkzeug.exceptions import NotFound

from services.common import audit
from services.common.db import unit_of_work
from services.common.events import new_event
from services.common.problems import Conflict
from services.sessions import db, roster
from services.sessions.db import Row
from services.sessions.service.base import SERVICE, Context, locked_session, require_open


class Invitations:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def invite(self, session_id: UUID, person_ids: list[UUID] | None) -> list[Row]:
        now = self.ctx.clock()
        with unit_of_work(self.ctx.pool) as conn:
            seen = db.get_session(conn, session_id)
            if seen is None:
                raise NotFound("no such session")
            # As in register: standings first (a withdrawal being applied is waited for), then the session.
            if person_ids is None:
                db.lock_region_standings(conn, seen["programme_id"], seen["region"])
            else:
                for pid in sorted(set(person_ids), key=str):
                    db.lock_standing(conn, seen["programme_id"], pid)
            s = locked_session(conn, session_id)
            require_open(s, "invite")
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
                        "invitation_id": str(invitation_id),
                        # Answering is possible until the start: the links notifications mints expire then.
                        "expires_at": s["starts_at"].astimezone(UTC).isoformat()}))
            self.ctx.outbox.add(conn, events)
            audit.record(conn, "session.invite", "session", str(s["id"]), {"invited": len(invited)})
            return invited
