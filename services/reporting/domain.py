"""Reporting's rules, no I/O: what a stored row means as a figure.

Which averages may be shown (nobody identifiable), how rates round, which companies count for
adoption (by their latest follow-up level, `services.common.adoption`), how sessions are counted
by type, region and month, and how values become JSON. `figures` reads the rows (`db.figures`)
and applies these.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from uuid import UUID

from services.common import adoption

Row = dict[str, Any]
SESSION_TYPES = ("kick_off", "dialogue", "intervision", "workshop", "closing")
SESSION_COUNTS = ("invited", "registrations", "waitlisted", "cancellations", "late_cancellations", "attended",
                  "no_shows", "excused", "responses")
COMPANY_COUNTS = ("delegates", "delegates_below_management", "sessions_attended", "attended", "no_shows")
PROGRAMME_FIELDS = ("programme_id", "name", "fund", "theme", "period_start", "period_end", "regions",
                    "planned_sessions", "closed_on")


def evaluation(responses: int, average: float | None, min_responses: int) -> Row:
    """An average only where at least `min_responses` scores exist (nobody identifiable)."""
    shown = responses >= min_responses and average is not None
    return {"responses": responses, "average": round(float(average), 2) if shown and average is not None else None,
            "shown": shown}


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


# -- programme ------------------------------------------------------------------------------
def programme(row: Row) -> Row:
    return {k: row[k] for k in PROGRAMME_FIELDS}


def unknown_programme(programme_id: UUID) -> Row:
    """A programme known only from its enrolments or sessions (its snapshot has not arrived)."""
    return {"programme_id": programme_id, "name": None, "fund": None, "theme": None, "period_start": None,
            "period_end": None, "regions": [], "planned_sessions": {}, "closed_on": None}


# -- companies ------------------------------------------------------------------------------
def funnel(counts: Row, reasons: list[Row], by_status: list[Row]) -> Row:
    return {**{k: int(v) for k, v in counts.items()},
            "active": sum(int(r["n"]) for r in by_status if r["status"] == "active"),
            "withdrawal_reasons": {r["reason"] or "unknown": int(r["n"]) for r in reasons},
            "current": {r["status"]: int(r["n"]) for r in by_status}}


def companies_by_region(rows: list[Row]) -> dict[str, dict[str, int]]:
    return {r["region"]: {"started": int(r["started"]), "withdrawn": int(r["withdrawn"]),
                          "completed": int(r["completed"])} for r in rows}


def company(stored: Row) -> Row:
    """A company's row as a figure: counts as ints, its attendance rate, its latest follow-up level."""
    row = dict(stored)
    row["follow_up_level"] = company_level(row["follow_up_level"])
    for k in COMPANY_COUNTS:
        row[k] = int(row[k])
    row["attendance_rate"] = rate(row["attended"], row["attended"] + row["no_shows"])
    return row


def follow_up(companies: list[Row]) -> Row:
    """Adoption among the companies that stayed in (started and did not withdraw): "8 of 10".

    Each company counts by its latest follow-up level (`company`): one that stopped is not adopted."""
    stayed = [c for c in companies if c["activated_on"] is not None and c["withdrawn_on"] is None]
    by_level: dict[str, int] = defaultdict(int)
    by_activity: dict[str, int] = defaultdict(int)
    for c in stayed:
        by_level[c["follow_up_level"]] += 1
        for activity in c["follow_up_activities"]:
            by_activity[activity] += 1
    return _adoption(by_level, by_activity)


def follow_up_counts(levels: list[Row], activities: list[Row]) -> Row:
    """`follow_up` from counts: the companies that stayed in per latest level as stored (None: no follow-up;
    `db.figures.follow_up_levels`) and per activity."""
    by_level: dict[str, int] = defaultdict(int)
    for row in levels:
        by_level[company_level(row["level"])] += int(row["n"])
    return _adoption(by_level, {r["activity"]: int(r["n"]) for r in activities})


def _adoption(by_level: dict[str, int], by_activity: dict[str, int]) -> Row:
    stayed = sum(by_level.values())
    adopted = sum(n for level, n in by_level.items() if adoption.is_adopted(level))
    return {"adopted": adopted, "of": stayed, "label_nl": f"{adopted} van {stayed}",
            "label_en": f"{adopted} of {stayed}", "rate": rate(adopted, stayed),
            "by_level": dict(sorted(by_level.items())), "by_activity": dict(sorted(by_activity.items()))}


def company_level(level: str | None) -> str:
    """A company's latest follow-up level as a figure: none recorded is "unknown", one this version does not
    know counts as none (as it always did)."""
    return "unknown" if level is None else level if level in adoption.LEVELS else "none"


# -- sessions -------------------------------------------------------------------------------
def session(stored: Row, min_responses: int) -> Row:
    """A session's row as a figure, in plain JSON values (ids and times as text): counts as ints, its evaluation
    shown only from `min_responses` on."""
    row = dict(stored)
    for k in SESSION_COUNTS:
        row[k] = int(row[k])
    row["session_id"] = str(row["session_id"])
    row["starts_at"] = row["starts_at"].isoformat() if row["starts_at"] is not None else None
    row["evaluation"] = evaluation(row.pop("responses"), row.pop("average"), min_responses)
    row["facilitator_ids"] = [str(f) for f in row["facilitator_ids"] or ()]
    return row


