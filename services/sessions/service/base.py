"""What the sessions use cases share: their context (settings, pool, outbox, clock) and small helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool
from werkzeug.exceptions import NotFound

from services.common.outbox import Outbox
from services.common.problems import Conflict, InvalidInput
from services.sessions import db, domain
from services.sessions.db import Conn, Row
from services.sessions.settings import SessionsSettings

SERVICE = "sessions"
Clock = Callable[[], datetime]
# Fields a rescheduling may change; the rest of a session (programme, type, region) is its identity.
CHANGEABLE = ("format", "venue_address", "online_url", "host_company_id", "starts_at", "duration_minutes",
              "capacity_min", "capacity_max", "facilitator_ids", "working_method", "sequence_number")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    """Shared by every use case module; tests move `clock` to act later in a session's life."""

    settings: SessionsSettings
    pool: ConnectionPool
    outbox: Outbox
    clock: Clock


def participant(person_id: UUID) -> str:
    """Audit actor of someone acting through a signed link (no account, so no subject)."""
    return f"participant:{person_id}"


def snapshot(s: Row) -> dict[str, Any]:
    """The full picture of a session that SessionScheduled/SessionRescheduled carry."""
    out = {
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
    if s.get("series_id") is not None:
        out["series_id"] = str(s["series_id"])
    return out


def require_open(s: Row, action: str) -> None:
    """409 unless the session is still planned or confirmed."""
    if s["status"] not in ("planned", "confirmed"):
        raise Conflict(f"cannot {action}: the session is {s['status']}", current_state=s["status"],
                       allowed_transitions=list(domain.TRANSITIONS[s["status"]]))


def locked_session(conn: Conn, session_id: UUID) -> Row:
    """The session row under FOR UPDATE (every change to one session's roster is serialised on it)."""
    s = db.get_session(conn, session_id, lock=True)
    if s is None:
        raise NotFound("no such session")
    return s


def programme_rules(conn: Conn, programme_id: UUID) -> Row:
    """The programme as enrolment published it; 422 when unknown, 409 when closed."""
    programme = db.get_programme(conn, programme_id)
    if programme is None:
        raise InvalidInput({"programme_id": "unknown programme: enrolment has not published it (yet)"})
    if programme["closed_on"] is not None:
        raise Conflict("the programme is closed", current_state="closed", allowed_transitions=[])
    return programme
