"""A session's roster: places, the FIFO waiting list, and what a cancellation sets in motion.

Every function here runs inside a use case's (or handler's) transaction with
the session row already locked (`db.get_session(..., lock=True)`), so the
capacity check, the arrival number and the promotions of one session are
decided one at a time. The functions return the events to put in the outbox.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from services.common.events import Event, new_event
from services.sessions import db
from services.sessions.db import Conn, Row

SERVICE = "sessions"


def registration_data(session: Row, reg: Row) -> dict[str, Any]:
    return {"session_id": str(session["id"]), "programme_id": str(session["programme_id"]),
            "registration_id": str(reg["id"]), "person_id": str(reg["person_id"]),
            "company_id": str(reg["company_id"])}


def gate_check(standing: Row | None) -> tuple[str, str] | None:
    """(cancellation cause, reason) why a delegate may not be invited or registered; None when they may."""
    if standing is None:
        return "person_removed", "not a delegate of this programme"
    if standing["erased_on"] is not None:
        return "person_erased", "the person's data was erased"
    if standing["removed_on"] is not None:
        return "person_removed", "the delegate was removed by the company"
    if standing["withdrawn_on"] is not None:
        return "company_withdrew", "the company withdrew from the programme"
    if standing["admitted_on"] is None:
        return "person_removed", "the company has not been admitted (no held intake with sufficient commitment)"
    return None


def gate_refusal(standing: Row | None) -> str | None:
    """Why a delegate may not be invited or registered (None when they may)."""
    check = gate_check(standing)
    return check[1] if check else None


def take_place(conn: Conn, session: Row, person_id: UUID, company_id: UUID, *,
               moved_from: UUID | None = None) -> tuple[Row, list[Event]]:
    """Register a person: a place when one is free, else the end of the waiting list.

    `moved_from`: the session they come from when a go/no-go decision merged it into this one.
    """
    arrival = db.next_arrival(conn)
    counts = db.roster_counts(conn, session["id"])
    status = "registered" if counts["registered"] < session["capacity_max"] else "waitlisted"
    registration_id = uuid.uuid4()
    db.insert_registration(conn, registration_id, session["id"], person_id, company_id, status, arrival)
    reg = db.get_registration(conn, registration_id)
    assert reg is not None
    data = registration_data(session, reg)
    if moved_from is not None:
        data["moved_from_session_id"] = str(moved_from)
    if status == "registered":
        return reg, [new_event(SERVICE, "ParticipantRegistered", str(session["id"]), data)]
    return reg, [new_event(SERVICE, "ParticipantWaitlisted", str(session["id"]),
                           {**data, "position": int(reg["position"])})]


def fill_free_places(conn: Conn, session: Row, now: datetime) -> list[Event]:
    """Promote from the waiting list, first come first served, while places are free.

    A waiting person who is no longer eligible (a withdrawal processed
    elsewhere, say) is taken off the list instead of promoted.
    """
    events: list[Event] = []
    free = session["capacity_max"] - db.roster_counts(conn, session["id"])["registered"]
    for waiting in db.waitlist(conn, session["id"]):
        if free <= 0:
            break
        refusal = gate_check(db.delegate_standing(conn, session["programme_id"], waiting["person_id"]))
        if refusal is not None:
            events += cancel(conn, session, [waiting], refusal[0], now, fill=False, cancelled_by="system")
            continue
        db.set_registered(conn, waiting["id"], now)
        events.append(new_event(SERVICE, "WaitlistPromoted", str(session["id"]), registration_data(session, waiting)))
        free -= 1
    return events


def cancel(conn: Conn, session: Row, regs: list[Row], cause: str, now: datetime, *, late: bool = False,
           fill: bool = True, cancelled_by: str, merged_into: UUID | None = None) -> list[Event]:
    """Cancel live registrations of one session and give freed places to the waiting list.

    `cancelled_by` (participant, staff, system) tells notifications whose doing it was, so the
    cancellation mail can say so; `merged_into` names the session the people move to after a merge.
    """
    events: list[Event] = []
    for reg in regs:
        db.set_cancelled(conn, reg["id"], now, late, cause)
        data = {**registration_data(session, reg), "late": late, "cause": cause, "cancelled_by": cancelled_by}
        if merged_into is not None:
            data["merged_into_session_id"] = str(merged_into)
        events.append(new_event(SERVICE, "RegistrationCancelled", str(session["id"]), data))
    if fill and session["status"] in ("planned", "confirmed"):
        events += fill_free_places(conn, session, now)
    return events
