"""The programme's figures and the final report ("slotrapportage"), read from the projections.

Every figure is a query over fact tables at read time, so it is the same
whatever order the events arrived in. `regions` limits the figures to
those regions (coordinators); None means every region.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg

from services.common import adoption

Conn = psycopg.Connection[Any]
Regions = list[str] | None

SESSION_TYPES = ("kick_off", "dialogue", "intervision", "workshop", "closing")
STATUS_SQL = ("CASE WHEN s.held_at IS NOT NULL OR s.snapshot_status = 'held' THEN 'held'"
              " WHEN s.cancelled_version IS NOT NULL OR s.snapshot_status = 'cancelled' THEN 'cancelled'"
              " ELSE COALESCE(s.snapshot_status, 'planned') END")
ENROLMENT_STATUS_SQL = (
    "CASE WHEN e.completed_on IS NOT NULL THEN 'completed' WHEN e.withdrawn_on IS NOT NULL THEN 'withdrawn'"
    " WHEN e.activated_on IS NOT NULL THEN 'active' WHEN e.admitted_on IS NOT NULL THEN 'admitted'"
    " WHEN e.declined_on IS NOT NULL THEN 'declined'"
    " WHEN EXISTS (SELECT 1 FROM intakes i WHERE i.enrolment_id = e.enrolment_id) THEN 'intake_held'"
    " ELSE 'interested' END")


def evaluation(responses: int, average: float | None, min_responses: int) -> dict[str, Any]:
    """An average only where at least `min_responses` scores exist (nobody identifiable)."""
    shown = responses >= min_responses and average is not None
    return {"responses": responses, "average": round(float(average), 2) if shown and average is not None else None,
            "shown": shown}


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


# -- programme ------------------------------------------------------------------------------
def programmes(conn: Conn, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    rows = conn.execute("SELECT * FROM programmes ORDER BY period_start NULLS LAST, name, programme_id"
                        " LIMIT %s OFFSET %s", (limit, offset)).fetchall()
    total = conn.execute("SELECT count(*) AS n FROM programmes").fetchone()
    return rows, int(total["n"]) if total else 0


def programme(conn: Conn, programme_id: UUID) -> dict[str, Any] | None:
    """The programme, or None when reporting has never heard of it (not even from a session)."""
    row = conn.execute("SELECT * FROM programmes WHERE programme_id = %s", (programme_id,)).fetchone()
    if row is not None:
        return {k: row[k] for k in ("programme_id", "name", "fund", "theme", "period_start", "period_end", "regions",
                                    "planned_sessions", "closed_on")}
    seen = conn.execute("SELECT 1 FROM enrolments WHERE programme_id = %(p)s UNION ALL"
                        " SELECT 1 FROM sessions WHERE programme_id = %(p)s LIMIT 1", {"p": programme_id}).fetchone()
    if seen is None:
        return None
    return {"programme_id": programme_id, "name": None, "fund": None, "theme": None, "period_start": None,
            "period_end": None, "regions": [], "planned_sessions": {}, "closed_on": None}


# -- companies ------------------------------------------------------------------------------
def funnel(conn: Conn, programme_id: UUID, regions: Regions) -> dict[str, Any]:
    row = conn.execute(
        "SELECT count(*) AS interested,"
        " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM intakes i WHERE i.enrolment_id = e.enrolment_id))"
        "   AS intake_held,"
        " count(admitted_on) AS admitted, count(declined_on) AS declined, count(activated_on) AS started,"
        " count(withdrawn_on) AS withdrawn, count(completed_on) AS completed"
        " FROM enrolments e WHERE programme_id = %(p)s AND (%(r)s::text[] IS NULL OR region = ANY(%(r)s))",
        {"p": programme_id, "r": regions}).fetchone()
    assert row is not None
    reasons = conn.execute(
        "SELECT withdrawal_reason AS reason, count(*) AS n FROM enrolments WHERE programme_id = %(p)s"
        " AND withdrawn_on IS NOT NULL AND (%(r)s::text[] IS NULL OR region = ANY(%(r)s))"
        " GROUP BY withdrawal_reason ORDER BY withdrawal_reason", {"p": programme_id, "r": regions}).fetchall()
    current = conn.execute(
        f"SELECT {ENROLMENT_STATUS_SQL} AS status, count(*) AS n FROM enrolments e WHERE programme_id = %(p)s"
        " AND (%(r)s::text[] IS NULL OR region = ANY(%(r)s)) GROUP BY 1 ORDER BY 1",
        {"p": programme_id, "r": regions}).fetchall()
    return {**{k: int(v) for k, v in row.items()},
            "active": sum(int(r["n"]) for r in current if r["status"] == "active"),
            "withdrawal_reasons": {r["reason"] or "unknown": int(r["n"]) for r in reasons},
            "current": {r["status"]: int(r["n"]) for r in current}}


def companies_by_region(conn: Conn, programme_id: UUID, regions: Regions) -> dict[str, dict[str, int]]:
    rows = conn.execute(
        "SELECT COALESCE(e.region, c.region, 'onbekend') AS region, count(activated_on) AS started,"
        " count(withdrawn_on) AS withdrawn, count(completed_on) AS completed"
        " FROM enrolments e LEFT JOIN companies c USING (company_id) WHERE programme_id = %(p)s"
        " AND (%(r)s::text[] IS NULL OR e.region = ANY(%(r)s)) GROUP BY 1 ORDER BY 1",
        {"p": programme_id, "r": regions}).fetchall()
    return {r["region"]: {"started": int(r["started"]), "withdrawn": int(r["withdrawn"]),
                          "completed": int(r["completed"])} for r in rows}


def company_rows(conn: Conn, programme_id: UUID, regions: Regions, company_id: UUID | None = None,
                 limit: int | None = None, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Per company: delegates, sessions attended, drop-out, follow-up adoption (the latest level)."""
    params = {"p": programme_id, "r": regions, "c": company_id, "limit": limit, "offset": offset}
    where = ("e.programme_id = %(p)s AND (%(r)s::text[] IS NULL OR e.region = ANY(%(r)s))"
             " AND (%(c)s::uuid IS NULL OR e.company_id = %(c)s)")
    rows = conn.execute(
        f"SELECT e.enrolment_id, e.company_id, c.name, COALESCE(e.region, c.region) AS region,"
        f" {ENROLMENT_STATUS_SQL} AS status, e.activated_on, e.withdrawn_on, e.withdrawal_reason, e.completed_on,"
        " (SELECT count(*) FROM delegates d WHERE d.enrolment_id = e.enrolment_id AND d.removed_on IS NULL"
        "   AND d.delegated_at IS NOT NULL) AS delegates,"
        " (SELECT count(*) FROM delegates d WHERE d.enrolment_id = e.enrolment_id AND d.removed_on IS NULL"
        "   AND d.below_management) AS delegates_below_management,"
        " (SELECT count(DISTINCT g.session_id) FROM registrations g WHERE g.company_id = e.company_id"
        "   AND g.programme_id = e.programme_id AND g.attendance = 'attended') AS sessions_attended,"
        " (SELECT count(*) FROM registrations g WHERE g.company_id = e.company_id"
        "   AND g.programme_id = e.programme_id AND g.attendance = 'attended') AS attended,"
        " (SELECT count(*) FROM registrations g WHERE g.company_id = e.company_id"
        "   AND g.programme_id = e.programme_id AND g.attendance = 'no_show') AS no_shows,"
        " (SELECT COALESCE(array_agg(DISTINCT f.activity ORDER BY f.activity), '{}') FROM follow_ups f"
        "   WHERE f.enrolment_id = e.enrolment_id) AS follow_up_activities,"
        # The level of the latest follow-up, not the highest ever recorded (services.common.adoption).
        " (SELECT f.adoption_level FROM follow_ups f WHERE f.enrolment_id = e.enrolment_id"
        f"   ORDER BY {adoption.LATEST_FIRST_SQL} LIMIT 1) AS follow_up_level"
        f" FROM enrolments e LEFT JOIN companies c USING (company_id) WHERE {where}"
        " ORDER BY c.name NULLS LAST, e.company_id LIMIT %(limit)s OFFSET %(offset)s", params).fetchall()
    total = conn.execute(f"SELECT count(*) AS n FROM enrolments e WHERE {where}", params).fetchone()
    out = []
    for r in rows:
        row = dict(r)
        level = row["follow_up_level"]  # a level this version does not know counts as none, as it always did
        row["follow_up_level"] = "unknown" if level is None else level if level in adoption.LEVELS else "none"
        for k in ("delegates", "delegates_below_management", "sessions_attended", "attended", "no_shows"):
            row[k] = int(row[k])
        row["attendance_rate"] = rate(row["attended"], row["attended"] + row["no_shows"])
        out.append(row)
    return out, int(total["n"]) if total else 0


