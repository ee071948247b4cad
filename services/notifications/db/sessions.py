"""Sessions and who takes part in them (invited, registered, waitlisted, cancelled), as sessions' events tell."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from services.notifications.db.base import Conn, Row


def upsert_session(conn: Conn, s: dict[str, Any]) -> Row | None:
    """Store a snapshot unless a newer version is already known; return the previous row."""
    before = session(conn, s["session_id"])
    if before is not None and before["version"] > s["version"]:
        return before
    conn.execute(
        "INSERT INTO sessions (session_id, programme_id, type, region, format, venue_address, online_url,"
        " starts_at, ends_at, duration_minutes, facilitator_ids, working_method, status, version)"
        " VALUES (%(session_id)s, %(programme_id)s, %(type)s, %(region)s, %(format)s, %(venue_address)s,"
        " %(online_url)s, %(starts_at)s, %(ends_at)s, %(duration_minutes)s, %(facilitator_ids)s,"
        " %(working_method)s, %(status)s, %(version)s)"
        " ON CONFLICT (session_id) DO UPDATE SET type = EXCLUDED.type, region = EXCLUDED.region,"
        " format = EXCLUDED.format, venue_address = EXCLUDED.venue_address, online_url = EXCLUDED.online_url,"
        " starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, duration_minutes = EXCLUDED.duration_minutes,"
        " facilitator_ids = EXCLUDED.facilitator_ids, working_method = EXCLUDED.working_method,"
        " status = EXCLUDED.status, version = EXCLUDED.version", s)
    return before


def session(conn: Conn, session_id: str | None) -> Row | None:
    if not session_id:
        return None
    return conn.execute("SELECT * FROM sessions WHERE session_id = %s", (session_id,)).fetchone()


def cancel_session(conn: Conn, session_id: str, version: int, reason: str) -> None:
    conn.execute("UPDATE sessions SET status = 'cancelled', version = greatest(version, %s), cancel_reason = %s"
                 " WHERE session_id = %s", (version, reason, session_id))


def set_session_status(conn: Conn, session_id: str, status: str) -> None:
    conn.execute("UPDATE sessions SET status = %s WHERE session_id = %s", (status, session_id))


def set_session_person(conn: Conn, session_id: str, person_id: str, company_id: str | None, state: str) -> None:
    conn.execute("INSERT INTO session_people (session_id, person_id, company_id, state) VALUES (%s, %s, %s, %s)"
                 " ON CONFLICT (session_id, person_id) DO UPDATE SET state = EXCLUDED.state",
                 (session_id, person_id, company_id, state))


def session_person(conn: Conn, session_id: str | None, person_id: str) -> Row | None:
    """One person's standing in a session: state, attendance, when they answered the invitation."""
    return conn.execute("SELECT * FROM session_people WHERE session_id = %s AND person_id = %s",
                        (session_id, person_id)).fetchone()


def mark_answered(conn: Conn, session_id: str, person_id: str, company_id: str | None, at: datetime) -> None:
    """The invitee answered (registered, waiting list, declined): no reminder to answer goes out any more."""
    conn.execute("INSERT INTO session_people (session_id, person_id, company_id, state, answered_at)"
                 " VALUES (%s, %s, %s, 'invited', %s) ON CONFLICT (session_id, person_id)"
                 " DO UPDATE SET answered_at = coalesce(session_people.answered_at, EXCLUDED.answered_at)",
                 (session_id, person_id, company_id, at))


def set_attendance(conn: Conn, session_id: str, person_id: str, company_id: str | None, attendance: str) -> None:
    conn.execute("INSERT INTO session_people (session_id, person_id, company_id, state, attendance)"
                 " VALUES (%s, %s, %s, 'registered', %s)"
                 " ON CONFLICT (session_id, person_id) DO UPDATE SET attendance = EXCLUDED.attendance",
                 (session_id, person_id, company_id, attendance))


def session_people(conn: Conn, session_id: str, states: Iterable[str]) -> list[Row]:
    """Active people of a session in the given states."""
    return conn.execute(
        "SELECT sp.* FROM session_people sp JOIN recipients r ON r.person_id = sp.person_id"
        " WHERE sp.session_id = %s AND sp.state = ANY(%s) AND r.active ORDER BY sp.person_id",
        (session_id, list(states))).fetchall()


def company_participation(conn: Conn, company_id: str, programme_id: str) -> Row:
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE sp.state = 'registered') AS registrations,"
        " count(*) FILTER (WHERE sp.attendance = 'attended') AS attended,"
        " count(*) FILTER (WHERE sp.attendance = 'no_show') AS no_shows,"
        " count(*) FILTER (WHERE sp.state = 'registered' AND s.status IN ('planned', 'confirmed')"
        "                  AND s.starts_at > now()) AS upcoming"
        " FROM session_people sp JOIN sessions s ON s.session_id = sp.session_id"
        " WHERE sp.company_id = %s AND s.programme_id = %s", (company_id, programme_id)).fetchone()
    delegates = conn.execute("SELECT count(*) AS n FROM recipients WHERE company_id = %s AND role = 'participant'"
                             " AND active AND programme_id = %s", (company_id, programme_id)).fetchone()
    assert row is not None and delegates is not None
    return {**row, "delegates": delegates["n"]}
