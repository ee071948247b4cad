"""Participation pages: delegates (below management is flagged, never refused) and follow-up (borging)."""

from __future__ import annotations

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
from services.enrolment.pages.labels import label, options

DELEGATE_FIELDS = ("name", "email", "phone", "language", "job_level", "replaces")
FOLLOW_UP_FIELDS = ("activity", "occurred_on", "adoption_level", "description")


def _context(enrolment_id: UUID) -> tuple[dict[str, Any], dict[str, Any]]:
    e = access.visible_enrolment(service(), me(), enrolment_id)
    return e, access.visible_company(service(), me(), e["company_id"])


def _delegates_page(enrolment_id: UUID, errors: dict[str, str], status: int = 200) -> Response:
    e, company = _context(enrolment_id)
    programme = programme_or_404(e["programme_id"])
    include_removed = request.args.get("removed") == "1"
    page = page_number()
    rows, total = service().participation.delegates(enrolment_id, include_removed, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    current, _ = service().participation.delegates(enrolment_id, False, 100, 0)
    may_add = e["state"] in ("admitted", "active") and programme["status"] == "open"
    values = {k: request.form.get(k, "") for k in DELEGATE_FIELDS} if request.method == "POST" else {}
    return render_page("delegates.html.j2", status=status, e=e, company=company, programme=programme,
                       delegates=rows, total=total, page=page, pages=pages_of(total), include_removed=include_removed,
                       below=[d for d in current if d["below_management"]], current=current, may_add=may_add,
                       errors=errors, values=values, job_levels=options("job_level"), languages=options("language"),
                       replace_options=[(str(d["person_id"]), d["name"] or t("(gewist)", "(erased)")) for d in current])


@blueprint.get("/enrolments/<uuid:enrolment_id>/delegates")
@require_page_roles(*access.READERS)
def delegates(enrolment_id: UUID) -> Response:
    return _delegates_page(enrolment_id, {})


@blueprint.post("/enrolments/<uuid:enrolment_id>/delegates")
@require_page_roles(*access.WRITERS)
def add_delegate(enrolment_id: UUID) -> Response | WerkzeugResponse:
    _context(enrolment_id)
    body: dict[str, Any] = {"name": forms.text("name"), "email": forms.text("email"),
                            "language": forms.text("language") or "nl", "job_level": forms.text("job_level"),
                            "replaces": forms.optional("replaces")}
    if forms.text("phone"):
        body["phone"] = forms.text("phone")
    data, errors = forms.load(s.DelegateIn(), body, DELEGATE_FIELDS)
    if errors:
        return _delegates_page(enrolment_id, errors, 422)
    try:
        row = service().participation.delegate(enrolment_id, data)
    except HTTPException as exc:
        return _delegates_page(enrolment_id, forms.refusal(exc, DELEGATE_FIELDS), exc.code or 422)
    if row["below_management"]:
        level = label("job_level", row["job_level"]).lower()
        flash(t(f"{row['name']} is afgevaardigd, maar als {level} onder managementniveau. De impact is het grootst "
                "als het bedrijf leidinggevenden afvaardigt; bespreek dit zo nodig met de directeur.",
                f"{row['name']} is delegated, but as {level}, below management level. Impact is largest when the "
                "company delegates managers; discuss this with the director if needed."), "warning")
    else:
        saved(f"{row['name']} is afgevaardigd.", f"{row['name']} is delegated.")
    return redirect(url_for(".delegates", enrolment_id=enrolment_id), 303)


@blueprint.post("/enrolments/<uuid:enrolment_id>/delegates/<uuid:person_id>/removal")
@require_page_roles(*access.WRITERS)
def remove_delegate(enrolment_id: UUID, person_id: UUID) -> WerkzeugResponse:
    _context(enrolment_id)
    try:
        service().participation.remove_delegate(enrolment_id, person_id)
    except HTTPException as exc:
        if exc.code != 409:
            raise
        flash(forms.conflict_message(exc), "error")
    else:
        saved("Deelnemer afgemeld. Wat voor deze deelnemer gepland stond, vervalt.",
              "Participant removed. Whatever was planned for this participant is cancelled.")
    return redirect(url_for(".delegates", enrolment_id=enrolment_id), 303)


def _follow_ups_page(enrolment_id: UUID, errors: dict[str, str], status: int = 200) -> Response:
    e, company = _context(enrolment_id)
    page = page_number()
    rows, total = service().participation.follow_ups(enrolment_id, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    values = {k: request.form.get(k, "") for k in FOLLOW_UP_FIELDS} if request.method == "POST" else {}
    return render_page("follow_ups.html.j2", status=status, e=e, company=company, follow_ups=rows, total=total,
                       page=page, pages=pages_of(total), errors=errors, values=values,
                       may_record=e["state"] in ("active", "completed"), activities=options("activity"),
                       adoption_levels=options("adoption", list(domain.ADOPTION_LEVELS)))


@blueprint.get("/enrolments/<uuid:enrolment_id>/follow-ups")
@require_page_roles(*access.READERS)
def follow_ups(enrolment_id: UUID) -> Response:
    return _follow_ups_page(enrolment_id, {})


@blueprint.post("/enrolments/<uuid:enrolment_id>/follow-ups")
@require_page_roles(*access.WRITERS)
def record_follow_up(enrolment_id: UUID) -> Response | WerkzeugResponse:
    _context(enrolment_id)
    body = {"activity": forms.text("activity"), "occurred_on": forms.optional("occurred_on"),
            "adoption_level": forms.text("adoption_level"), "description": forms.text("description")}
    data, errors = forms.load(s.FollowUpIn(), body, FOLLOW_UP_FIELDS)
    if errors:
        return _follow_ups_page(enrolment_id, errors, 422)
    try:
        service().participation.record_follow_up(enrolment_id, data)
    except HTTPException as exc:
        return _follow_ups_page(enrolment_id, forms.refusal(exc, FOLLOW_UP_FIELDS), exc.code or 422)
    saved("Borging vastgelegd.", "Follow-up recorded.")
    return redirect(url_for(".follow_ups", enrolment_id=enrolment_id), 303)