# Sessions grouped by these keys (`session_cells`, or in SQL `db.figures.session_cells`): each cell has how many
# sessions, the sums of CELL_SUMS and the smallest and largest attendance; every session figure follows from them.
SESSION_CELL = ("status", "type", "region", "format", "month")
CELL_SUMS = ("registrations", "cancellations", "late_cancellations", "attended", "no_shows", "excused")


def session_cells(sessions: list[Row]) -> list[Row]:
    """The stored session rows (`db.figures.session_rows`) grouped as `db.figures.session_cells` groups them."""
    cells: dict[tuple[Any, ...], Row] = {}
    for s in sessions:
        starts_at = s["starts_at"]  # its month as to_char(starts_at, 'YYYY-MM') gives it (strftime is slower)
        key = (s["status"], s["type"], s["region"], s["format"],
               f"{starts_at.year:04d}-{starts_at.month:02d}" if starts_at is not None else None)
        attended = int(s["attended"])
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = {**dict(zip(SESSION_CELL, key, strict=True)), "sessions": 0,
                                 **dict.fromkeys(CELL_SUMS, 0), "min_attended": attended, "max_attended": attended}
        cell["sessions"] += 1
        for k in CELL_SUMS:
            cell[k] += int(s[k])
        cell["min_attended"] = min(cell["min_attended"], attended)
        cell["max_attended"] = max(cell["max_attended"], attended)
    return list(cells.values())


def _held(cells: list[Row]) -> list[Row]:
    return [c for c in cells if c["status"] == "held"]


def count_by(cells: list[Row], *keys: str) -> Row:
    """Nested counts of sessions by `keys`, each level in key order (an unknown value counts as "onbekend")."""
    out: Row = {}
    for cell in cells:
        node = out
        for key in keys[:-1]:
            node = node.setdefault(cell[key] or "onbekend", {})
        last = cell[keys[-1]] or "onbekend"
        node[last] = node.get(last, 0) + int(cell["sessions"])
    return _sorted(out)


def _sorted(node: Row) -> Row:
    return {k: _sorted(v) if isinstance(v, dict) else v for k, v in sorted(node.items())}


def session_figures(cells: list[Row]) -> Row:
    held = _held(cells)
    return {
        "held_total": sum(int(c["sessions"]) for c in held),
        "held_by_type": count_by(held, "type"),
        "held_by_region": count_by(held, "region"),
        "held_by_type_and_region": count_by(held, "type", "region"),
        "by_status": count_by(cells, "status"),
        "by_format": count_by(held, "format"),
        "by_type": count_by(cells, "type"),
    }


def participants_per_session(cells: list[Row]) -> dict[str, Row]:
    """Group sizes (attended) of held sessions, per session type."""
    sizes: dict[str, Row] = {}
    for c in _held(cells):
        size = sizes.setdefault(c["type"] or "onbekend", {"sessions": 0, "participants": 0, "min": None, "max": None})
        size["sessions"] += int(c["sessions"])
        size["participants"] += int(c["attended"])
        size["min"] = int(c["min_attended"]) if size["min"] is None else min(size["min"], int(c["min_attended"]))
        size["max"] = int(c["max_attended"]) if size["max"] is None else max(size["max"], int(c["max_attended"]))
    return {t: {"sessions": v["sessions"], "participants": v["participants"],
                "average": round(v["participants"] / v["sessions"], 1), "min": v["min"], "max": v["max"]}
            for t, v in sorted(sizes.items())}


def attendance(cells: list[Row]) -> Row:
    held = _held(cells)
    attended = sum(int(c["attended"]) for c in held)
    no_shows = sum(int(c["no_shows"]) for c in held)
    return {"registrations": sum(int(c["registrations"]) for c in held), "attended": attended, "no_shows": no_shows,
            "excused": sum(int(c["excused"]) for c in held),
            "cancellations": sum(int(c["cancellations"]) for c in cells),
            "late_cancellations": sum(int(c["late_cancellations"]) for c in cells),
            "attendance_rate": rate(attended, attended + no_shows)}


def attendance_trend(cells: list[Row]) -> list[Row]:
    """Per month of held sessions: sessions, attended, no-shows, rate and average group size."""
    months: dict[str, dict[str, int]] = defaultdict(lambda: {"sessions": 0, "attended": 0, "no_shows": 0})
    for c in _held(cells):
        if c["month"] is None:
            continue
        month = months[c["month"]]
        for k in ("sessions", "attended", "no_shows"):
            month[k] += int(c[k])
    return [{"month": m, **v, "attendance_rate": rate(v["attended"], v["attended"] + v["no_shows"]),
             "average_group_size": round(v["attended"] / v["sessions"], 1)} for m, v in sorted(months.items())]


# -- evaluations ----------------------------------------------------------------------------
def evaluations(whole: Row, by_type: list[Row], by_facilitator: list[Row], sessions: list[Row],
                min_responses: int) -> Row:
    """The evaluation figures from counts (n) and averages (a), each shown only from `min_responses` on."""
    return {
        "min_responses": min_responses,
        "programme": evaluation(int(whole["n"]), whole["a"], min_responses),
        "by_type": {r["k"]: evaluation(int(r["n"]), r["a"], min_responses) for r in by_type},
        "by_facilitator": {r["k"]: evaluation(int(r["n"]), r["a"], min_responses) for r in by_facilitator},
        "by_session": {s["session_id"]: s["evaluation"] for s in sessions},
    }


def company_session(stored: Row) -> Row:
    return {**stored, **{k: int(stored[k]) for k in ("attended", "no_shows", "excused", "registered")}}


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
