"""The programme's figures and the final report ("slotrapportage"): the rows `db.figures` reads from the
projections, made figures by the rules in `domain`.

Every figure is a query over fact tables at read time, so it is the same
whatever order the events arrived in. `regions` limits the figures to
those regions (coordinators); None means every region.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.reporting import domain
from services.reporting.db import figures as figures_db
from services.reporting.db.projections import Conn

Row = dict[str, Any]
Regions = list[str] | None
plain = domain.plain


def programmes(conn: Conn, limit: int, offset: int) -> tuple[list[Row], int]:
    return figures_db.programmes(conn, limit, offset)


def programme(conn: Conn, programme_id: UUID) -> Row | None:
    """The programme, or None when reporting has never heard of it (not even from a session)."""
    row = figures_db.programme(conn, programme_id)
    if row is not None:
        return domain.programme(row)
    return domain.unknown_programme(programme_id) if figures_db.programme_seen(conn, programme_id) else None


def funnel(conn: Conn, programme_id: UUID, regions: Regions) -> Row:
    return domain.funnel(figures_db.funnel_counts(conn, programme_id, regions),
                         figures_db.withdrawal_reasons(conn, programme_id, regions),
                         figures_db.enrolments_by_status(conn, programme_id, regions))


def company_rows(conn: Conn, programme_id: UUID, regions: Regions, company_id: UUID | None = None,
                 limit: int | None = None, offset: int = 0) -> tuple[list[Row], int]:
    """Per company: delegates, sessions attended, drop-out, follow-up adoption (the latest level)."""
    rows, total = figures_db.company_rows(conn, programme_id, regions, company_id, limit, offset)
    return [domain.company(r) for r in rows], total


def session_rows(conn: Conn, programme_id: UUID, regions: Regions, min_responses: int) -> list[Row]:
    """Every session with registrations, attendance and its evaluation (where shown), in date order."""
    return [domain.session(r, min_responses) for r in figures_db.session_rows(conn, programme_id, regions)]


def final_report(conn: Conn, programme_id: UUID, regions: Regions, min_responses: int) -> Row | None:
    """Everything the final report gives, as plain JSON values (rendered to HTML, CSV and XLSX elsewhere).

    One pass over the sessions' facts gives the session list, and the session figures are grouped from it in
    Python as `report_summary` groups them in SQL (the same rules, `domain.session_cells`)."""
    prog = programme(conn, programme_id)
    if prog is None:
        return None
    stored = figures_db.session_rows(conn, programme_id, regions)
    sessions = [domain.session(r, min_responses) for r in stored]
    return _report(conn, prog, regions, min_responses, domain.session_cells(stored), sessions)


def report_summary(conn: Conn, programme_id: UUID, regions: Regions, min_responses: int, page: int,
                   per_page: int) -> Row | None:
    """The final report's figures as `final_report` gives them, read as grouped rows (a few hundred whatever the
    programme's size), with only one page of its session list: `page` of `per_page` (out of range: the nearest;
    `per_page` 0: none), said in `session_page`. What the dashboard and the report page show; what they do not
    show is left out: the delegates' counts and the per-facilitator averages (`by_facilitator` is empty)."""
    prog = programme(conn, programme_id)
    if prog is None:
        return None
    cells = figures_db.session_cells(conn, programme_id, regions)
    total = sum(int(c["sessions"]) for c in cells)
    pages = max(1, -(-total // per_page)) if per_page else 1
    page = min(max(page, 1), pages)
    first = (page - 1) * per_page
    stored = figures_db.session_page(conn, programme_id, regions, per_page, first) if per_page else []
    report = _report(conn, prog, regions, min_responses, cells, [domain.session(r, min_responses) for r in stored],
                     whole=False)
    report["session_page"] = {"page": page, "pages": pages, "first": first + 1, "total": total}
    return report


def _report(conn: Conn, prog: Row, regions: Regions, min_responses: int, cells: list[Row],
            sessions: list[Row], whole: bool = True) -> Row:
    programme_id = prog["programme_id"]
    delegates = figures_db.delegate_counts(conn, programme_id, regions) if whole else None
    counts = funnel(conn, programme_id, regions)
    by_region = domain.companies_by_region(figures_db.companies_by_region(conn, programme_id, regions))
    report: Row = plain({
        "programme": prog,
        "scope": {"regions": sorted(regions) if regions is not None else None},
        "companies": {"started": counts["started"], "withdrawn": counts["withdrawn"],
                      "completed": counts["completed"], "by_region": by_region},
        "funnel": counts,
        "delegates": {k: int(v) for k, v in delegates.items()} if delegates is not None else None,
        "sessions": domain.session_figures(cells),
        "participants_per_session": domain.participants_per_session(cells),
        "attendance": domain.attendance(cells),
        "attendance_trend": domain.attendance_trend(cells),
        "follow_up": domain.follow_up_counts(*figures_db.follow_up_levels(conn, programme_id, regions)),
        "evaluations": domain.evaluations(*figures_db.evaluation_averages(conn, programme_id, regions, whole), [],
                                          min_responses),
    })
    if not whole:
        del report["delegates"]
    # The session rows are plain values already (`domain.session`): not walked again.
    report["evaluations"]["by_session"] = {s["session_id"]: s["evaluation"] for s in sessions}
    report["session_list"] = sessions
    return report


def company_report(conn: Conn, programme_id: UUID, company_id: UUID, min_responses: int) -> Row | None:
    """One company's participation, for its director."""
    rows, _ = company_rows(conn, programme_id, None, company_id=company_id)
    if not rows:
        return None
    sessions = figures_db.company_sessions(conn, programme_id, company_id)
    return {"programme": programme(conn, programme_id), "company": rows[0],
            "sessions": [domain.company_session(r) for r in sessions],
            "follow_ups": figures_db.company_follow_ups(conn, programme_id, company_id),
            "min_responses": min_responses}
