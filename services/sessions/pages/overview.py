"""Evaluations (averages only from the minimum group up) and alerts of the regions a person coordinates."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask import Response, request

from services.common.pages import render_page
from services.common.signin import require_page_roles
from services.sessions import db, domain
from services.sessions.access import region_scope, visible_session
from services.sessions.pages.common import (
    ANYONE_ON_SESSIONS,
    PAGE_SIZE,
    STAFF,
    bp,
    me,
    page_number,
    pages_of,
    service,
    settings,
)
from services.sessions.pages.lists import region_choices

ALERT_LIMIT = 200


@bp.get("/evaluations")
@require_page_roles(*STAFF)
def evaluations() -> Response:
    region = request.args.get("region") or None
    regions = region_scope(me(), region)
    page = page_number()
    min_group = settings().evaluation_min_group
    with service().pool.connection() as conn:
        rows, total = db.evaluation_overview(conn, regions, region, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        by_region = db.evaluation_scores_by_region(conn, regions, region)
    # Scores never reach the template: only counts and averages of large enough groups.
    sessions = [{**{k: v for k, v in r.items() if k != "scores"}, "count": len(r["scores"]),
                 "average": domain.average(r["scores"], min_group)} for r in rows]
    regional = [{"region": r["region"], "count": len(r["scores"]), "average": domain.average(r["scores"], min_group)}
                for r in by_region]
    return render_page("evaluations.html.j2", sessions=sessions, regional=regional, total=total, page=page,
                       pages=pages_of(total), min_group=min_group, regions=region_choices(), region=region)


@bp.get("/sessions/<uuid:session_id>/evaluations")
@require_page_roles(*ANYONE_ON_SESSIONS)
def session_evaluations(session_id: uuid.UUID) -> Response:
    s = visible_session(service(), me(), session_id)
    return render_page("session_evaluations.html.j2", s=s, summary=service().evaluations.summary(session_id))


@bp.get("/alerts")
@require_page_roles(*STAFF)
def alerts() -> Response:
    region = request.args.get("region") or None
    regions = region_scope(me(), region)
    now = datetime.now(UTC)
    with service().pool.connection() as conn:
        below = db.sessions_below_minimum(conn, regions, region, now, settings().sessions_below_minimum_days,
                                          ALERT_LIMIT)
        no_shows = db.repeated_no_shows(conn, regions, region, ALERT_LIMIT)
    return render_page("alerts.html.j2", below=below, no_shows=no_shows, regions=region_choices(), region=region,
                       limit=ALERT_LIMIT)