def follow_up(companies: list[dict[str, Any]]) -> dict[str, Any]:
    """Adoption among the companies that stayed in (started and did not withdraw): "8 of 10".

    Each company counts by its latest follow-up level (`company_rows`): one that stopped is not adopted."""
    stayed = [c for c in companies if c["activated_on"] is not None and c["withdrawn_on"] is None]
    by_level: dict[str, int] = defaultdict(int)
    by_activity: dict[str, int] = defaultdict(int)
    for c in stayed:
        by_level[c["follow_up_level"]] += 1
        for activity in c["follow_up_activities"]:
            by_activity[activity] += 1
    adopted = sum(n for level, n in by_level.items() if adoption.is_adopted(level))
    return {"adopted": adopted, "of": len(stayed), "label_nl": f"{adopted} van {len(stayed)}",
            "label_en": f"{adopted} of {len(stayed)}", "rate": rate(adopted, len(stayed)),
            "by_level": dict(sorted(by_level.items())), "by_activity": dict(sorted(by_activity.items()))}


# -- sessions -------------------------------------------------------------------------------
def session_rows(conn: Conn, programme_id: UUID, regions: Regions, min_responses: int) -> list[dict[str, Any]]:
    """Every session with registrations, attendance and its evaluation (where shown), in date order."""
    rows = conn.execute(
        "WITH att AS (SELECT session_id,"
        "   count(*) FILTER (WHERE (registered_at IS NOT NULL OR promoted_at IS NOT NULL) AND cancelled_at IS NULL)"
        "     AS registrations,"
        "   count(*) FILTER (WHERE waitlisted_at IS NOT NULL AND promoted_at IS NULL AND cancelled_at IS NULL)"
        "     AS waitlisted,"
        "   count(*) FILTER (WHERE cancelled_at IS NOT NULL) AS cancellations,"
        "   count(*) FILTER (WHERE cancelled_at IS NOT NULL AND cancelled_late) AS late_cancellations,"
        "   count(*) FILTER (WHERE attendance = 'attended') AS attended,"
        "   count(*) FILTER (WHERE attendance = 'no_show') AS no_shows,"
        "   count(*) FILTER (WHERE attendance = 'excused') AS excused,"
        "   count(attendance) AS recorded"
        "   FROM registrations WHERE programme_id = %(p)s GROUP BY session_id),"
        " inv AS (SELECT session_id, count(*) AS invited FROM invitations WHERE programme_id = %(p)s"
        "   GROUP BY session_id),"
        " ev AS (SELECT session_id, count(*) AS responses, avg(score)::float AS average FROM evaluations"
        "   WHERE programme_id = %(p)s GROUP BY session_id)"
        f" SELECT s.session_id, s.type, s.region, s.format, s.starts_at, s.duration_minutes, s.capacity_min,"
        f" s.capacity_max, s.facilitator_ids, s.working_method, {STATUS_SQL} AS status,"
        " COALESCE(inv.invited, 0) AS invited, COALESCE(att.registrations, 0) AS registrations,"
        " COALESCE(att.waitlisted, 0) AS waitlisted, COALESCE(att.cancellations, 0) AS cancellations,"
        " COALESCE(att.late_cancellations, 0) AS late_cancellations,"
        # Attendance from the per-registration facts; the session's closing summary where none arrived.
        " CASE WHEN COALESCE(att.recorded, 0) > 0 THEN att.attended ELSE COALESCE(s.held_attended, 0) END AS attended,"
        " CASE WHEN COALESCE(att.recorded, 0) > 0 THEN att.no_shows ELSE COALESCE(s.held_no_shows, 0) END AS no_shows,"
        " CASE WHEN COALESCE(att.recorded, 0) > 0 THEN att.excused ELSE COALESCE(s.held_excused, 0) END AS excused,"
        " COALESCE(ev.responses, 0) AS responses, ev.average"
        " FROM sessions s LEFT JOIN att USING (session_id) LEFT JOIN inv USING (session_id)"
        " LEFT JOIN ev USING (session_id)"
        " WHERE s.programme_id = %(p)s AND (%(r)s::text[] IS NULL OR s.region = ANY(%(r)s))"
        " ORDER BY s.starts_at NULLS LAST, s.session_id", {"p": programme_id, "r": regions}).fetchall()
    out = []
    for r in rows:
        row = dict(r)
        for k in ("invited", "registrations", "waitlisted", "cancellations", "late_cancellations", "attended",
                  "no_shows", "excused", "responses"):
            row[k] = int(row[k])
        row["evaluation"] = evaluation(row.pop("responses"), row.pop("average"), min_responses)
        row["facilitator_ids"] = list(row["facilitator_ids"] or [])
        out.append(row)
    return out


