"""Recurring series and go/no-go decisions."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.sessions.db.base import Conn, Row
from services.sessions.db.sessions import sessions_below_minimum


def insert_series(conn: Conn, s: Row) -> Row:
    row = conn.execute(
        "INSERT INTO session_series (id, programme_id, type, region, start_date, start_time, end_time,"
        " interval_weeks, count, created_by) VALUES (%(id)s, %(programme_id)s, %(type)s, %(region)s,"
        " %(start_date)s, %(start_time)s, %(end_time)s, %(interval_weeks)s, %(count)s, %(created_by)s) RETURNING *",
        s).fetchone()
    assert row is not None
    return row


def get_series(conn: Conn, series_id: UUID) -> Row | None:
    return conn.execute("SELECT * FROM session_series WHERE id = %s", (series_id,)).fetchone()


def series_sessions(conn: Conn, series_id: UUID, *, from_start: datetime | None = None,
                    lock: bool = False) -> list[Row]:
    """The series' occurrences by start (from `from_start` on), optionally locked.

    Locked in id order, the order the enrolment handlers and a merge lock sessions in, so a step on a
    series and a withdrawal touching two of its sessions cannot deadlock.
    """
    params = (series_id, from_start, from_start)
    where = " WHERE series_id = %s AND (%s::timestamptz IS NULL OR starts_at >= %s)"
    if lock:
        conn.execute("SELECT id FROM sessions" + where + " ORDER BY id FOR UPDATE", params)
    return conn.execute("SELECT * FROM sessions" + where + " ORDER BY starts_at, id", params).fetchall()


def insert_decision(conn: Conn, d: Row) -> Row:
    row = conn.execute(
        "INSERT INTO session_decisions (id, session_id, decision, merge_into_session_id, reason, starts_at,"
        " registered, capacity_min, decided_by, decided_by_name, decided_at) VALUES (%(id)s, %(session_id)s,"
        " %(decision)s, %(merge_into_session_id)s, %(reason)s, %(starts_at)s, %(registered)s, %(capacity_min)s,"
        " %(decided_by)s, %(decided_by_name)s, %(decided_at)s) RETURNING *", {"decided_by_name": None, **d}).fetchone()
    assert row is not None
    return row


def decisions_of(conn: Conn, session_id: UUID) -> list[Row]:
    return conn.execute("SELECT * FROM session_decisions WHERE session_id = %s ORDER BY decided_at, id",
                        (session_id,)).fetchall()


def sessions_needing_decision(conn: Conn, regions: list[str] | None, region: str | None, now: datetime,
                              default_days: int, limit: int) -> list[Row]:
    """Open sessions within their decision horizon, below their minimum, without a decision for their date."""
    return sessions_below_minimum(conn, regions, region, now, default_days, limit, undecided_only=True)


def decision_for_date(conn: Conn, session_id: UUID, starts_at: datetime) -> Row | None:
    """The decision recorded for the session at this start (the caller holds the session row locked)."""
    return conn.execute("SELECT * FROM session_decisions WHERE session_id = %s AND starts_at = %s"
                        " ORDER BY decided_at DESC, id LIMIT 1", (session_id, starts_at)).fetchone()
