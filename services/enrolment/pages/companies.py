"""Company pages: the list (filters and search, paged on the server), registering, one company with its
enrolments and history, and enrolling it in a programme."""

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
from services.enrolment.pages.base import PAGE_SIZE, blueprint, is_admin, me, page_number, pages_of, saved, service
from services.enrolment.pages.labels import options

PERSON = ("name", "email", "phone", "language")
FIELDS = ("name", "kvk_number", "region", "address_street", "address_postal_code", "address_city", "size",
          "programme_id", *(f"directors_0_{k}" for k in (*PERSON, "role")), "directors",
          *(f"contact_person_{k}" for k in PERSON))


def _open_programmes() -> list[dict[str, Any]]:
    rows, _ = service().programmes.programmes("open", 100, 0)
    return rows


def _person(prefix: str) -> dict[str, Any]:
    person = {k: forms.text(f"{prefix}_{k}") for k in ("name", "email", "phone")}
    if not person["phone"]:
        person.pop("phone")
    person["language"] = forms.text(f"{prefix}_language") or "nl"
    return person


def _body() -> dict[str, Any]:
    director = {**_person("directors_0"), "role": forms.text("directors_0_role") or "director"}
    contact = _person("contact_person")
    filled = any(forms.text(f"contact_person_{k}") for k in ("name", "email", "phone"))
    return {"name": forms.text("name"), "kvk_number": forms.text("kvk_number").replace(" ", ""),
            "region": forms.text("region"),
            "address": {"street": forms.text("address_street"), "city": forms.text("address_city"),
                        "postal_code": forms.text("address_postal_code").upper()},
            "size": forms.optional("size"), "directors": [director], "contact_person": contact if filled else None}


def _form(errors: dict[str, str], status: int = 200) -> Response:
    values = {k: request.values.get(k, "") for k in FIELDS}
    return render_page("company_form.html.j2", status=status, errors=errors, values=values,
                       regions=[(r, r) for r in service().overview.known_regions()],
                       programmes=[(str(p["id"]), f"{p['name']} ({', '.join(p['regions'])})")
                                   for p in _open_programmes()],
                       sizes=options("size"), roles=options("interviewee_role"), languages=options("language"))


@blueprint.get("/companies")
@require_page_roles(*access.READERS)
def companies() -> Response:
    """Search and filter on the server; a coordinator sees their own regions (403 for another's filter)."""
    args = {k: v for k, v in request.args.items() if v.strip() and k in ("q", "region", "status", "programme_id")}
    query, problem = forms.list_query(s.CompanyQuery(), args)
    access.check_region_filter(me(), query.get("region"))
    page = query["page"]
    rows, total = service().companies.companies(query, access.region_scope(me()), PAGE_SIZE, (page - 1) * PAGE_SIZE)
    all_programmes, _ = service().programmes.programmes(None, 100, 0)
    scope = access.region_scope(me())
    regions = scope if scope is not None else service().overview.known_regions()
    return render_page("companies.html.j2", companies=rows, total=total, page=page, pages=pages_of(total),
                       filters=args, problem=problem, regions=[(r, r) for r in regions],
                       states=options("state"), programmes=[(str(p["id"]), p["name"]) for p in all_programmes],
                       programme_names={p["id"]: p["name"] for p in all_programmes})


@blueprint.route("/companies/new", methods=["GET", "POST"])
@require_page_roles(*access.WRITERS)
def new_company() -> Response | WerkzeugResponse:
    if request.method == "GET":
        return _form({})
    data, errors = forms.load(s.CompanyIn(), _body(), FIELDS)
    programme = None
    chosen = forms.optional("programme_id")
    if chosen:
        programme = next((p for p in _open_programmes() if str(p["id"]) == chosen), None)
        if programme is None:
            errors["programme_id"] = t("Kies een open programma.", "Choose an open programme.")
        elif data and data["region"] not in programme["regions"]:
            runs_in = ", ".join(programme["regions"])
            errors["region"] = t(f"Dit programma loopt in {runs_in}; kies een van die regio's of een ander programma.",
                                 f"This programme runs in {runs_in}; choose one of those regions or another programme.")
    if errors:
        return _form(errors, 422)
    try:
        company = service().companies.register_company(data)
    except HTTPException as exc:
        return _form(forms.refusal(exc, FIELDS), 422)
    if programme is None:
        saved("Bedrijf aangemeld.", "Company registered.")
        return redirect(url_for(".company", company_id=company["id"]), 303)
    try:
        enrolment = service().lifecycle.enrol(company["id"], programme["id"])
    except HTTPException as exc:
        flash(t("Bedrijf aangemeld, maar niet ingeschreven: ", "Company registered, but not enrolled: ")
              + forms.conflict_message(exc), "warning")
        return redirect(url_for(".company", company_id=company["id"]), 303)
    saved("Bedrijf aangemeld en ingeschreven. Plan nu het intakegesprek met de directeur.",
          "Company registered and enrolled. Now plan the intake interview with the director.")
    return redirect(url_for(".enrolment", enrolment_id=enrolment["id"]), 303)


@blueprint.get("/companies/<uuid:company_id>")
@require_page_roles(*access.READERS)
def company(company_id: UUID) -> Response:
    row = access.visible_company(service(), me(), company_id)
    names = service().overview.programme_names(e["programme_id"] for e in row["enrolments"])
    enrolled = set(names)
    can_join = [p for p in _open_programmes() if p["id"] not in enrolled and row["region"] in p["regions"]]
    history: list[dict[str, Any]] = []
    total, page = 0, page_number("history_page")
    if is_admin():  # the audit trail is the fund administrator's, as in the API
        history, total = service().overview.company_history(company_id, [e["id"] for e in row["enrolments"]], PAGE_SIZE,
                                                   (page - 1) * PAGE_SIZE)
    return render_page("company.html.j2", company=row, programme_names=names, can_join=can_join,
                       join_options=[(str(p["id"]), p["name"]) for p in can_join],
                       history=history, history_total=total, history_page=page, history_pages=pages_of(total),
                       final_states=domain.FINAL_STATES)


@blueprint.post("/companies/<uuid:company_id>/enrolments")
@require_page_roles(*access.WRITERS)
def enrol(company_id: UUID) -> WerkzeugResponse:
    access.visible_company(service(), me(), company_id)
    try:
        programme_id = UUID(forms.text("programme_id"))
    except ValueError:
        flash(t("Kies een programma.", "Choose a programme."), "error")
        return redirect(url_for(".company", company_id=company_id), 303)
    try:
        enrolment = service().lifecycle.enrol(company_id, programme_id)
    except HTTPException as exc:
        flash(" ".join(forms.refusal(exc, ()).values()), "error")
        return redirect(url_for(".company", company_id=company_id), 303)
    saved("Ingeschreven. Plan nu het intakegesprek met de directeur.",
          "Enrolled. Now plan the intake interview with the director.")
    return redirect(url_for(".enrolment", enrolment_id=enrolment["id"]), 303)
