"""An enrolment's pages: its state and next step, the intake interview (schedule, record with the
commitment checklist), the gate's verdict before admission, admit or decline, withdraw, complete."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, flash, redirect, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from services.common.i18n import TIMEZONE, t
from services.common.pages import render_page
from services.common.signin import require_page_roles
from services.enrolment import access
from services.enrolment import schemas as s
from services.enrolment.pages import forms
from services.enrolment.pages.base import blueprint, is_admin, me, programme_or_404, saved, service
from services.enrolment.pages.labels import checklist, missing_text, options

Row = dict[str, Any]
SCHEDULE_FIELDS = ("day", "time", "location", "scheduled_at")
OUTCOME_FIELDS = ("held_on", "interviewee_role", "interviewee_person_id", "interviewer", "commitments",
                  "assessed_level", "notes")
WITHDRAWAL_FIELDS = ("reason_code", "reason_text", "withdrawn_on")


def _context(enrolment_id: UUID) -> tuple[Row, Row, Row]:
    """(enrolment, company, programme), 404 outside a coordinator's regions."""
    e = access.visible_enrolment(service(), me(), enrolment_id)
    company = access.visible_company(service(), me(), e["company_id"])
    return e, company, programme_or_404(e["programme_id"])


def enrolment_page(enrolment_id: UUID, status: int = 200, **extra: Any) -> Response:
    e, company, programme = _context(enrolment_id)
    intakes: list[Row] = []
    gate = None
    if is_admin():  # intakes are the fund administrator's, as in the API
        intakes, _ = service().lifecycle.intakes(enrolment_id, 100, 0)
        gate = service().overview.gate(enrolment_id)
    scheduled = next((i for i in reversed(intakes) if i["status"] == "scheduled"), None)
    extra.setdefault("decline_errors", {})
    gate_missing = [missing_text(m) for m in gate["missing"]] if gate else []
    return render_page("enrolment.html.j2", status=status, e=e, company=company, programme=programme,
                       intakes=intakes, scheduled=scheduled, gate=gate, gate_missing=gate_missing, **extra)


@blueprint.get("/enrolments/<uuid:enrolment_id>")
@require_page_roles(*access.READERS)
def enrolment(enrolment_id: UUID) -> Response:
    return enrolment_page(enrolment_id)


# -- intake: schedule and reschedule ------------------------------------------------------------
def _schedule_form(e: Row, company: Row, intake: Row | None, errors: dict[str, str], status: int = 200) -> Response:
    values = {k: request.form.get(k, "") for k in ("day", "time", "location")}
    if request.method == "GET" and intake is not None:
        local = intake["scheduled_at"].astimezone(TIMEZONE)
        values = {"day": local.date().isoformat(), "time": local.strftime("%H:%M"), "location": intake["location"]}
    return render_page("intake_schedule.html.j2", status=status, e=e, company=company, intake=intake,
                       errors=errors, values=values)


def _schedule(enrolment_id: UUID, intake_id: UUID | None) -> Response | WerkzeugResponse:
    e, company, _ = _context(enrolment_id)
    intake = service().lifecycle.intake(enrolment_id, intake_id) if intake_id else None
    if request.method == "GET":
        return _schedule_form(e, company, intake, {})
    when, errors = forms.local_datetime(forms.text("day"), forms.text("time"))
    data, schema_errors = forms.load(s.IntakeScheduleIn(), {"scheduled_at": when, "location": forms.text("location")},
                                     SCHEDULE_FIELDS)
    errors = errors or schema_errors
    if "scheduled_at" in errors:
        errors["day"] = errors.pop("scheduled_at")
    if errors:
        return _schedule_form(e, company, intake, errors, 422)
    try:
        if intake_id:
            service().lifecycle.reschedule_intake(enrolment_id, intake_id, data)
        else:
            service().lifecycle.schedule_intake(enrolment_id, data)
    except HTTPException as exc:
        return _schedule_form(e, company, intake, forms.refusal(exc, SCHEDULE_FIELDS), exc.code or 422)
    saved("Intakegesprek gepland. De directeur krijgt een uitnodiging per e-mail.",
          "Intake interview planned. The director gets an invitation by e-mail.")
    return redirect(url_for(".enrolment", enrolment_id=enrolment_id), 303)


@blueprint.route("/enrolments/<uuid:enrolment_id>/intakes/new", methods=["GET", "POST"])
@require_page_roles(*access.WRITERS)
def schedule_intake(enrolment_id: UUID) -> Response | WerkzeugResponse:
    return _schedule(enrolment_id, None)


