"""Sessions rows: scheduling, clashes, lists, roster counts, below-minimum checks and overviews."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.sessions.db.base import Conn, Row, count

# -- sessions -------------------------------------------------------------------


def insert_session(conn: Conn, s: Row) -> Row:
    row = conn.execute(
        "INSERT INTO sessions (id, programme_id, type, region, format, venue_address, online_url, host_company_id,"
        " starts_at, duration_minutes, capacity_min, capacity_max, facilitator_ids, working_method,"
        " sequence_number, series_id) VALUES (%(id)s, %(programme_id)s, %(type)s, %(region)s, %(format)s,"
        " %(venue_address)s, %(online_url)s, %(host_company_id)s, %(starts_at)s, %(duration_minutes)s,"
        " %(capacity_min)s, %(capacity_max)s, %(facilitator_ids)s, %(working_method)s, %(sequence_number)s,"
        " %(series_id)s) RETURNING *", {"series_id": None, **s}).fetchone()
    assert row is not None
    return row


def get_session(conn: Conn, session_id: UUID, *, lock: bool = False) -> Row | None:
    # FOR UPDATE serialises every change to one session's roster: the
    # capacity check and the arrival number are taken under this lock.
    return conn.execute("SELECT * FROM sessions WHERE id = %s" + (" FOR UPDATE" if lock else ""),
                        (session_id,)).fetchone()


def update_session(conn: Conn, session_id: UUID, changes: Row) -> Row:
    cols = ", ".join(f"{name} = %({name})s" for name in changes)
    row = conn.execute(f"UPDATE sessions SET {cols}, version = version + 1, updated_at = now()"
                       " WHERE id = %(session_id)s RETURNING *", {**changes, "session_id": session_id}).fetchone()
    assert row is not None
    return row


def lock_facilitators(conn: Conn, facilitator_ids: list[str]) -> None:
    """Serialise scheduling per facilitator so two overlapping plans cannot both pass the check."""
    for fid in sorted(set(facilitator_ids)):
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('sessions.facilitator'), hashtext(%s))", (fid,))


def facilitator_clashes(conn: Conn, facilitator_ids: list[str], starts_at: datetime, ends_at: datetime,
                        exclude: list[UUID]) -> list[Row]:
    """Live sessions of these facilitators overlapping the interval, except the sessions being (re)planned."""
    return conn.execute(
        "SELECT id, starts_at, facilitator_ids FROM sessions WHERE status <> 'cancelled'"
        " AND facilitator_ids && %s::text[] AND NOT (id = ANY(%s::uuid[]))"
        " AND starts_at < %s AND starts_at + make_interval(mins => duration_minutes) > %s ORDER BY starts_at",
        (facilitator_ids, exclude, ends_at, starts_at)).fetchall()


def list_sessions(conn: Conn, f: Row, limit: int, offset: int) -> tuple[list[Row], int]:
    where = (" WHERE (%(programme_id)s::uuid IS NULL OR programme_id = %(programme_id)s)"
             " AND (%(region)s::text IS NULL OR region = %(region)s)"
             " AND (%(regions)s::text[] IS NULL OR region = ANY(%(regions)s))"
             " AND (%(facilitator)s::text IS NULL OR %(facilitator)s = ANY(facilitator_ids))"
             " AND (%(type)s::text IS NULL OR type = %(type)s)"
             " AND (%(status)s::text IS NULL OR status = %(status)s)"
             " AND (%(starts_from)s::timestamptz IS NULL OR starts_at >= %(starts_from)s)"
             " AND (%(starts_before)s::timestamptz IS NULL OR starts_at < %(starts_before)s)")
    params = {"programme_id": None, "region": None, "regions": None, "facilitator": None, "type": None,
              "status": None, "starts_from": None, "starts_before": None, **f, "limit": limit, "offset": offset}
    rows = conn.execute("SELECT * FROM sessions" + where + " ORDER BY starts_at, id LIMIT %(limit)s OFFSET %(offset)s",
                        params).fetchall()
    return rows, count(conn, "SELECT count(*) AS n FROM sessions" + where, params)


def roster_counts_of(conn: Conn, session_ids: list[UUID]) -> dict[UUID, Row]:
    """`roster_counts` of many sessions in one statement (a calendar month of a national programme lists
    hundreds: one query each was 340 round trips, bench/national.py); a session without registrations: 0, 0."""
    if not session_ids:
        return {}
    rows = conn.execute(
        "SELECT session_id, count(*) FILTER (WHERE status = 'registered') AS registered,"
        " count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted FROM registrations"
        " WHERE session_id = ANY(%s) GROUP BY session_id", (session_ids,)).fetchall()
    found = {r["session_id"]: {"registered": r["registered"], "waitlisted": r["waitlisted"]} for r in rows}
    return {i: found.get(i, {"registered": 0, "waitlisted": 0}) for i in session_ids}


def roster_counts(conn: Conn, session_id: UUID) -> Row:
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE status = 'registered') AS registered,"
        " count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted FROM registrations WHERE session_id = %s",
        (session_id,)).fetchone()
    assert row is not None
    return row


def sessions_due_below_minimum(conn: Conn, now: datetime, default_days: int) -> list[Row]:
    """Open sessions within their programme's alert horizon, not alerted yet, below minimum.

    SKIP LOCKED: two workers checking at once each take different sessions.
    """
    return conn.execute(
        "SELECT s.* FROM sessions s JOIN programmes p ON p.programme_id = s.programme_id"
        " WHERE s.status IN ('planned', 'confirmed') AND s.below_minimum_alerted_at IS NULL"
        " AND s.starts_at > %(now)s"
        " AND s.starts_at <= %(now)s + make_interval(days => COALESCE(p.below_minimum_days, %(days)s))"
        " AND (SELECT count(*) FROM registrations r WHERE r.session_id = s.id AND r.status = 'registered')"
        "     < s.capacity_min"
        " ORDER BY s.starts_at FOR UPDATE OF s SKIP LOCKED", {"now": now, "days": default_days}).fetchall()


def mark_below_minimum_alerted(conn: Conn, session_id: UUID, now: datetime) -> None:
    conn.execute("UPDATE sessions SET below_minimum_alerted_at = %s WHERE id = %s", (now, session_id))


# -- overviews for the pages (scoped by the caller: `regions` None means every region) -----------------


def evaluation_overview(conn: Conn, regions: list[str] | None, region: str | None, limit: int,
                        offset: int) -> tuple[list[Row], int]:
    """Sessions with evaluations, newest first, with their scores (the caller hides small groups)."""
    params = {"regions": regions, "region": region, "limit": limit, "offset": offset}
    base = (" FROM sessions s JOIN evaluations e ON e.session_id = s.id"
            " WHERE (%(regions)s::text[] IS NULL OR s.region = ANY(%(regions)s))"
            " AND (%(region)s::text IS NULL OR s.region = %(region)s)")
    rows = conn.execute("SELECT s.id, s.type, s.region, s.starts_at, s.sequence_number, s.status,"
                        " array_agg(e.score ORDER BY e.submitted_at) AS scores" + base
                        + " GROUP BY s.id ORDER BY s.starts_at DESC, s.id LIMIT %(limit)s OFFSET %(offset)s",
                        params).fetchall()
    return rows, count(conn, "SELECT count(DISTINCT s.id) AS n" + base, params)


def evaluation_scores_by_region(conn: Conn, regions: list[str] | None, region: str | None) -> list[Row]:
    return conn.execute(
        "SELECT s.region, array_agg(e.score) AS scores FROM sessions s JOIN evaluations e ON e.session_id = s.id"
        " WHERE (%(regions)s::text[] IS NULL OR s.region = ANY(%(regions)s))"
        " AND (%(region)s::text IS NULL OR s.region = %(region)s) GROUP BY s.region ORDER BY s.region",
        {"regions": regions, "region": region}).fetchall()


def sessions_below_minimum(conn: Conn, regions: list[str] | None, region: str | None, now: datetime,
                           default_days: int, limit: int, *, undecided_only: bool = False) -> list[Row]:
    """Open sessions within their alert horizon that have fewer registered than their minimum.

    `undecided_only`: only those without a go/no-go decision for their current date (they need one).
    """
    undecided = (" AND NOT EXISTS (SELECT 1 FROM session_decisions d WHERE d.session_id = s.id"
                 " AND d.starts_at = s.starts_at)") if undecided_only else ""
    return conn.execute(
        "SELECT * FROM (SELECT s.*, p.name AS programme_name, (SELECT count(*) FROM registrations r"
        " WHERE r.session_id = s.id AND r.status = 'registered') AS registered,"
        " COALESCE(p.below_minimum_days, %(days)s) AS horizon_days"
        " FROM sessions s JOIN programmes p ON p.programme_id = s.programme_id"
        " WHERE s.status IN ('planned', 'confirmed') AND s.starts_at > %(now)s"
        " AND s.starts_at <= %(now)s + make_interval(days => COALESCE(p.below_minimum_days, %(days)s))"
        + undecided +
        " AND (%(regions)s::text[] IS NULL OR s.region = ANY(%(regions)s))"
        " AND (%(region)s::text IS NULL OR s.region = %(region)s)) x"
        " WHERE x.registered < x.capacity_min ORDER BY x.starts_at LIMIT %(limit)s",
        {"now": now, "days": default_days, "regions": regions, "region": region, "limit": limit}).fetchall()


def repeated_no_shows(conn: Conn, regions: list[str] | None, region: str | None, limit: int) -> list[Row]:
    """Raised repeated no-show alerts, newest first, with the session of the second no-show."""
    return conn.execute(
        "SELECT a.person_id, a.session_id, a.raised_at, s.region, s.type, s.starts_at, r.company_id"
        " FROM no_show_alerts a JOIN sessions s ON s.id = a.session_id"
        " LEFT JOIN LATERAL (SELECT company_id FROM registrations x WHERE x.session_id = a.session_id"
        " AND x.person_id = a.person_id ORDER BY x.arrival DESC LIMIT 1) r ON true"
        " WHERE (%(regions)s::text[] IS NULL OR s.region = ANY(%(regions)s))"
        " AND (%(region)s::text IS NULL OR s.region = %(region)s) ORDER BY a.raised_at DESC LIMIT %(limit)s",
        {"regions": regions, "region": region, "limit": limit}).fetchall()
