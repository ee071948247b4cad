"""The dashboard and the final report page (with print, CSV and XLSX), per programme and within the reader's
regions; the downloads are the API's exports of the very report the page shows."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, abort, current_app, request

from services.common.auth import Principal
from services.common.pages import render_page
from services.common.signin import require_page_roles
from services.reporting import exports
from services.reporting.access import READERS, report_for, scope
from services.reporting.pages.charts import dashboard_charts
from services.reporting.pages.common import (
    ADOPTION,
    FORMATS,
    FUNNEL_LABELS,
    REASONS,
    SESSION_STATUS,
    TYPE_LABELS,
    label,
    month_label,
    principal,
    service,
)

blueprint = Blueprint("report_pages", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_PROGRAMMES = 100  # the choice list; a fund runs a handful of programmes a year
# The final report page's session table, a page at a time: a national programme has 20,000 sessions (a 10 MB
# page, bench/national.py); a usual one fits on one page, and CSV and XLSX always hold them all.
SESSIONS_PER_PAGE = 200


def _programmes() -> list[dict[str, Any]]:
    rows, _total = service().programmes(MAX_PROGRAMMES, 0)
    return rows


def _chosen(programmes: list[dict[str, Any]]) -> uuid.UUID | None:
    """The programme asked for (?programme=), else the latest one."""
    raw = request.args.get("programme", "").strip()
    if raw:
        try:
            return uuid.UUID(raw)
        except ValueError:
            abort(404)
    return uuid.UUID(str(programmes[-1]["programme_id"])) if programmes else None


def _reader() -> tuple[Principal, list[str] | None, list[str] | None]:
    """Who reads, the regions asked for and the regions they get (the API's rules; 403 outside a coordinator's)."""
    who = principal()
    wanted = [r for r in request.args.getlist("region") if r.strip()] or None
    return who, wanted, scope(who, wanted)


def _report(programme_id: uuid.UUID) -> tuple[dict[str, Any], list[str] | None]:
    """The whole final report as this reader may see it: the downloads."""
    who, wanted, regions = _reader()
    report = service().final_report(programme_id, regions)
    if report is None:
        abort(404)
    return report_for(who, report, current_app.config["SETTINGS"].reporting_pseudonym_secret), wanted


def _page(template: str, per_page: int) -> Response:
    """The dashboard (per_page 0) or the report page: the report's figures read grouped, and only the page of its
    session table asked for (?sessions_page=), never the whole session list."""
    programmes = _programmes()
    chosen = _chosen(programmes)
    if chosen is None:
        return render_page(template, report=None, programmes=[], **_labels())
    who, wanted, scoped = _reader()
    try:
        asked = int(request.args.get("sessions_page", "1"))
    except ValueError:
        asked = 1
    summary = service().report_summary(chosen, scoped, asked, per_page)
    if summary is None:
        abort(404)
    report = report_for(who, summary, current_app.config["SETTINGS"].reporting_pseudonym_secret)
    regions = report["programme"].get("regions") or sorted(report["companies"]["by_region"])
    if not who.has("fund_admin", "reporting_consumer"):
        regions = [r for r in regions if r in who.regions]
    paged = summary["session_page"]
    return render_page(template, report=report, programmes=[(str(p["programme_id"]), p["name"] or
                                                             str(p["programme_id"])) for p in programmes],
                       chosen=str(chosen), regions=[(r, r) for r in regions], wanted=wanted[0] if wanted else None,
                       charts=dashboard_charts(report), session_rows=report["session_list"],
                       session_page=paged["page"], session_pages=paged["pages"], session_first=paged["first"],
                       session_total=paged["total"], **_labels())


def _labels() -> dict[str, Any]:
    return {"type_label": lambda k: label(TYPE_LABELS, k), "funnel_label": lambda k: label(FUNNEL_LABELS, k),
            "status_label": lambda k: label(SESSION_STATUS, k), "reason_label": lambda k: label(REASONS, k),
            "adoption_label": lambda k: label(ADOPTION, k), "format_label": lambda k: label(FORMATS, k),
            "month_label": month_label}


@blueprint.get("/dashboard")
@require_page_roles(*READERS)  # as GET /api/v1/programmes/{id}/final-report
def dashboard() -> Response:
    return _page("pages/dashboard.html.j2", 0)


@blueprint.get("/final-report")
@require_page_roles(*READERS)
def final_report() -> Response:
    return _page("pages/final_report.html.j2", SESSIONS_PER_PAGE)


@blueprint.get("/final-report/<uuid:programme_id>.<any(csv, xlsx):fmt>")
@require_page_roles(*READERS)  # as GET /api/v1/programmes/{id}/final-report?format=csv|xlsx
def download(programme_id: uuid.UUID, fmt: str) -> Response:
    report, _wanted = _report(programme_id)
    name = f"slotrapportage-{programme_id}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response(exports.to_csv(report), mimetype="text/csv", headers=headers)
    return Response(exports.to_xlsx(report), mimetype=XLSX, headers=headers)


def company_report_page(report: dict[str, Any]) -> Response:
    """The company report a director opens through a signed link, in the shared layout (no sign-in needed)."""
    return render_page("pages/company_report.html.j2", report=report, **_labels())
