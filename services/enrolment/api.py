"""Enrolment's HTTP routes: parse with schemas, call the use case, dump."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, url_for
from flask_smorest import Blueprint
from werkzeug.exceptions import NotFound

from services.common.auth import current_principal, require_roles
from services.common.schemas import offset_of, page
from services.enrolment.schemas import CompanyIn, CompanyOut, CompanyPage, CompanyQuery
from services.enrolment.service import Enrolment

companies = Blueprint("companies", __name__, url_prefix="/api/v1/companies",
                      description="Companies that showed interest in a programme")


def _service() -> Enrolment:
    service: Enrolment = current_app.extensions["enrolment"]
    return service


@companies.post("")
@require_roles("fund_admin")
@companies.arguments(CompanyIn)
@companies.response(201, CompanyOut)
def register_company(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Register a company (fund administrators)."""
    row = _service().register_company(body)
    return row, 201, {"Location": url_for("companies.get_company", company_id=row["id"])}


@companies.get("")
@require_roles("fund_admin", "coordinator")
@companies.arguments(CompanyQuery, location="query")
@companies.response(200, CompanyPage)
def list_companies(query: dict[str, Any]) -> dict[str, Any]:
    """List companies; coordinators see their own regions only."""
    principal = current_principal()
    regions = None if principal.has("fund_admin") else sorted(principal.regions)
    limit, offset = offset_of(query)
    rows, total = _service().companies(query.get("region"), regions, limit, offset)
    return page(rows, total, query)


@companies.get("/<uuid:company_id>")
@require_roles("fund_admin", "coordinator")
@companies.response(200, CompanyOut)
def get_company(company_id: uuid.UUID) -> dict[str, Any]:
    """One company; 404 for a coordinator outside its region (it may not know it exists)."""
    row = _service().company(company_id)
    if row is None or not current_principal().may_see_region(row["region"]):
        raise NotFound("no such company")
    return row