def _count_by(rows: list[dict[str, Any]], *keys: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for row in rows:
        node = out
        for key in keys[:-1]:
            node = node.setdefault(row[key] or "onbekend", {})
        last = row[keys[-1]] or "onbekend"
        node[last] = node.get(last, 0) + 1
    return out


def session_figures(sessions: list[dict[str, Any]]) -> dict[str, Any]:
    held = [s for s in sessions if s["status"] == "held"]
    return {
        "held_total": len(held),
        "held_by_type": _count_by(held, "type"),
        "held_by_region": _count_by(held, "region"),
        "held_by_type_and_region": _count_by(held, "type", "region"),
        "by_status": _count_by(sessions, "status"),
        "by_format": _count_by(held, "format"),
        "by_type": _count_by(sessions, "type"),
    }


def participants_per_session(sessions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Group sizes (attended) of held sessions, per session type."""
    sizes: dict[str, list[int]] = defaultdict(list)
    for s in sessions:
        if s["status"] == "held":
            sizes[s["type"] or "onbekend"].append(s["attended"])
    return {t: {"sessions": len(v), "participants": sum(v), "average": round(sum(v) / len(v), 1),
                "min": min(v), "max": max(v)} for t, v in sorted(sizes.items())}


def attendance(sessions: list[dict[str, Any]]) -> dict[str, Any]:
    held = [s for s in sessions if s["status"] == "held"]
    attended = sum(s["attended"] for s in held)
    no_shows = sum(s["no_shows"] for s in held)
    return {"registrations": sum(s["registrations"] for s in held), "attended": attended, "no_shows": no_shows,
            "excused": sum(s["excused"] for s in held), "cancellations": sum(s["cancellations"] for s in sessions),
            "late_cancellations": sum(s["late_cancellations"] for s in sessions),
            "attendance_rate": rate(attended, attended + no_shows)}


def attendance_trend(sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per month of held sessions: sessions, attended, no-shows, rate and average group size."""
    months: dict[str, dict[str, int]] = defaultdict(lambda: {"sessions": 0, "attended": 0, "no_shows": 0})
    for s in sessions:
        if s["status"] != "held" or s["starts_at"] is None:
            continue
        month = months[s["starts_at"].strftime("%Y-%m")]
        month["sessions"] += 1
        month["attended"] += s["attended"]
        month["no_shows"] += s["no_shows"]
    return [{"month": m, **v, "attendance_rate": rate(v["attended"], v["attended"] + v["no_shows"]),
             "average_group_size": round(v["attended"] / v["sessions"], 1)} for m, v in sorted(months.items())]


# -- evaluations ----------------------------------------------------------------------------
def evaluations(conn: Conn, programme_id: UUID, regions: Regions, min_responses: int,
                sessions: list[dict[str, Any]]) -> dict[str, Any]:
    params = {"p": programme_id, "r": regions}
    where = "WHERE v.programme_id = %(p)s AND (%(r)s::text[] IS NULL OR s.region = ANY(%(r)s))"
    scope = f"FROM evaluations v LEFT JOIN sessions s ON s.session_id = v.session_id {where}"
    per_facilitator = ("FROM evaluations v CROSS JOIN LATERAL unnest(v.facilitator_ids) AS f"
                       f" LEFT JOIN sessions s ON s.session_id = v.session_id {where}")
    whole = conn.execute(f"SELECT count(*) AS n, avg(v.score)::float AS a {scope}", params).fetchone()
    assert whole is not None
    by_type = conn.execute(f"SELECT COALESCE(s.type, 'onbekend') AS k, count(*) AS n, avg(v.score)::float AS a"
                           f" {scope} GROUP BY 1 ORDER BY 1", params).fetchall()
    by_facilitator = conn.execute(
        f"SELECT f AS k, count(*) AS n, avg(v.score)::float AS a {per_facilitator} GROUP BY 1 ORDER BY 1",
        params).fetchall()
    return {
        "min_responses": min_responses,
        "programme": evaluation(int(whole["n"]), whole["a"], min_responses),
        "by_type": {r["k"]: evaluation(int(r["n"]), r["a"], min_responses) for r in by_type},
        "by_facilitator": {r["k"]: evaluation(int(r["n"]), r["a"], min_responses) for r in by_facilitator},
        "by_session": {str(s["session_id"]): s["evaluation"] for s in sessions},
    }


def delegates(conn: Conn, programme_id: UUID, regions: Regions) -> dict[str, int]:
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE d.delegated_at IS NOT NULL) AS delegated,"
        " count(*) FILTER (WHERE d.removed_on IS NULL AND d.delegated_at IS NOT NULL) AS current,"
        " count(*) FILTER (WHERE d.removed_on IS NULL AND d.below_management) AS below_management"
        " FROM delegates d JOIN enrolments e USING (enrolment_id) WHERE d.programme_id = %(p)s"
        " AND (%(r)s::text[] IS NULL OR e.region = ANY(%(r)s))", {"p": programme_id, "r": regions}).fetchone()
    assert row is not None
    return {k: int(v) for k, v in row.items()}