@blueprint.route("/enrolments/<uuid:enrolment_id>/intakes/<uuid:intake_id>/rescheduling", methods=["GET", "POST"])
@require_page_roles(*access.WRITERS)
def reschedule_intake(enrolment_id: UUID, intake_id: UUID) -> Response | WerkzeugResponse:
    return _schedule(enrolment_id, intake_id)


# -- intake: the held interview and the gate's verdict ------------------------------------------------
def _outcome_values() -> tuple[dict[str, bool], Any]:
    return ({item: True for item in request.values.getlist("commitments")},
            forms.number("assessed_level") if request.method == "POST" else _query_level())


def _query_level() -> int | None:
    value = request.args.get("assessed_level", "")
    return int(value) if value.isdigit() else None


def verdict(programme: Row, commitments: dict[str, bool], level: Any) -> list[str]:
    """What the gate (domain.missing_for_admission) would miss in this outcome, in words; [] = admissible."""
    chosen = level if isinstance(level, int) else programme["admission_rule"]["min_assessed_level"]
    items = [missing_text(m) for m in service().overview.verdict(programme, commitments, chosen)]
    if not isinstance(level, int):
        items.append(t("Beoordeeld niveau: nog niet gekozen", "Assessed level: not chosen yet"))
    return items


def _outcome_form(enrolment_id: UUID, intake_id: UUID, errors: dict[str, str], status: int = 200) -> Response:
    e, company, programme = _context(enrolment_id)
    intake = service().lifecycle.intake(enrolment_id, intake_id)
    commitments, level = _outcome_values()
    if request.method == "GET":
        values = {"held_on": intake["scheduled_at"].date().isoformat(), "interviewer": me().name,
                  "interviewee_role": (company["directors"] or [{}])[0].get("role", "director")}
    else:
        values = {k: request.form.get(k, "") for k in OUTCOME_FIELDS}
    directors = [(str(d["person_id"]), d["name"]) for d in company["directors"] if not d["erased"]]
    items = checklist(programme)
    return render_page("intake_outcome.html.j2", status=status, e=e, company=company, programme=programme,
                       intake=intake, errors=errors, values=values, directors=directors,
                       checklist=[(i, i in programme["admission_rule"]["required_commitments"]) for i in items],
                       checked=[i for i in items if commitments.get(i)], level=level,
                       missing=verdict(programme, commitments, level), roles=options("interviewee_role"))


@blueprint.route("/enrolments/<uuid:enrolment_id>/intakes/<uuid:intake_id>/outcome", methods=["GET", "POST"])
@require_page_roles(*access.WRITERS)
def record_outcome(enrolment_id: UUID, intake_id: UUID) -> Response | WerkzeugResponse:
    if request.method == "GET":
        return _outcome_form(enrolment_id, intake_id, {})
    _, _, programme = _context(enrolment_id)
    checked = set(request.form.getlist("commitments"))
    body = {"held_on": forms.optional("held_on"), "interviewee_role": forms.text("interviewee_role"),
            "interviewee_person_id": forms.optional("interviewee_person_id"),
            "interviewer": forms.text("interviewer"), "assessed_level": forms.number("assessed_level"),
            "commitments": {item: item in checked for item in checklist(programme)}, "notes": forms.text("notes")}
    data, errors = forms.load(s.IntakeOutcomeIn(), body, OUTCOME_FIELDS)
    if errors:
        return _outcome_form(enrolment_id, intake_id, errors, 422)
    try:
        row = service().lifecycle.record_intake_outcome(enrolment_id, intake_id, data)
    except HTTPException as exc:
        return _outcome_form(enrolment_id, intake_id, forms.refusal(exc, OUTCOME_FIELDS), exc.code or 422)
    if row["missing_for_admission"]:
        flash(t("Intakegesprek vastgelegd. Het voldoet nog niet aan de toelatingseis; zie hieronder wat ontbreekt.",
                "Intake interview recorded. It does not meet the admission rule yet; see below what is missing."),
              "warning")
    else:
        saved("Intakegesprek vastgelegd. Het voldoet aan de toelatingseis: u kunt het bedrijf toelaten.",
              "Intake interview recorded. It meets the admission rule: you can admit the company.")
    return redirect(url_for(".enrolment", enrolment_id=enrolment_id), 303)


