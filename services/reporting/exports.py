"""The final report in every format: a printable HTML page with charts, CSV and XLSX.

All three are rendered from the same JSON report (figures.final_report), so
they can never disagree. Labels are Dutch first, English second.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from services.common import session_types
from services.reporting.charts import PALETTE, bar_chart

TEMPLATES = Path(__file__).resolve().parent / "templates"
TYPE_NL = {**session_types.TYPE_NL, "onbekend": session_types.UNKNOWN[0]}
STATUS_NL = {"held": "gehouden", "cancelled": "geannuleerd", "planned": "gepland", "confirmed": "bevestigd"}
ADOPTION_NL = {"structural": "structureel / structural", "occasional": "af en toe / occasionally",
               "none": "niet / not", "unknown": "niet vastgelegd / not recorded"}


@cache
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    env.globals.update(TYPE_NL=TYPE_NL, STATUS_NL=STATUS_NL, ADOPTION_NL=ADOPTION_NL)
    env.filters["nl"] = lambda v: "–" if v is None else (f"{v:.2f}".replace(".", ",") if isinstance(v, float)
                                                          else str(v))
    env.filters["pct"] = lambda v: "–" if v is None else f"{round(v * 100)}%"
    return env


def rows(report: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """The report as (section, figure, breakdown, value) rows: CSV and the XLSX summary sheet."""
    out: list[tuple[str, str, str, Any]] = []
    companies = report["companies"]
    for key in ("started", "withdrawn", "completed"):
        out.append(("bedrijven / companies", key, "totaal", companies[key]))
        for region, values in companies["by_region"].items():
            out.append(("bedrijven / companies", key, region, values[key]))
    funnel = report["funnel"]
    for key in ("interested", "intake_held", "admitted", "declined", "started", "withdrawn", "completed"):
        out.append(("trechter / funnel", key, "totaal", funnel[key]))
    for reason, n in funnel["withdrawal_reasons"].items():
        out.append(("trechter / funnel", "withdrawal_reason", reason, n))
    sessions = report["sessions"]
    out.append(("sessies / sessions", "held", "totaal", sessions["held_total"]))
    for kind, regions in sessions["held_by_type_and_region"].items():
        for region, n in regions.items():
            out.append(("sessies / sessions", f"held {kind}", region, n))
    for kind, values in report["participants_per_session"].items():
        for key in ("sessions", "participants", "average", "min", "max"):
            out.append(("deelnemers per sessie / participants per session", kind, key, values[key]))
    for key, value in report["attendance"].items():
        out.append(("aanwezigheid / attendance", key, "totaal", value))
    for month in report["attendance_trend"]:
        for key in ("sessions", "attended", "no_shows", "attendance_rate", "average_group_size"):
            out.append(("aanwezigheid per maand / attendance by month", key, month["month"], month[key]))
    follow = report["follow_up"]
    out.append(("borging / follow-up", "adopted", f"of {follow['of']}", follow["adopted"]))
    for level, n in follow["by_level"].items():
        out.append(("borging / follow-up", "level", level, n))
    evaluations = report["evaluations"]
    out.append(("evaluatie / evaluation", "programme average", f"n={evaluations['programme']['responses']}",
                evaluations["programme"]["average"]))
    for kind, value in evaluations["by_type"].items():
        out.append(("evaluatie / evaluation", f"average {kind}", f"n={value['responses']}", value["average"]))
    for facilitator, value in evaluations["by_facilitator"].items():
        out.append(("evaluatie / evaluation", f"average facilitator {facilitator}", f"n={value['responses']}",
                    value["average"]))
    return out


SESSION_COLUMNS = ("session_id", "type", "region", "format", "starts_at", "status", "invited", "registrations",
                   "attended", "no_shows", "excused", "cancellations", "late_cancellations")


def to_csv(report: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "figure", "breakdown", "value"])
    writer.writerows(rows(report))
    writer.writerow([])
    writer.writerow([*SESSION_COLUMNS, "evaluation_responses", "evaluation_average"])
    for s in report["session_list"]:
        writer.writerow([*(s[c] for c in SESSION_COLUMNS), s["evaluation"]["responses"], s["evaluation"]["average"]])
    return buffer.getvalue()


def _cells(values: Iterable[Any]) -> list[Any]:
    """XLSX (XML 1.0) cannot hold control characters; JSON, CSV and HTML keep the text as it came,
    the spreadsheet drops what it cannot store instead of failing (names are refused with them at input)."""
    return [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values]


def to_xlsx(report: dict[str, Any]) -> bytes:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Samenvatting"
    summary.append(_cells(["Slotrapportage / Final report", report["programme"].get("name") or ""]))
    summary["A1"].font = Font(bold=True)
    summary.append(["section", "figure", "breakdown", "value"])
    for row in rows(report):
        summary.append(_cells(row))
    sessions = book.create_sheet("Sessies")
    sessions.append([*SESSION_COLUMNS, "evaluation_responses", "evaluation_average"])
    for s in report["session_list"]:
        sessions.append(_cells([*(s[c] for c in SESSION_COLUMNS), s["evaluation"]["responses"],
                                s["evaluation"]["average"]]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def charts(report: dict[str, Any]) -> dict[str, str]:
    held = report["sessions"]["held_by_type_and_region"]
    per_type = report["participants_per_session"]
    return {
        "sessions": bar_chart("Gehouden sessies per type en regio / sessions held by type and region",
                              [(f"{TYPE_NL.get(t, t)} {r}", n) for t, regions in held.items()
                               for r, n in regions.items()]),
        "companies": bar_chart("Bedrijven / companies",
                               [("gestart / started", report["companies"]["started"]),
                                ("gestopt / withdrawn", report["companies"]["withdrawn"]),
                                ("afgerond / completed", report["companies"]["completed"])], colour=PALETTE[1]),
        "participants": bar_chart("Gemiddeld aantal deelnemers per sessie / average participants per session",
                                  [(TYPE_NL.get(t, t), v["average"]) for t, v in per_type.items()],
                                  colour=PALETTE[2]),
        "trend": bar_chart("Aanwezigheid per maand / attendance by month (%)",
                           [(m["month"], round((m["attendance_rate"] or 0) * 100)) for m in report["attendance_trend"]],
                           unit="%", colour=PALETTE[3]),
        "group_sizes": bar_chart("Deelnemers per sessie in de tijd / participants per session over time",
                                 [(f"{(s['starts_at'] or '')[:10]} {TYPE_NL.get(s['type'] or 'onbekend', '')[:6]}",
                                   s["attended"]) for s in report["session_list"] if s["status"] == "held"],
                                 colour=PALETTE[0]),
    }


def session_table(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The HTML's session table as the template shows each row (date, type, region, status, registered,
    attended, no-shows, score): one tuple per session, so the template does no lookups per cell."""
    nl = _env().filters["nl"]
    return [((s["starts_at"] or "")[:10], TYPE_NL.get(s["type"] or "onbekend", s["type"]), s["region"] or "",
             STATUS_NL.get(s["status"], s["status"]), s["registrations"], s["attended"], s["no_shows"],
             nl(s["evaluation"]["average"])) for s in report["session_list"]]


def to_html(report: dict[str, Any]) -> str:
    return _env().get_template("final_report.html.j2").render(report=report, charts=charts(report),
                                                              session_table=session_table(report))


def company_html(report: dict[str, Any]) -> str:
    return _env().get_template("company_report.html.j2").render(report=report)
