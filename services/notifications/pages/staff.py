"""The staff directory: coordinators (with their regions) and facilitators who get programme mail."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, flash, redirect, request, url_for
from marshmallow import ValidationError
from werkzeug.wrappers import Response as WerkzeugResponse

from services.common.i18n import t
from services.common.lookup import found
from services.common.pages import render_page
from services.common.signin import page_principal, require_page_roles
from services.notifications import schemas as s
from services.notifications.domain import LANGUAGES
from services.notifications.pages.common import (
    LANGUAGE_LABELS,
    PAGE_SIZE,
    ROLE_LABELS,
    field_errors,
    label,
    page_number,
    pages_of,
    service,
)

blueprint = Blueprint("staff_pages", __name__)
# Ids go into page addresses; the ids other services use (Keycloak subjects, uuids) all fit this.
STAFF_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,100}$")


@blueprint.get("/staff")
@require_page_roles("fund_admin", "coordinator")  # as GET /api/v1/staff
def staff() -> Response:
    errors: dict[str, str] = {}
    raw = {k: request.args[k].strip() for k in ("role", "region") if request.args.get(k, "").strip()}
    try:
        filters = s.StaffQuery(only=("role", "region")).load(raw)
    except ValidationError as exc:
        errors, filters = field_errors(exc), {}
    number = page_number()
    rows, total = service().list_staff(filters.get("role"), filters.get("region"), PAGE_SIZE,
                                       (number - 1) * PAGE_SIZE)
    principal = page_principal()
    return render_page("pages/staff.html.j2", status=422 if errors else 200, rows=rows, total=total, page=number,
                       pages=pages_of(total), errors=errors, filtered=bool(raw),
                       roles=[(k, label(ROLE_LABELS, k)) for k in ROLE_LABELS],
                       regions=[(r, r) for r in service().known_regions()],
                       may_edit=principal is not None and principal.has("fund_admin"),
                       role=lambda k: label(ROLE_LABELS, k), language=lambda k: label(LANGUAGE_LABELS, k))


def _form_page(values: dict[str, Any], errors: dict[str, str], staff_id: str | None, status: int = 200) -> Response:
    known = service().known_regions()
    chosen = list(values.get("regions") or [])
    return render_page("pages/staff_form.html.j2", status=status, values=values, errors=errors, staff_id=staff_id,
                       roles=[(k, label(ROLE_LABELS, k)) for k in ROLE_LABELS],
                       languages=[(k, label(LANGUAGE_LABELS, k)) for k in LANGUAGES],
                       regions=[(r, r) for r in known], chosen=[r for r in chosen if r in known],
                       other=", ".join(r for r in chosen if r not in known))


def _submitted() -> dict[str, Any]:
    """The form as the API's body: regions from the checkboxes plus any typed in (comma-separated)."""
    form = request.form
    regions = [r.strip() for r in form.getlist("regions") if r.strip()]
    regions += [r.strip() for r in form.get("other_regions", "").split(",") if r.strip()]
    return {"role": form.get("role", ""), "name": form.get("name", "").strip(),
            "email": form.get("email", "").strip(), "language": form.get("language") or "nl",
            "regions": list(dict.fromkeys(regions)) if form.get("role") == "coordinator" else []}


def _save(staff_id: str | None) -> Response | WerkzeugResponse:
    body = _submitted()
    errors: dict[str, str] = {}
    target = staff_id or request.form.get("staff_id", "").strip()
    if staff_id is None:
        if not STAFF_ID.match(target):
            errors["staff_id"] = t("Vul een id in van letters, cijfers en . _ : @ - (zonder spaties), zoals de "
                                   "gebruikers-id van de begeleider.", "Enter an id of letters, digits and . _ : @ - "
                                   "(no spaces), such as the facilitator's user id.")
        elif service().staff(target) is not None:
            errors["staff_id"] = t("Er bestaat al een medewerker met dit id. Kies een ander id, of wijzig die "
                                   "medewerker.", "A staff member with this id exists already. Choose another id, "
                                   "or edit that staff member.")
    try:
        loaded = s.StaffIn().load(body)
    except ValidationError as exc:
        errors = {**field_errors(exc), **errors}
    if errors:
        errors = {("other_regions" if k.startswith("regions") and k != "regions" else k): v for k, v in errors.items()}
        return _form_page({**body, "staff_id": target}, errors, staff_id, 422)
    _row, created = service().put_staff(target, loaded)
    flash(t(f"{loaded['name']} is toegevoegd aan de medewerkers.", f"{loaded['name']} has been added to the staff.")
          if created else t(f"De gegevens van {loaded['name']} zijn opgeslagen.",
                            f"The details of {loaded['name']} have been saved."), "success")
    return redirect(url_for("staff_pages.staff"), code=303)


@blueprint.get("/staff/new")
@require_page_roles("fund_admin")
def new_staff() -> Response:
    return _form_page({"role": "facilitator", "language": "nl"}, {}, None)


@blueprint.post("/staff/new")
@require_page_roles("fund_admin")  # as PUT /api/v1/staff/{id} (new)
def create_staff() -> Response | WerkzeugResponse:
    return _save(None)


def _member_or_404(staff_id: str) -> dict[str, Any]:
    return found(service().staff(staff_id))


@blueprint.get("/staff/<staff_id>/edit")
@require_page_roles("fund_admin")
def edit_staff(staff_id: str) -> Response:
    return _form_page(_member_or_404(staff_id), {}, staff_id)


@blueprint.post("/staff/<staff_id>/edit")
@require_page_roles("fund_admin")  # as PUT /api/v1/staff/{id} (replace)
def update_staff(staff_id: str) -> Response | WerkzeugResponse:
    _member_or_404(staff_id)
    return _save(staff_id)


@blueprint.get("/staff/<staff_id>/delete")
@require_page_roles("fund_admin")
def confirm_delete(staff_id: str) -> Response:
    member = _member_or_404(staff_id)
    return render_page("pages/staff_delete.html.j2", member=member, role=label(ROLE_LABELS, member["role"]))


@blueprint.post("/staff/<staff_id>/delete")
@require_page_roles("fund_admin")  # as DELETE /api/v1/staff/{id}
def delete_staff(staff_id: str) -> WerkzeugResponse:
    member = _member_or_404(staff_id)
    service().delete_staff(staff_id)
    flash(t(f"{member['name']} is verwijderd uit de medewerkers.",
            f"{member['name']} has been removed from the staff."),
          "success")
    return redirect(url_for("staff_pages.staff"), code=303)
