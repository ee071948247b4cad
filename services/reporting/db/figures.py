"""The figures' reads over the projections (plain SQL, bound parameters): rows as they are stored;
the rules that turn them into figures are in `services.reporting.domain`.

`regions` limits every read to those regions (coordinators); None means every region.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.common import adoption
from services.reporting.db.projections import Conn

Row = dict[str, Any]
Regions = list[str] | None

STATUS_SQL = ("CASE WHEN s.held_at IS NOT NULL OR s.snapshot_status = 'held' THEN 'held'"
              " WHEN s.cancelled_version IS NOT NULL OR s.snapshot_status = 'cancelled' THEN 'cancelled'"
              " ELSE COALESCE(s.snapshot_status, 'planned') END")
ENROLMENT_STATUS_SQL = (
    "CASE WHEN e.completed_on IS NOT NULL THEN 'completed' WHEN e.withdrawn_on IS NOT NULL THEN 'withdrawn'"
    " WHEN e.activated_on IS NOT NULL THEN 'active' WHEN e.admitted_on IS NOT NULL THEN 'admitted'"
    " WHEN e.declined_on IS NOT NULL THEN 'declined'"
    " WHEN EXISTS (SELECT 1 FROM intakes i WHERE i.enrolment_id = e.enrolment_id) THEN 'intake_held'"
    " ELSE 'interested' END")
IN_REGIONS = "(%(r)s::text[] IS NULL OR {column} = ANY(%(r)s))"


def _one(conn: Conn, query: str, params: dict[str, Any]) -> Row:
    """The one row an aggregate without GROUP BY always gives."""
    row: Row | None = conn.execute(query, params).fetchone()
    assert row is not None
    return row


# -- programme ------------------------------------------------------------------------------
def programmes(conn: Conn, limit: int, offset: int) -> tuple[list[Row], int]:
    rows = conn.execute("SELECT * FROM programmes ORDER BY period_start NULLS LAST, name, programme_id"
                        " LIMIT %s OFFSET %s", (limit, offset)).fetchall()
    total = conn.execute("SELECT count(*) AS n FROM programmes").fetchone()
    return rows, int(total["n"]) if total else 0


def programme(conn: Conn, programme_id: UUID) -> Row | None:
    row: Row | None = conn.execute("SELECT * FROM programmes WHERE programme_id = %s", (programme_id,)).fetchone()
    return row


def programme_seen(conn: Conn, programme_id: UUID) -> bool:
    """Whether an enrolment or a session names the programme (reporting may know it only from them)."""
    seen = conn.execute("SELECT 1 FROM enrolments WHERE programme_id = %(p)s UNION ALL"
                        " SELECT 1 FROM sessions WHERE programme_id = %(p)s LIMIT 1", {"p": programme_id}).fetchone()
    return seen is not None


# -- companies ------------------------------------------------------------------------------
def funnel_counts(conn: Conn, programme_id: UUID, regions: Regions) -> Row:
    return _one(
        conn,
        "SELECT count(*) AS interested,"
        " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM intakes i WHERE i.enrolment_id = e.enrolment_id))"
        "   AS intake_held,"
        " count(admitted_on) AS admitted, count(declined_on) AS declined, count(activated_on) AS started,"
        " count(withdrawn_on) AS withdrawn, count(completed_on) AS completed"
        f" FROM enrolments e WHERE programme_id = %(p)s AND {IN_REGIONS.format(column='region')}",
        {"p": programme_id, "r": regions})


def withdrawal_reasons(conn: Conn, programme_id: UUID, regions: Regions) -> list[Row]:
    return conn.execute(
        "SELECT withdrawal_reason AS reason, count(*) AS n FROM enrolments WHERE programme_id = %(p)s"
        f" AND withdrawn_on IS NOT NULL AND {IN_REGIONS.format(column='region')}"
        " GROUP BY withdrawal_reason ORDER BY withdrawal_reason", {"p": programme_id, "r": regions}).fetchall()


def enrolments_by_status(conn: Conn, programme_id: UUID, regions: Regions) -> list[Row]:
    return conn.execute(
        f"SELECT {ENROLMENT_STATUS_SQL} AS status, count(*) AS n FROM enrolments e WHERE programme_id = %(p)s"
        f" AND {IN_REGIONS.format(column='region')} GROUP BY 1 ORDER BY 1",
        {"p": programme_id, "r": regions}).fetchall()


def companies_by_region(conn: Conn, programme_id: UUID, regions: Regions) -> list[Row]:
    return conn.execute(
        "SELECT COALESCE(e.region, c.region, 'onbekend') AS region, count(activated_on) AS started,"
        " count(withdrawn_on) AS withdrawn, count(completed_on) AS completed"
        " FROM enrolments e LEFT JOIN companies c USING (company_id) WHERE programme_id = %(p)s"
        f" AND {IN_REGIONS.format(column='e.region')} GROUP BY 1 ORDER BY 1",
        {"p": programme_id, "r": regions}).fetchall()


def company_rows(conn: Conn, programme_id: UUID, regions: Regions, company_id: UUID | None = None,
                 limit: int | None = None, offset: int = 0) -> tuple[list[Row], int]:
    """Per company: delegates, attendance, drop-out, follow-up activities and the latest follow-up's level."""
    params = {"p": programme_id, "r": regions, "c": company_id, "limit": limit, "offset": offset}
    where = (f"e.programme_id = %(p)s AND {IN_REGIONS.format(column='e.region')}"
             " AND (%(c)s::uuid IS NULL OR e.company_id = %(c)s)")
    # Set-based: the page of enrolments first, then one aggregate per fact table over just those (a correlated
    # subquery per company and column cost 10,000 x 7 index probes for a national programme). The outer query
    # reads the page again from the tables, so the planner joins with their statistics, not a CTE's guesses.
    page = (f"FROM enrolments e LEFT JOIN companies c USING (company_id) WHERE {where}"
            " ORDER BY c.name NULLS LAST, e.company_id LIMIT %(limit)s OFFSET %(offset)s")
    rows = conn.execute(
        f"WITH page AS MATERIALIZED (SELECT e.enrolment_id, e.company_id {page}),"
        " d AS (SELECT d.enrolment_id,"
        "   count(*) FILTER (WHERE d.removed_on IS NULL AND d.delegated_at IS NOT NULL) AS delegates,"
        "   count(*) FILTER (WHERE d.removed_on IS NULL AND d.below_management) AS delegates_below_management"
        "   FROM delegates d JOIN page USING (enrolment_id) GROUP BY d.enrolment_id),"
        # Per company and session first, so counting the sessions attended needs no DISTINCT sort.
        " g AS (SELECT company_id, count(*) FILTER (WHERE attended > 0) AS sessions_attended,"
        "   sum(attended)::bigint AS attended, sum(no_shows)::bigint AS no_shows FROM ("
        "     SELECT g.company_id, g.session_id, count(*) FILTER (WHERE g.attendance = 'attended') AS attended,"
        "     count(*) FILTER (WHERE g.attendance = 'no_show') AS no_shows FROM registrations g"
        "     WHERE g.programme_id = %(p)s AND g.attendance IN ('attended', 'no_show')"
        "     AND g.company_id IN (SELECT company_id FROM page) GROUP BY g.company_id, g.session_id) per_session"
        "   GROUP BY company_id),"
        " f AS (SELECT f.enrolment_id, array_agg(DISTINCT f.activity ORDER BY f.activity) AS activities,"
        # The level of the latest follow-up, not the highest ever recorded (services.common.adoption).
        f"   (array_agg(f.adoption_level ORDER BY {adoption.LATEST_FIRST_SQL}))[1] AS level"
        "   FROM follow_ups f JOIN page USING (enrolment_id) GROUP BY f.enrolment_id)"
        " SELECT e.enrolment_id, e.company_id, c.name, COALESCE(e.region, c.region) AS region,"
        f" {ENROLMENT_STATUS_SQL} AS status, e.activated_on, e.withdrawn_on, e.withdrawal_reason, e.completed_on,"
        " COALESCE(d.delegates, 0) AS delegates,"
        " COALESCE(d.delegates_below_management, 0) AS delegates_below_management,"
        " COALESCE(g.sessions_attended, 0) AS sessions_attended, COALESCE(g.attended, 0) AS attended,"
        " COALESCE(g.no_shows, 0) AS no_shows, COALESCE(f.activities, '{}') AS follow_up_activities,"
        " f.level AS follow_up_level"
        " FROM enrolments e LEFT JOIN companies c USING (company_id) LEFT JOIN d USING (enrolment_id)"
        f" LEFT JOIN g ON g.company_id = e.company_id LEFT JOIN f USING (enrolment_id) WHERE {where}"
        " ORDER BY c.name NULLS LAST, e.company_id LIMIT %(limit)s OFFSET %(offset)s", params).fetchall()
    total = conn.execute(f"SELECT count(*) AS n FROM enrolments e WHERE {where}", params).fetchone()
    return rows, int(total["n"]) if total else 0