@blueprint.get("/enrolments/<uuid:enrolment_id>/intakes/<uuid:intake_id>/verdict")
@require_page_roles(*access.WRITERS)
def outcome_verdict(enrolment_id: UUID, intake_id: UUID) -> Response:
    """The gate's verdict for the checklist as ticked now (htmx swaps it into the intake form)."""
    _, _, programme = _context(enrolment_id)
    service().lifecycle.intake(enrolment_id, intake_id)
    commitments, level = _outcome_values()
    return render_page("_verdict.html.j2", missing=verdict(programme, commitments, level))


# -- decisions -------------------------------------------------------------------------------------
@blueprint.post("/enrolments/<uuid:enrolment_id>/admission")
@require_page_roles(*access.WRITERS)
def admit(enrolment_id: UUID) -> Response | WerkzeugResponse:
    try:
        service().lifecycle.admit(enrolment_id, {"admitted_on": None})
    except HTTPException as exc:
        if exc.code != 409:
            raise
        # The gate said no: show it on the enrolment page itself, with what is missing.
        missing = [missing_text(m) for m in getattr(exc, "extra", {}).get("missing") or []]
        return enrolment_page(enrolment_id, 409, refusal=forms.conflict_message(exc) if not missing else None,
                              refused_missing=missing)
    saved("Toegelaten. De directeur krijgt bericht; vaardig nu de deelnemers af.",
          "Admitted. The director is informed; now delegate the participants.")
    return redirect(url_for(".enrolment", enrolment_id=enrolment_id), 303)


@blueprint.post("/enrolments/<uuid:enrolment_id>/declination")
@require_page_roles(*access.WRITERS)
def decline(enrolment_id: UUID) -> Response | WerkzeugResponse:
    data, errors = forms.load(s.DeclinationIn(), {"reason": forms.text("reason")}, ("reason",))
    if errors:
        errors = {f"decline_{k}": v for k, v in errors.items()}
        return enrolment_page(enrolment_id, 422, decline_errors=errors, decline_reason=forms.text("reason"))
    try:
        service().lifecycle.decline(enrolment_id, data)
    except HTTPException as exc:
        if exc.code != 409:
            raise
        return enrolment_page(enrolment_id, 409, refusal=forms.conflict_message(exc))
    saved("Afgewezen. De directeur krijgt bericht. Een nieuw intakegesprek blijft mogelijk.",
          "Declined. The director is informed. A new intake interview remains possible.")
    return redirect(url_for(".enrolment", enrolment_id=enrolment_id), 303)


@blueprint.post("/enrolments/<uuid:enrolment_id>/completion")
@require_page_roles(*access.WRITERS)
def complete(enrolment_id: UUID) -> Response | WerkzeugResponse:
    try:
        service().lifecycle.complete(enrolment_id, {"completed_on": None})
    except HTTPException as exc:
        if exc.code != 409:
            raise
        return enrolment_page(enrolment_id, 409, refusal=forms.conflict_message(exc))
    saved("Afgerond. Leg de borging vast zodra het bedrijf ermee verder gaat.",
          "Completed. Record the follow-up as the company carries on.")
    return redirect(url_for(".enrolment", enrolment_id=enrolment_id), 303)


@blueprint.route("/enrolments/<uuid:enrolment_id>/withdrawal", methods=["GET", "POST"])
@require_page_roles(*access.WRITERS)
def withdraw(enrolment_id: UUID) -> Response | WerkzeugResponse:
    e, company, _ = _context(enrolment_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        body = {"reason_code": forms.text("reason_code"), "reason_text": forms.optional("reason_text"),
                "withdrawn_on": forms.optional("withdrawn_on")}
        data, errors = forms.load(s.WithdrawalIn(), body, WITHDRAWAL_FIELDS)
        if not errors:
            try:
                service().lifecycle.withdraw(enrolment_id, data)
            except HTTPException as exc:
                if exc.code != 409:
                    raise
                errors = {forms.GENERAL: forms.conflict_message(exc)}
            else:
                saved("Teruggetrokken. Wat nog gepland stond voor dit bedrijf, vervalt.",
                      "Withdrawn. Whatever was still planned for this company is cancelled.")
                return redirect(url_for(".enrolment", enrolment_id=enrolment_id), 303)
    values = {k: request.form.get(k, "") for k in WITHDRAWAL_FIELDS}
    return render_page("withdrawal.html.j2", status=422 if errors else 200, e=e, company=company, errors=errors,
                       values=values, reasons=options("withdrawal_reason"))
