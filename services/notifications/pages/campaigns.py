"""Drip campaigns: the list, a new campaign with its steps, and one campaign's schedule and state."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as WerkzeugResponse

from services.common.i18n import t
from services.common.lookup import found, uuid_or_404
from services.common.pages import render_page
from services.common.problems import Conflict
from services.common.signin import require_page_roles
from services.notifications import schemas as s
from services.notifications.domain import CAMPAIGN_TRANSITIONS, IllegalTransition
from services.notifications.pages.common import (
    CAMPAIGN_STATES,
    JOB_LEVEL_LABELS,
    PAGE_SIZE,
    field_errors,
    label,
    page_number,
    pages_of,
    service,
)

blueprint = Blueprint("campaign_pages", __name__)
STEP_ROWS = 3  # empty step rows a new campaign form offers; "another step" adds one
MAX_STEP_ROWS = 52
# Which button changes a campaign into which state (the use case checks the transition).
ACTIONS = {"pause": "paused", "resume": "active", "stop": "stopped"}
ACTION_LABELS = {"paused": ("Pauzeren", "Pause"), "active": ("Hervatten", "Resume"),
                 "stopped": ("Definitief stoppen", "Stop for good")}
ACTION_DONE = {"paused": ("Campagne gepauzeerd: geplande mails wachten tot u hervat.",
                          "Campaign paused: scheduled mails wait until you resume."),
               "active": ("Campagne hervat.", "Campaign resumed."),
               "stopped": ("Campagne gestopt: geplande mails zijn geannuleerd.",
                           "Campaign stopped: scheduled mails have been cancelled.")}


def _programme_names() -> dict[str, str]:
    return {p["programme_id"]: p["name"] for p in service().programmes()}


def _state(status: str) -> tuple[str, str, str]:
    return CAMPAIGN_STATES.get(status, (status, status, "neutral"))


@blueprint.get("/campaigns")
@require_page_roles("fund_admin")  # as GET /api/v1/campaigns
def campaigns() -> Response:
    status = request.args.get("status") or None
    if status not in (None, *CAMPAIGN_STATES):
        status = None
    number = page_number()
    rows, total = service().campaigns(status, PAGE_SIZE, (number - 1) * PAGE_SIZE)
    return render_page("pages/campaigns.html.j2", rows=rows, total=total, page=number, pages=pages_of(total),
                       chosen_status=status, states=[(k, label(CAMPAIGN_STATES, k)) for k in CAMPAIGN_STATES],
                       programmes=_programme_names(), state=_state,
                       levels=lambda ks: ", ".join(label(JOB_LEVEL_LABELS, k) for k in ks))


def _steps_from(form: MultiDict[str, str], rows: int) -> list[dict[str, Any]]:
    """The filled-in step rows (an entirely empty row is skipped); English texts only when given."""
    steps: list[dict[str, Any]] = []
    for i in range(rows):
        values = {k: form.get(f"steps-{i}-{k}", "").strip() for k in
                  ("offset_days", "subject-nl", "subject-en", "body-nl", "body-en")}
        if not any(values.values()):
            continue
        step: dict[str, Any] = {"offset_days": values["offset_days"] or None,
                                "subject": {"nl": values["subject-nl"]}, "body": {"nl": values["body-nl"]}}
        if values["subject-en"]:
            step["subject"]["en"] = values["subject-en"]
        if values["body-en"]:
            step["body"]["en"] = values["body-en"]
        steps.append(step)
    return steps


def _form_page(form: MultiDict[str, str], errors: dict[str, str], rows: int, status: int = 200) -> Response:
    programmes = sorted(_programme_names().items(), key=lambda kv: kv[1])
    return render_page("pages/campaign_form.html.j2", status=status, form=form, errors=errors, rows=rows,
                       programmes=programmes, job_levels=[(k, label(JOB_LEVEL_LABELS, k)) for k in s.JOB_LEVELS],
                       chosen_levels=form.getlist("job_levels") if form else ["manager"])


@blueprint.get("/campaigns/new")
@require_page_roles("fund_admin")
def new_campaign() -> Response:
    return _form_page(MultiDict(), {}, STEP_ROWS)


@blueprint.post("/campaigns/new")
@require_page_roles("fund_admin")  # as POST /api/v1/campaigns
def create_campaign() -> Response | WerkzeugResponse:
    form = request.form
    try:
        rows = min(max(int(form.get("step_rows", STEP_ROWS)), 1), MAX_STEP_ROWS)
    except ValueError:
        rows = STEP_ROWS
    if "add_step" in form:  # the "another step" button: same form, one more empty row, nothing saved
        return _form_page(form, {}, min(rows + 1, MAX_STEP_ROWS))
    body = {"name": form.get("name", "").strip(), "programme_id": form.get("programme_id") or None,
            "job_levels": form.getlist("job_levels"), "steps": _steps_from(form, rows)}
    errors: dict[str, str] = {}
    if body["programme_id"] is not None and body["programme_id"] not in _programme_names():
        errors["programme_id"] = t("Kies een programma uit de lijst.", "Choose a programme from the list.")
    try:
        loaded = s.CampaignIn().load(body)
    except ValidationError as exc:
        errors = {**field_errors(exc), **errors}
    if not body["steps"]:
        errors["steps-0-subject-nl"] = t("Vul minstens één stap in: onderwerp en tekst in het Nederlands.",
                                         "Fill in at least one step: subject and text in Dutch.")
    if errors:
        # Errors on a step name its inputs by their position among the filled-in rows; map them back.
        return _form_page(form, _step_errors(errors, form, rows), rows, 422)
    try:
        row = service().create_campaign(loaded)
    except Conflict:
        errors = {"name": t("Er is al een campagne met deze naam. Kies een andere naam.",
                            "A campaign with this name exists already. Choose another name.")}
        return _form_page(form, errors, rows, 422)
    flash(t(f"Campagne ‘{row['name']}’ is aangemaakt.", f"Campaign ‘{row['name']}’ has been created."), "success")
    return redirect(url_for("campaign_pages.campaign", campaign_id=row["id"]), code=303)


def _step_errors(errors: dict[str, str], form: MultiDict[str, str], rows: int) -> dict[str, str]:
    """`steps-<n>-...` counts filled-in rows only; turn n back into the row number on the form."""
    filled = [i for i in range(rows) if any(form.get(f"steps-{i}-{k}", "").strip() for k in
                                            ("offset_days", "subject-nl", "subject-en", "body-nl", "body-en"))]
    out: dict[str, str] = {}
    for name, text in errors.items():
        parts = name.split("-", 2)
        if parts[0] == "steps" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(filled):
            name = f"steps-{filled[int(parts[1])]}-{parts[2]}"
        elif name == "steps":
            name = "steps-0-subject-nl"
        out.setdefault(name, text)
    return out


def _campaign_or_404(campaign_id: str) -> dict[str, Any]:
    return found(service().campaign(uuid_or_404(campaign_id)))


@blueprint.get("/campaigns/<campaign_id>")
@require_page_roles("fund_admin")  # as GET /api/v1/campaigns/{id}
def campaign(campaign_id: str) -> Response:
    row = _campaign_or_404(campaign_id)
    actions = [(next(a for a, st in ACTIONS.items() if st == wanted), t(*ACTION_LABELS[wanted]), wanted)
               for wanted in CAMPAIGN_TRANSITIONS[row["status"]]]
    return render_page("pages/campaign.html.j2", c=row, state=_state(row["status"]), actions=actions,
                       programme=_programme_names().get(row["programme_id"] or ""),
                       levels=lambda ks: ", ".join(label(JOB_LEVEL_LABELS, k) for k in ks))


@blueprint.post("/campaigns/<campaign_id>/<action>")
@require_page_roles("fund_admin")  # as POST /api/v1/campaigns/{id}/pause|resumption|stop
def change_campaign(campaign_id: str, action: str) -> WerkzeugResponse:
    if action not in ACTIONS:
        abort(404)
    row = _campaign_or_404(campaign_id)
    wanted = ACTIONS[action]
    try:
        service().change_campaign(row["id"], wanted)
    except IllegalTransition:
        now = _state(row["status"])
        flash(t(f"Dit kan niet: de campagne is {now[0].lower()}.", f"Not possible: the campaign is {now[1].lower()}."),
              "error")
    else:
        flash(t(*ACTION_DONE[wanted]), "success")
    return redirect(url_for("campaign_pages.campaign", campaign_id=row["id"]), code=303)