def delegate_counts(conn: Conn, programme_id: UUID, regions: Regions) -> Row:
    return _one(
        conn,
        "SELECT count(*) FILTER (WHERE d.delegated_at IS NOT NULL) AS delegated,"
        " count(*) FILTER (WHERE d.removed_on IS NULL AND d.delegated_at IS NOT NULL) AS current,"
        " count(*) FILTER (WHERE d.removed_on IS NULL AND d.below_management) AS below_management"
        " FROM delegates d JOIN enrolments e USING (enrolment_id) WHERE d.programme_id = %(p)s"
        f" AND {IN_REGIONS.format(column='e.region')}", {"p": programme_id, "r": regions})


def follow_up_levels(conn: Conn, programme_id: UUID, regions: Regions) -> tuple[list[Row], list[Row]]:
    """The companies that stayed in (started, not withdrawn) counted by their latest follow-up's level (None: no
    follow-up), and per activity how many of them recorded it: what `company_rows` gives per company, grouped."""
    params = {"p": programme_id, "r": regions}
    stayed = ("stayed AS (SELECT e.enrolment_id FROM enrolments e WHERE e.programme_id = %(p)s"
              f" AND {IN_REGIONS.format(column='e.region')} AND e.activated_on IS NOT NULL AND e.withdrawn_on IS NULL)")
    levels = conn.execute(
        f"WITH {stayed}, latest AS (SELECT DISTINCT ON (f.enrolment_id) f.enrolment_id, f.adoption_level"
        f"   FROM follow_ups f JOIN stayed USING (enrolment_id) ORDER BY f.enrolment_id, {adoption.LATEST_FIRST_SQL})"
        " SELECT latest.adoption_level AS level, count(*) AS n FROM stayed LEFT JOIN latest USING (enrolment_id)"
        " GROUP BY 1", params).fetchall()
    activities = conn.execute(
        f"WITH {stayed} SELECT f.activity, count(DISTINCT f.enrolment_id) AS n FROM follow_ups f"
        " JOIN stayed USING (enrolment_id) GROUP BY 1", params).fetchall()
    return levels, activities


