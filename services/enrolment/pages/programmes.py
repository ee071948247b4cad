"""Programme pages: the list, one programme with its funnel, create and change, open and close."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from flask import Response, flash, redirect, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from services.common.i18n import t
from services.common.pages import render_page
from services.common.signin import require_page_roles
from services.enrolment import access, domain
from services.enrolment import schemas as s
from services.enrolment.pages import forms
from services.enrolment.pages.base import (
    PAGE_SIZE,
    blueprint,
    me,
    page_number,
    pages_of,
    programme_or_404,
    saved,
    service,
)
from services.enrolment.pages.labels import SESSION_TYPES, checklist, options

FIELDS = ("name", "fund", "theme", "period_start", "period_end", "regions", "extra_commitments",
          "admission_rule_required_commitments", "admission_rule_min_assessed_level", "max_delegates_per_company",
          "session_rules_min_duration_minutes", "session_rules_max_duration_minutes",
          "session_rules_online_facilitators", "teaser_question", "reminder_hours_before", "follow_up_info",
          *(f"planned_sessions_{k}" for k in SESSION_TYPES))
# Fields with a default: left empty they keep it (new) or stay as they are (change).
_DEFAULTED = ("admission_rule.min_assessed_level", "session_rules.min_duration_minutes",
              "session_rules.max_duration_minutes", "session_rules.online_facilitators", "reminder_hours_before")
FUNNEL = (("registered", "Aangemeld", "Registered", None), ("intake_held", "Intake gehouden", "Intake held", None),
          ("admitted", "Toegelaten", "Admitted", None), ("declined", "Afgewezen", "Declined", "declined"),
          ("withdrawn", "Teruggetrokken", "Withdrawn", "withdrawn"),
          ("completed", "Afgerond", "Completed", "completed"))


def _lines(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\n]", value) if part.strip()]


def _body() -> dict[str, Any]:
    """The posted form as the API's programme body."""
    body: dict[str, Any] = {
        "name": forms.text("name"), "fund": forms.text("fund"), "theme": forms.text("theme"),
        "period_start": forms.optional("period_start"), "period_end": forms.optional("period_end"),
        "regions": _lines(forms.text("regions")),
        "planned_sessions": {k: forms.number(f"planned_sessions_{k}") for k in SESSION_TYPES
                             if forms.text(f"planned_sessions_{k}")},
        "extra_commitments": _lines(forms.text("extra_commitments")),
        "admission_rule": {"required_commitments": request.form.getlist("admission_rule_required_commitments"),
                           "min_assessed_level": forms.number("admission_rule_min_assessed_level")},
        "max_delegates_per_company": forms.number("max_delegates_per_company"),
        "session_rules": {k: forms.number(f"session_rules_{k}") for k in
                          ("min_duration_minutes", "max_duration_minutes", "online_facilitators")},
        "teaser_question": forms.text("teaser_question"),
        "reminder_hours_before": forms.number("reminder_hours_before"),
        "follow_up_info": forms.text("follow_up_info"),
    }
    for dotted in _DEFAULTED:
        *outer, key = dotted.split(".")
        holder = body[outer[0]] if outer else body
        if holder.get(key) is None:
            holder.pop(key, None)
    return body


def _form_values(programme: dict[str, Any] | None) -> dict[str, Any]:
    """What the form shows: the posted values after an error, the programme's when changing one."""
    if request.method == "POST":
        values: dict[str, Any] = {k: request.form.get(k, "") for k in FIELDS}
        values["admission_rule_required_commitments"] = request.form.getlist("admission_rule_required_commitments")
        return values
    p = programme or {}
    rule = p.get("admission_rule") or {"required_commitments": list(domain.STANDARD_COMMITMENTS),
                                       "min_assessed_level": 3}
    rules = p.get("session_rules") or {"min_duration_minutes": 60, "max_duration_minutes": 210,
                                       "online_facilitators": 2}
    values = {k: p.get(k) or "" for k in ("name", "fund", "theme", "period_start", "period_end", "teaser_question",
                                          "follow_up_info")}
    values.update({
        "regions": ", ".join(p.get("regions") or []), "extra_commitments": "\n".join(p.get("extra_commitments") or []),
        "admission_rule_required_commitments": rule["required_commitments"],
        "admission_rule_min_assessed_level": rule["min_assessed_level"],
        "max_delegates_per_company": p.get("max_delegates_per_company", ""),
        "reminder_hours_before": p.get("reminder_hours_before", 48),
        **{f"session_rules_{k}": v for k, v in rules.items()},
        **{f"planned_sessions_{k}": (p.get("planned_sessions") or {}).get(k, "") for k in SESSION_TYPES},
    })
    return values


