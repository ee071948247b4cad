"""The regional calendar (week and month), the sessions list and a facilitator's own sessions."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from flask import Response, request

from services.common.i18n import t
from services.common.pages import render_page
from services.common.signin import require_page_roles
from services.sessions import domain
from services.sessions.access import session_filters
from services.sessions.pages.common import (
    PAGE_SIZE,
    STAFF,
    STATUSES,
    TYPES,
    bp,
    me,
    page_number,
    pages_of,
    service,
    week_start,
)

CALENDAR_LIMIT = 1000  # a month of one region holds tens of sessions; this bounds a hostile range


def _day(text: str | None) -> date:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return datetime.now(domain.LOCAL_TZ).date()


def region_choices() -> list[tuple[str, str]]:
    """The regions a person may filter on: a coordinator's own, or every programme's for the fund."""
    principal = me()
    if not principal.has("fund_admin"):
        return [(r, r) for r in sorted(principal.regions)]
    programmes, _ = service().queries.programmes(200, 0)
    return [(r, r) for r in sorted({r for p in programmes for r in p["regions"]})]


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=domain.LOCAL_TZ)


@bp.get("/calendar")
@require_page_roles(*STAFF)
def calendar() -> Response:
    view = "month" if request.args.get("view") == "month" else "week"
    day = _day(request.args.get("date"))
    region = request.args.get("region") or None
    if view == "week":
        first = week_start(day)
        last = first + timedelta(days=7)
        previous, following = first - timedelta(days=7), first + timedelta(days=7)
    else:
        month = day.replace(day=1)
        after = (month + timedelta(days=32)).replace(day=1)
        first = week_start(month)
        last = week_start(after - timedelta(days=1)) + timedelta(days=7)
        previous, following = (month - timedelta(days=1)).replace(day=1), after
    filters = {"starts_from": _midnight(first), "starts_before": _midnight(last), "region": region}
    rows, total = service().queries.sessions(session_filters(me(), filters), CALENDAR_LIMIT, 0)
    by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_day[domain.local(row["starts_at"]).date()].append(row)
    days = [first + timedelta(days=n) for n in range((last - first).days)]
    weeks = [days[i:i + 7] for i in range(0, len(days), 7)]
    return render_page("calendar.html.j2", view=view, day=day, first=first, last=last - timedelta(days=1),
                       weeks=weeks, by_day=by_day, total=total, region=region, regions=region_choices(),
                       previous=previous, following=following, today=datetime.now(domain.LOCAL_TZ).date(),
                       month=day.replace(day=1))


def _list_filters() -> dict[str, Any]:
    args = request.args
    filters: dict[str, Any] = {"region": args.get("region") or None}
    if args.get("type") in TYPES:
        filters["type"] = args["type"]
    if args.get("status") in STATUSES:
        filters["status"] = args["status"]
    if args.get("from"):
        filters["starts_from"] = _midnight(_day(args["from"]))
    return filters


@bp.get("/sessions")
@require_page_roles(*STAFF)
def session_list() -> Response:
    page = page_number()
    rows, total = service().queries.sessions(session_filters(me(), _list_filters()), PAGE_SIZE,
                                             (page - 1) * PAGE_SIZE)
    return render_page("sessions.html.j2", sessions=rows, total=total, page=page, pages=pages_of(total),
                       regions=region_choices(), types=[(k, t(*v)) for k, v in TYPES.items()],
                       statuses=[(k, t(*v[:2])) for k, v in STATUSES.items()], filtered=bool(request.args))


@bp.get("/my-sessions")
@require_page_roles("facilitator")
def my_sessions() -> Response:
    """A facilitator's own sessions: upcoming first, then the ones that took place (attendance to record)."""
    principal = me()
    page = page_number()
    now = datetime.now(domain.LOCAL_TZ)
    upcoming, total = service().queries.sessions(
        session_filters(principal, {"facilitator": principal.subject, "starts_from": now}), PAGE_SIZE,
        (page - 1) * PAGE_SIZE)
    past, _ = service().queries.sessions(session_filters(principal, {
        "facilitator": principal.subject, "starts_before": now, "starts_from": now - timedelta(days=60)}), 100, 0)
    return render_page("my_sessions.html.j2", upcoming=upcoming, past=list(reversed(past)), total=total, page=page,
                       pages=pages_of(total))