# -- sessions -------------------------------------------------------------------------------
# A session's registrations counted (att): grouped per session over the whole programme, or for one session.
ATT_COLUMNS = (
    "count(*) FILTER (WHERE (registered_at IS NOT NULL OR promoted_at IS NOT NULL) AND cancelled_at IS NULL)"
    "   AS registrations,"
    " count(*) FILTER (WHERE waitlisted_at IS NOT NULL AND promoted_at IS NULL AND cancelled_at IS NULL)"
    "   AS waitlisted,"
    " count(*) FILTER (WHERE cancelled_at IS NOT NULL) AS cancellations,"
    " count(*) FILTER (WHERE cancelled_at IS NOT NULL AND cancelled_late) AS late_cancellations,"
    " count(*) FILTER (WHERE attendance = 'attended') AS attended,"
    " count(*) FILTER (WHERE attendance = 'no_show') AS no_shows,"
    " count(*) FILTER (WHERE attendance = 'excused') AS excused,"
    " count(attendance) AS recorded")
ATT_SQL = f"att AS (SELECT session_id, {ATT_COLUMNS} FROM registrations WHERE programme_id = %(p)s GROUP BY session_id)"
# Attendance from the per-registration facts; the session's closing summary where none arrived.
ATTENDANCE_SQL = "CASE WHEN COALESCE(att.recorded, 0) > 0 THEN att.{k} ELSE COALESCE(s.held_{k}, 0) END"
# The session's id as text: it goes out as text, and 20,000 UUID objects made and turned back cost 0.1 s.
SESSION_COLUMNS_SQL = (
    "s.session_id::text AS session_id, s.type, s.region, s.format, s.starts_at, s.duration_minutes, s.capacity_min,"
    f" s.capacity_max, s.facilitator_ids, s.working_method, {STATUS_SQL} AS status,"
    " COALESCE(inv.invited, 0) AS invited, COALESCE(att.registrations, 0) AS registrations,"
    " COALESCE(att.waitlisted, 0) AS waitlisted, COALESCE(att.cancellations, 0) AS cancellations,"
    " COALESCE(att.late_cancellations, 0) AS late_cancellations, "
    + ", ".join(f"{ATTENDANCE_SQL.format(k=k)} AS {k}" for k in ("attended", "no_shows", "excused"))
    + ", COALESCE(ev.responses, 0) AS responses, ev.average")