# -- the final report -----------------------------------------------------------------------
def final_report(conn: Conn, programme_id: UUID, regions: Regions, min_responses: int) -> dict[str, Any] | None:
    """Everything the final report gives, as plain data (rendered to HTML, CSV and XLSX elsewhere)."""
    prog = programme(conn, programme_id)
    if prog is None:
        return None
    sessions = session_rows(conn, programme_id, regions, min_responses)
    companies, _ = company_rows(conn, programme_id, regions)
    counts = funnel(conn, programme_id, regions)
    return {
        "programme": prog,
        "scope": {"regions": sorted(regions) if regions is not None else None},
        "companies": {"started": counts["started"], "withdrawn": counts["withdrawn"],
                      "completed": counts["completed"], "by_region": companies_by_region(conn, programme_id, regions)},
        "funnel": counts,
        "delegates": delegates(conn, programme_id, regions),
        "sessions": session_figures(sessions),
        "participants_per_session": participants_per_session(sessions),
        "attendance": attendance(sessions),
        "attendance_trend": attendance_trend(sessions),
        "follow_up": follow_up(companies),
        "evaluations": evaluations(conn, programme_id, regions, min_responses, sessions),
        "session_list": sessions,
    }


def company_report(conn: Conn, programme_id: UUID, company_id: UUID, min_responses: int) -> dict[str, Any] | None:
    """One company's participation, for its director."""
    rows, _ = company_rows(conn, programme_id, None, company_id=company_id)
    if not rows:
        return None
    prog = programme(conn, programme_id)
    sessions = conn.execute(
        f"SELECT s.session_id, s.type, s.region, s.starts_at, {STATUS_SQL} AS status,"
        " count(*) FILTER (WHERE g.attendance = 'attended') AS attended,"
        " count(*) FILTER (WHERE g.attendance = 'no_show') AS no_shows,"
        " count(*) FILTER (WHERE g.attendance = 'excused') AS excused,"
        " count(*) FILTER (WHERE (g.registered_at IS NOT NULL OR g.promoted_at IS NOT NULL)"
        "   AND g.cancelled_at IS NULL) AS registered"
        " FROM registrations g JOIN sessions s USING (session_id)"
        " WHERE g.company_id = %s AND g.programme_id = %s GROUP BY s.session_id"
        " ORDER BY s.starts_at NULLS LAST, s.session_id", (company_id, programme_id)).fetchall()
    follow_ups = conn.execute(
        "SELECT activity, occurred_on, adoption_level FROM follow_ups WHERE company_id = %s AND programme_id = %s"
        " ORDER BY occurred_on, recorded_at NULLS FIRST, follow_up_id", (company_id, programme_id)).fetchall()
    return {"programme": prog, "company": rows[0],
            "sessions": [{**r, **{k: int(r[k]) for k in ("attended", "no_shows", "excused", "registered")}}
                         for r in sessions],
            "follow_ups": follow_ups, "min_responses": min_responses}


def plain(value: Any) -> Any:
    """JSON-friendly copy: UUIDs and dates as strings (RFC 3339 for times)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
