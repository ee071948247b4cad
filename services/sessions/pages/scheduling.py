"""Schedule, reschedule, confirm and cancel a session: the API's schemas and use cases behind plain forms."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import Response, flash, redirect, request, url_for
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from services.common.i18n import t
from services.common.pages import render_page
from services.common.problems import Conflict, InvalidInput
from services.common.signin import require_page_roles
from services.sessions import access, domain
from services.sessions.pages.common import (
    FORMATS,
    STAFF,
    TYPES,
    WORKING_METHODS,
    bp,
    conflict_text,
    field_errors,
    local_start,
    me,
    problem_errors,
    service,
)
from services.sessions.schemas import CancellationIn, RescheduleIn, SessionIn

IDENTITY = ("programme_id", "type", "region")
TEXTS = ("venue_address", "online_url", "working_method")
NUMBERS = ("duration_minutes", "capacity_min", "capacity_max", "sequence_number")
# How many places each kind of session usually has (the source reports); a hint, the rules check min <= max.
TYPICAL = {"dialogue": (10, 12), "intervision": (4, 8), "workshop": (4, 8), "kick_off": (10, 40), "closing": (10, 40)}


def labels() -> dict[str, str]:
    return {"programme_id": t("Programma", "Programme"), "type": t("Soort sessie", "Type of session"),
            "region": t("Regio", "Region"), "format": t("Vorm", "Format"),
            "venue_address": t("Adres van de locatie", "Venue address"),
            "online_url": t("Link naar de online vergadering", "Online meeting link"),
            "starts_on": t("Datum", "Date"), "start_time": t("Begintijd", "Start time"),
            "duration_minutes": t("Duur in minuten", "Duration in minutes"),
            "capacity_min": t("Minimum aantal deelnemers", "Minimum participants"),
            "capacity_max": t("Maximum aantal deelnemers", "Maximum participants"),
            "working_method": t("Werkvorm", "Working method"),
            "facilitator_ids": t("Begeleiders", "Facilitators"),
            "sequence_number": t("Volgnummer in de reeks", "Number in the series")}


def _plan(form: Any, schema: Schema, identity: bool) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The form as the API's body, loaded by the API's schema; or the errors by form field."""
    start, errors = local_start(form.get("starts_on", "").strip(), form.get("start_time", "").strip())
    body: dict[str, Any] = {}
    for name in (IDENTITY if identity else ()) + ("format",):
        if form.get(name):
            body[name] = form[name]
    for name in TEXTS:
        body[name] = form.get(name, "").strip() or None
    # Only the place that fits the format is kept: a leftover address is not an online session's.
    if body.get("format") == "online":
        body["venue_address"] = None
    elif body.get("format"):
        body["online_url"] = None
    for name in NUMBERS:
        raw = form.get(name, "").strip()
        if raw:
            body[name] = raw
        elif name == "sequence_number":
            body[name] = None
    body["facilitator_ids"] = [f for f in re.split(r"[,\s]+", form.get("facilitator_ids", "")) if f]
    if not identity and form.get("scope"):
        body["scope"] = form["scope"]  # a session of a series: this one, or this one and the rest
    if start is not None:
        body["starts_at"] = start.isoformat()
    try:
        data = schema.load(body)
    except ValidationError as exc:
        problems = field_errors(exc.messages)
        if start is None:
            problems.pop("starts_on", None)  # the date/time fields already say what is wrong
        return None, {**errors, **problems}
    return (data, errors) if not errors else (None, errors)


def _form_values(session: dict[str, Any] | None) -> dict[str, Any]:
    if request.method == "POST":
        return dict(request.form.items())
    if session is None:
        kind = request.args.get("type", "dialogue")
        low, high = TYPICAL.get(kind, (10, 12))
        return {"type": kind, "format": "regional_venue", "duration_minutes": "150", "capacity_min": str(low),
                "capacity_max": str(high), "start_time": "09:00", "region": request.args.get("region", "")}
    start = domain.local(session["starts_at"])
    return {**{k: ("" if v is None else str(v)) for k, v in session.items()},
            "starts_on": start.date().isoformat(), "start_time": f"{start:%H:%M}",
            "facilitator_ids": ", ".join(session["facilitator_ids"])}


def _render_form(session: dict[str, Any] | None, errors: dict[str, str], status: int = 200) -> Response:
    principal = me()
    programmes, _ = service().queries.programmes(200, 0)
    open_programmes = [p for p in programmes if p["closed_on"] is None]
    regions = sorted({r for p in open_programmes for r in p["regions"]
                      if principal.has("fund_admin") or r in principal.regions})
    values = _form_values(session)
    wanted = str(session["programme_id"]) if session else values.get("programme_id")
    chosen = next((p for p in programmes if str(p["programme_id"]) == wanted), None) or next(iter(open_programmes),
                                                                                              None)
    return render_page("schedule.html.j2", status=status, session=session, values=values, chosen=chosen,
                       errors=errors, labels=labels(), programmes=open_programmes,
                       programme_options=[(str(p["programme_id"]), p["name"]) for p in open_programmes],
                       region_options=[(r, r) for r in regions],
                       types=[(k, t(*v)) for k, v in TYPES.items()], formats=[(k, t(*v)) for k, v in FORMATS.items()],
                       working_methods=WORKING_METHODS, typical=TYPICAL)