def _form(programme: dict[str, Any] | None, errors: dict[str, str], status: int = 200) -> Response:
    extra = (programme or {}).get("extra_commitments") or []
    return render_page("programme_form.html.j2", status=status, programme=programme, errors=errors,
                       values=_form_values(programme),
                       commitment_options=options("commitment", [*domain.STANDARD_COMMITMENTS, *extra]),
                       session_types=options("session_type"))


@blueprint.get("/programmes")
@require_page_roles(*access.READERS)
def programmes() -> Response:
    status = request.args.get("status") or None
    if status not in (None, "draft", "open", "closed"):
        status = None
    page = page_number()
    rows, total = service().programmes.programmes(status, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    return render_page("programmes.html.j2", programmes=rows, total=total, page=page, pages=pages_of(total),
                       status_filter=status, status_options=options("programme_status"))


@blueprint.route("/programmes/new", methods=["GET", "POST"])
@require_page_roles(*access.WRITERS)
def new_programme() -> Response | WerkzeugResponse:
    if request.method == "GET":
        return _form(None, {})
    data, errors = forms.load(s.ProgrammeIn(), _body(), FIELDS)
    if errors:
        return _form(None, errors, 422)
    try:
        row = service().programmes.create_programme(data)
    except HTTPException as exc:
        return _form(None, forms.problem_errors(exc, FIELDS), 422)
    saved("Programma aangemaakt als concept. Open het om bedrijven in te schrijven.",
          "Programme created as a draft. Open it to enrol companies.")
    return redirect(url_for(".programme", programme_id=row["id"]), 303)


@blueprint.get("/programmes/<uuid:programme_id>")
@require_page_roles(*access.READERS)
def programme(programme_id: UUID) -> Response:
    row = programme_or_404(programme_id)
    funnel = service().overview.funnel(programme_id, access.region_scope(me()))
    stages = [(t(nl, en), int(funnel.get(key) or 0), state) for key, nl, en, state in FUNNEL]
    return render_page("programme.html.j2", programme=row, funnel=funnel, stages=stages,
                       chart=[(name, n) for name, n, _ in stages], by_state=funnel["by_state"], states=domain.STATES,
                       checklist=checklist(row))


@blueprint.route("/programmes/<uuid:programme_id>/edit", methods=["GET", "POST"])
@require_page_roles(*access.WRITERS)
def edit_programme(programme_id: UUID) -> Response | WerkzeugResponse:
    current = programme_or_404(programme_id)
    if request.method == "GET":
        return _form(current, {})
    data, errors = forms.load(s.ProgrammePatch(partial=True), _body(), FIELDS)
    if errors:
        return _form(current, errors, 422)
    try:
        service().programmes.update_programme(programme_id, data)
    except HTTPException as exc:
        return _form(current, forms.refusal(exc, FIELDS), exc.code or 422)
    saved("Programma opgeslagen.", "Programme saved.")
    return redirect(url_for(".programme", programme_id=programme_id), 303)


@blueprint.post("/programmes/<uuid:programme_id>/opening")
@require_page_roles(*access.WRITERS)
def open_programme(programme_id: UUID) -> WerkzeugResponse:
    return _step(programme_id, service().programmes.open_programme,
                 ("Programma geopend: bedrijven kunnen zich inschrijven.", "Programme opened: companies can enrol."))


@blueprint.post("/programmes/<uuid:programme_id>/closing")
@require_page_roles(*access.WRITERS)
def close_programme(programme_id: UUID) -> WerkzeugResponse:
    return _step(programme_id, service().programmes.close_programme,
                 ("Programma gesloten. Borging vastleggen kan nog.",
                  "Programme closed. Follow-up can still be recorded."))


def _step(programme_id: UUID, step: Any, done: tuple[str, str]) -> WerkzeugResponse:
    try:
        step(programme_id)
    except HTTPException as exc:
        if exc.code != 409:
            raise
        flash(forms.conflict_message(exc), "error")
    else:
        saved(*done)
    return redirect(url_for(".programme", programme_id=programme_id), 303)
