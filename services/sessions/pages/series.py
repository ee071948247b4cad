"""A recurring series through a form: every occurrence in one step; the series' overview."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Response, flash, redirect, request, url_for
from marshmallow import ValidationError
from werkzeug.wrappers import Response as WerkzeugResponse

from services.common.i18n import t
from services.common.pages import render_page
from services.common.problems import Conflict, InvalidInput
from services.common.signin import require_page_roles
from services.sessions import access, domain
from services.sessions.pages.common import (
    ANYONE_ON_SESSIONS,
    FORMATS,
    STAFF,
    TYPES,
    WORKING_METHODS,
    bp,
    field_errors,
    me,
    problem_errors,
    service,
)
from services.sessions.pages.scheduling import TYPICAL
from services.sessions.schemas import SeriesIn

FIELDS = ("programme_id", "type", "region", "format", "venue_address", "online_url", "start_date", "start_time",
          "end_time", "interval_weeks", "count", "capacity_min", "capacity_max", "working_method")


def labels() -> dict[str, str]:
    return {"programme_id": t("Programma", "Programme"), "type": t("Soort sessie", "Type of session"),
            "region": t("Regio", "Region"), "format": t("Vorm", "Format"),
            "venue_address": t("Adres van de locatie", "Venue address"),
            "online_url": t("Link naar de online vergadering", "Online meeting link"),
            "start_date": t("Eerste datum", "First date"), "start_time": t("Begintijd", "Start time"),
            "end_time": t("Eindtijd", "End time"), "interval_weeks": t("Hoe vaak", "How often"),
            "count": t("Aantal keer", "Number of times"),
            "capacity_min": t("Minimum aantal deelnemers per sessie", "Minimum participants per session"),
            "capacity_max": t("Maximum aantal deelnemers per sessie", "Maximum participants per session"),
            "working_method": t("Werkvorm", "Working method"), "facilitator_ids": t("Begeleiders", "Facilitators")}


def _form(values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Response:
    principal = me()
    programmes = [p for p in service().queries.programmes(200, 0)[0] if p["closed_on"] is None]
    regions = sorted({r for p in programmes for r in p["regions"]
                      if principal.has("fund_admin") or r in principal.regions})
    intervals = [(str(n), t("Elke week", "Every week") if n == 1 else t(f"Elke {n} weken", f"Every {n} weeks"))
                 for n in (1, 2, 3, 4)]
    return render_page("series_new.html.j2", status=status, values=values, errors=errors, labels=labels(),
                       programmes=programmes,
                       programme_options=[(str(p["programme_id"]), p["name"]) for p in programmes],
                       region_options=[(r, r) for r in regions], intervals=intervals,
                       types=[(k, t(*v)) for k, v in TYPES.items()], formats=[(k, t(*v)) for k, v in FORMATS.items()],
                       working_methods=WORKING_METHODS)


def _body(form: Any) -> dict[str, Any]:
    """The form as the API's body (the same schema checks it)."""
    body: dict[str, Any] = {name: form.get(name, "").strip() or None for name in FIELDS}
    body = {k: v for k, v in body.items() if v is not None or k in ("venue_address", "online_url", "working_method")}
    if body.get("format") == "online":
        body["venue_address"] = None
    elif body.get("format"):
        body["online_url"] = None
    body["facilitator_ids"] = [f for f in re.split(r"[,\s]+", form.get("facilitator_ids", "")) if f]
    return body


@bp.route("/sessions/series/new", methods=["GET", "POST"])
@require_page_roles(*STAFF)
def new_series() -> Response | WerkzeugResponse:
    """"Elke tweede dinsdag, 4 keer, 14:00-16:30" in one form."""
    if request.method == "GET":
        kind = request.args.get("type", "intervision")
        low, high = TYPICAL.get(kind, (4, 8))
        return _form({"type": kind, "format": "regional_venue", "start_time": "14:00", "end_time": "16:30",
                      "interval_weeks": "2", "count": "4", "capacity_min": str(low), "capacity_max": str(high),
                      "region": request.args.get("region", "")}, {})
    values = dict(request.form.items())
    try:
        data = SeriesIn().load(_body(request.form))
    except ValidationError as exc:
        return _form(values, field_errors(exc.messages), 422)
    try:
        access.may_schedule_in(me(), data["region"])
        series, occurrences = service().series.schedule(data, me().subject)
    except (InvalidInput, Conflict) as error:
        errors = problem_errors(error)
        if errors is None:
            errors = {"programme_id": t("Dit kan nu niet: ", "Not possible now: ") + str(error.description or "")}
        return _form(values, errors, 422 if isinstance(error, InvalidInput) else error.code or 409)
    flash(t(f"De reeks is gepland: {len(occurrences)} sessies. Nodig per sessie de deelnemers uit.",
            f"The series is scheduled: {len(occurrences)} sessions. Invite the participants per session."),
          "success")
    return redirect(url_for("session_pages.series_detail", series_id=series["id"]), code=303)


@bp.get("/sessions/series/<uuid:series_id>")
@require_page_roles(*ANYONE_ON_SESSIONS)
def series_detail(series_id: uuid.UUID) -> Response:
    """The occurrences, each with "verplaatsen" / "annuleren" while it is open and to come; and, while two or
    more are to come, one step for them together (the first one's form with this_and_following chosen)."""
    series = access.visible_series(service(), me(), series_id)
    manage = access.may_manage(me(), series["sessions"][0])
    now = datetime.now(UTC)
    changeable = {s["id"] for s in series["sessions"] if s["status"] in domain.OPEN and s["starts_at"] > now}
    coming = [s for s in series["sessions"] if s["id"] in changeable]
    return render_page("series.html.j2", series=series, manage=manage, changeable=changeable if manage else set(),
                       first_coming=coming[0] if manage and len(coming) > 1 else None, coming=len(coming),
                       facts=_facts(series))


def _facts(series: dict[str, Any]) -> dict[str, str]:
    """Time, place and places as the occurrences have them now (each may have been changed on its own since
    the series was planned): the one value they share, else "verschilt per sessie"."""
    live = [s for s in series["sessions"] if s["status"] != "cancelled"] or series["sessions"]

    def shared(values: list[str]) -> str:
        return values[0] if len(set(values)) == 1 else t("verschilt per sessie", "differs per session")

    def time_of(s: dict[str, Any]) -> str:
        start = domain.local(s["starts_at"])
        return f"{start:%H:%M} – {domain.local(domain.ends_at(s['starts_at'], s['duration_minutes'])):%H:%M}"

    def place_of(s: dict[str, Any]) -> str:
        return t("Online", "Online") if s["format"] == "online" else str(s.get("venue_address") or "")

    return {"time": shared([time_of(s) for s in live]), "where": shared([place_of(s) for s in live]),
            "places": shared([t(f"minimaal {s['capacity_min']}, maximaal {s['capacity_max']}",
                                f"at least {s['capacity_min']}, at most {s['capacity_max']}") for s in live])}