SESSION_ORDER = "s.starts_at NULLS LAST, s.session_id"  # index sessions_programme_start (migration 0005)
IN_SCOPE = f"s.programme_id = %(p)s AND {IN_REGIONS.format(column='s.region')}"


def session_rows(conn: Conn, programme_id: UUID, regions: Regions) -> list[Row]:
    """Every session with invitations, registrations, attendance and its evaluation's count and average, in
    date order: one grouped pass over each fact table."""
    return conn.execute(
        f"WITH {ATT_SQL},"
        " inv AS (SELECT session_id, count(*) AS invited FROM invitations WHERE programme_id = %(p)s"
        "   GROUP BY session_id),"
        " ev AS (SELECT session_id, count(*) AS responses, avg(score)::float AS average FROM evaluations"
        "   WHERE programme_id = %(p)s GROUP BY session_id)"
        f" SELECT {SESSION_COLUMNS_SQL} FROM sessions s LEFT JOIN att USING (session_id)"
        " LEFT JOIN inv USING (session_id) LEFT JOIN ev USING (session_id)"
        f" WHERE {IN_SCOPE} ORDER BY {SESSION_ORDER}", {"p": programme_id, "r": regions}).fetchall()


def session_page(conn: Conn, programme_id: UUID, regions: Regions, limit: int, offset: int) -> list[Row]:
    """`session_rows` for the page `limit`/`offset` of them only: the page's sessions found in the index alone
    (sessions_programme_start, migration 0005), then each of those sessions and its facts from its own rows
    (index probes per session, whatever the programme's size)."""
    one = "WHERE session_id = s.session_id AND programme_id = %(p)s"
    return conn.execute(
        f"SELECT {SESSION_COLUMNS_SQL} FROM (SELECT s.session_id FROM sessions s WHERE {IN_SCOPE}"
        f"   ORDER BY {SESSION_ORDER} LIMIT %(limit)s OFFSET %(offset)s) page"
        # OFFSET 0 keeps this a probe per session of the page (else the planner may hash all sessions instead).
        " CROSS JOIN LATERAL (SELECT * FROM sessions s WHERE s.session_id = page.session_id OFFSET 0) s"
        f" CROSS JOIN LATERAL (SELECT {ATT_COLUMNS} FROM registrations {one}) att"
        f" CROSS JOIN LATERAL (SELECT count(*) AS invited FROM invitations {one}) inv"
        " CROSS JOIN LATERAL (SELECT count(*) AS responses, avg(score)::float AS average FROM evaluations"
        f"   {one}) ev ORDER BY {SESSION_ORDER}",
        {"p": programme_id, "r": regions, "limit": limit, "offset": offset}).fetchall()


