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
    """Everything the final report gives, as plain data (rendered to HTML, CSV and XLSX elsewhere)."""
    prog = programme(conn, programme_id)
    if prog is None:
        return None
    sessions = session_rows(conn, programme_id, regions, min_responses)
    companies, _ = company_rows(conn, programme_id, regions)
    counts = funnel(conn, programme_id, regions)
    by_region = domain.companies_by_region(figures_db.companies_by_region(conn, programme_id, regions))
    return {
        "programme": prog,
        "scope": {"regions": sorted(regions) if regions is not None else None},
        "companies": {"started": counts["started"], "withdrawn": counts["withdrawn"],
                      "completed": counts["completed"], "by_region": by_region},
        "funnel": counts,
        "delegates": {k: int(v) for k, v in figures_db.delegate_counts(conn, programme_id, regions).items()},
        "sessions": domain.session_figures(sessions),
        "participants_per_session": domain.participants_per_session(sessions),
        "attendance": domain.attendance(sessions),
        "attendance_trend": domain.attendance_trend(sessions),
        "follow_up": domain.follow_up(companies),
        "evaluations": domain.evaluations(*figures_db.evaluation_averages(conn, programme_id, regions), sessions,
                                          min_responses),
        "session_list": sessions,
    }


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
