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
    level = row["follow_up_level"]  # a level this version does not know counts as none, as it always did
    row["follow_up_level"] = "unknown" if level is None else level if level in adoption.LEVELS else "none"
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
    adopted = sum(n for level, n in by_level.items() if adoption.is_adopted(level))
    return {"adopted": adopted, "of": len(stayed), "label_nl": f"{adopted} van {len(stayed)}",
            "label_en": f"{adopted} of {len(stayed)}", "rate": rate(adopted, len(stayed)),
            "by_level": dict(sorted(by_level.items())), "by_activity": dict(sorted(by_activity.items()))}


# -- sessions -------------------------------------------------------------------------------
def session(stored: Row, min_responses: int) -> Row:
    """A session's row as a figure: counts as ints, its evaluation shown only from `min_responses` on."""
    row = dict(stored)
    for k in SESSION_COUNTS:
        row[k] = int(row[k])
    row["evaluation"] = evaluation(row.pop("responses"), row.pop("average"), min_responses)
    row["facilitator_ids"] = list(row["facilitator_ids"] or [])
    return row


def count_by(rows: list[Row], *keys: str) -> Row:
    """Nested counts by `keys` (an unknown value counts as "onbekend")."""
    out: Row = {}
    for row in rows:
        node = out
        for key in keys[:-1]:
            node = node.setdefault(row[key] or "onbekend", {})
        last = row[keys[-1]] or "onbekend"
        node[last] = node.get(last, 0) + 1
    return out


def session_figures(sessions: list[Row]) -> Row:
    held = [s for s in sessions if s["status"] == "held"]
    return {
        "held_total": len(held),
        "held_by_type": count_by(held, "type"),
        "held_by_region": count_by(held, "region"),
        "held_by_type_and_region": count_by(held, "type", "region"),
        "by_status": count_by(sessions, "status"),
        "by_format": count_by(held, "format"),
        "by_type": count_by(sessions, "type"),
    }


def participants_per_session(sessions: list[Row]) -> dict[str, Row]:
    """Group sizes (attended) of held sessions, per session type."""
    sizes: dict[str, list[int]] = defaultdict(list)
    for s in sessions:
        if s["status"] == "held":
            sizes[s["type"] or "onbekend"].append(s["attended"])
    return {t: {"sessions": len(v), "participants": sum(v), "average": round(sum(v) / len(v), 1),
                "min": min(v), "max": max(v)} for t, v in sorted(sizes.items())}


def attendance(sessions: list[Row]) -> Row:
    held = [s for s in sessions if s["status"] == "held"]
    attended = sum(s["attended"] for s in held)
    no_shows = sum(s["no_shows"] for s in held)
    return {"registrations": sum(s["registrations"] for s in held), "attended": attended, "no_shows": no_shows,
            "excused": sum(s["excused"] for s in held), "cancellations": sum(s["cancellations"] for s in sessions),
            "late_cancellations": sum(s["late_cancellations"] for s in sessions),
            "attendance_rate": rate(attended, attended + no_shows)}


def attendance_trend(sessions: list[Row]) -> list[Row]:
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
def evaluations(whole: Row, by_type: list[Row], by_facilitator: list[Row], sessions: list[Row],
                min_responses: int) -> Row:
    """The evaluation figures from counts (n) and averages (a), each shown only from `min_responses` on."""
    return {
        "min_responses": min_responses,
        "programme": evaluation(int(whole["n"]), whole["a"], min_responses),
        "by_type": {r["k"]: evaluation(int(r["n"]), r["a"], min_responses) for r in by_type},
        "by_facilitator": {r["k"]: evaluation(int(r["n"]), r["a"], min_responses) for r in by_facilitator},
        "by_session": {str(s["session_id"]): s["evaluation"] for s in sessions},
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