def _refused(error: HTTPException, session: dict[str, Any] | None) -> Response:
    """A use case's 422 (or 409 about a field) back at the fields; nothing was changed."""
    errors = problem_errors(error)
    if errors is None:
        if isinstance(error, Conflict) and "closed" in str(error.description):
            errors = {"programme_id": t("Dit programma is afgesloten; er kunnen geen sessies meer bij.",
                                        "This programme is closed; no more sessions can be added.")}
        else:
            raise error
    return _render_form(session, errors, 422 if isinstance(error, InvalidInput) else error.code or 422)


@bp.route("/sessions/new", methods=["GET", "POST"])
@require_page_roles(*STAFF)
def schedule() -> Response | WerkzeugResponse:
    if request.method == "GET":
        return _render_form(None, {})
    data, errors = _plan(request.form, SessionIn(), identity=True)
    if data is None:
        return _render_form(None, errors, 422)
    try:
        access.may_schedule_in(me(), data["region"])
        row = service().scheduling.schedule(data)
    except (InvalidInput, Conflict) as error:
        return _refused(error, None)
    flash(t("De sessie is gepland. Nodig nu de deelnemers uit.", "The session is scheduled. Now invite the "
            "participants."), "success")
    return redirect(url_for("session_pages.detail", session_id=row["id"]), code=303)


@bp.route("/sessions/<uuid:session_id>/edit", methods=["GET", "POST"])
@require_page_roles(*STAFF)
def reschedule(session_id: uuid.UUID) -> Response | WerkzeugResponse:
    session = access.visible_session(service(), me(), session_id)
    if request.method == "GET":
        return _render_form(session, {})
    data, errors = _plan(request.form, RescheduleIn(), identity=False)
    if data is None:
        return _render_form(session, errors, 422)
    rest = data.pop("scope", "this") == "this_and_following" and session.get("series_id")
    try:
        access.manageable_session(service(), me(), session_id)
        if rest:
            service().series.reschedule_rest(session_id, data, changed_only=True)  # the form sends every field
        else:
            service().scheduling.reschedule(session_id, data)
    except InvalidInput as error:
        return _refused(error, session)
    except Conflict as error:
        if problem_errors(error):
            return _refused(error, session)
        flash(conflict_text(error), "error")
        return redirect(url_for("session_pages.detail", session_id=session_id), code=303)
    if rest:  # the series page shows every occurrence the step changed
        flash(t("De wijziging is opgeslagen voor deze en alle volgende sessies van de reeks; aangemelde deelnemers "
                "krijgen bericht.", "The change is saved for this and every following session of the series; "
                "registered participants are told."), "success")
        return redirect(url_for("session_pages.series_detail", series_id=session["series_id"]), code=303)
    flash(t("De wijziging is opgeslagen; aangemelde deelnemers krijgen bericht.",
            "The change is saved; registered participants are told."), "success")
    return redirect(url_for("session_pages.detail", session_id=session_id), code=303)


@bp.post("/sessions/<uuid:session_id>/confirm")
@require_page_roles(*STAFF)
def confirm(session_id: uuid.UUID) -> WerkzeugResponse:
    try:
        access.manageable_session(service(), me(), session_id)
        service().scheduling.confirm(session_id)
        flash(t("De sessie is bevestigd: ze gaat door.", "The session is confirmed: it goes ahead."), "success")
    except Conflict as error:
        flash(conflict_text(error), "error")
    return redirect(url_for("session_pages.detail", session_id=session_id), code=303)


@bp.route("/sessions/<uuid:session_id>/cancel", methods=["GET", "POST"])
@require_page_roles(*STAFF)
def cancel(session_id: uuid.UUID) -> Response | WerkzeugResponse:
    session = access.visible_session(service(), me(), session_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            data = CancellationIn().load({"reason": request.form.get("reason", "").strip(),
                                          "scope": request.form.get("scope") or "this"})
        except ValidationError as exc:
            errors = field_errors(exc.messages)
        else:
            try:
                access.manageable_session(service(), me(), session_id)
                if data["scope"] == "this_and_following" and session.get("series_id"):
                    service().series.cancel_rest(session_id, data["reason"])
                    flash(t("Deze en alle volgende sessies van de reeks zijn geannuleerd. Alle aangemelde en "
                            "wachtende deelnemers krijgen bericht.", "This and every following session of the "
                            "series are cancelled. Everyone registered or waiting is told."), "success")
                    return redirect(url_for("session_pages.series_detail", series_id=session["series_id"]),
                                    code=303)
                service().scheduling.cancel(session_id, data["reason"])
            except Conflict as error:
                flash(conflict_text(error), "error")
                return redirect(url_for("session_pages.detail", session_id=session_id), code=303)
            flash(t("De sessie is geannuleerd. Alle aangemelde en wachtende deelnemers krijgen bericht.",
                    "The session is cancelled. Everyone registered or waiting is told."), "success")
            return redirect(url_for("session_pages.detail", session_id=session_id), code=303)
    return render_page("cancel.html.j2", status=422 if errors else 200, session=session, errors=errors,
                       reason=request.form.get("reason", ""),
                       labels={"reason": t("Reden van annulering", "Reason for cancelling")})