def session_cells(conn: Conn, programme_id: UUID, regions: Regions) -> list[Row]:
    """The sessions grouped by status, type, region, format and month (`domain.SESSION_CELL`): how many, the sums
    of their counts and the smallest and largest attendance; every session figure follows from these rows."""
    sums = ("registrations", "cancellations", "late_cancellations", "attended", "no_shows", "excused")
    return conn.execute(
        f"WITH {ATT_SQL},"
        f" per AS (SELECT {STATUS_SQL} AS status, s.type, s.region, s.format,"
        "   to_char(s.starts_at, 'YYYY-MM') AS month, COALESCE(att.registrations, 0) AS registrations,"
        "   COALESCE(att.cancellations, 0) AS cancellations, COALESCE(att.late_cancellations, 0) AS late_cancellations,"
        + ", ".join(f"{ATTENDANCE_SQL.format(k=k)} AS {k}" for k in ("attended", "no_shows", "excused"))
        + f"   FROM sessions s LEFT JOIN att USING (session_id) WHERE {IN_SCOPE})"
        " SELECT status, type, region, format, month, count(*) AS sessions, "
        + ", ".join(f"sum({k})::bigint AS {k}" for k in sums)
        + ", min(attended) AS min_attended, max(attended) AS max_attended FROM per GROUP BY 1, 2, 3, 4, 5",
        {"p": programme_id, "r": regions}).fetchall()


# -- evaluations ----------------------------------------------------------------------------
def evaluation_averages(conn: Conn, programme_id: UUID, regions: Regions,
                        per_facilitator: bool = True) -> tuple[Row, list[Row], list[Row]]:
    """Count (n) and average (a) of the evaluation scores: the whole programme and by session type (k) in one
    pass, and, unless not `per_facilitator`, by facilitator (k; a session with two facilitators counts for both)."""
    params = {"p": programme_id, "r": regions}
    where = f"WHERE v.programme_id = %(p)s AND {IN_REGIONS.format(column='s.region')}"
    kind = "COALESCE(s.type, 'onbekend')"
    rows = conn.execute(
        f"SELECT {kind} AS k, GROUPING({kind}) = 1 AS whole, count(*) AS n, avg(v.score)::float AS a"
        f" FROM evaluations v LEFT JOIN sessions s ON s.session_id = v.session_id {where}"
        f" GROUP BY GROUPING SETS ((), ({kind})) ORDER BY 2 DESC, 1", params).fetchall()
    whole, by_type = rows[0], rows[1:]  # the empty grouping set always gives its one row, first
    by_facilitator = conn.execute(
        "SELECT f AS k, count(*) AS n, avg(v.score)::float AS a FROM evaluations v"
        f" CROSS JOIN LATERAL unnest(v.facilitator_ids) AS f LEFT JOIN sessions s ON s.session_id = v.session_id"
        f" {where} GROUP BY 1 ORDER BY 1", params).fetchall() if per_facilitator else []
    return whole, by_type, by_facilitator


# -- one company ----------------------------------------------------------------------------
def company_sessions(conn: Conn, programme_id: UUID, company_id: UUID) -> list[Row]:
    """The sessions the company's people registered for, with their attendance."""
    return conn.execute(
        f"SELECT s.session_id, s.type, s.region, s.starts_at, {STATUS_SQL} AS status,"
        " count(*) FILTER (WHERE g.attendance = 'attended') AS attended,"
        " count(*) FILTER (WHERE g.attendance = 'no_show') AS no_shows,"
        " count(*) FILTER (WHERE g.attendance = 'excused') AS excused,"
        " count(*) FILTER (WHERE (g.registered_at IS NOT NULL OR g.promoted_at IS NOT NULL)"
        "   AND g.cancelled_at IS NULL) AS registered"
        " FROM registrations g JOIN sessions s USING (session_id)"
        " WHERE g.company_id = %s AND g.programme_id = %s GROUP BY s.session_id"
        " ORDER BY s.starts_at NULLS LAST, s.session_id", (company_id, programme_id)).fetchall()


def company_follow_ups(conn: Conn, programme_id: UUID, company_id: UUID) -> list[Row]:
    return conn.execute(
        "SELECT activity, occurred_on, adoption_level FROM follow_ups WHERE company_id = %s AND programme_id = %s"
        " ORDER BY occurred_on, recorded_at NULLS FIRST, follow_up_id", (company_id, programme_id)).fetchall()
