"""Reporting's HTTP routes."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from services.common.auth import current_principal, require_roles
from services.reporting.schemas import CompanyCounts
from services.reporting.service import Reporting

figures = Blueprint("figures", __name__, url_prefix="/api/v1/figures", description="Programme figures")


@figures.get("/companies")
@require_roles("fund_admin", "coordinator", "reporting_consumer")
@figures.response(200, CompanyCounts)
def company_counts() -> dict[str, Any]:
    """Registered companies, in total and per region (coordinators: their regions)."""
    principal = current_principal()
    regions = sorted(principal.regions) if principal.roles == {"coordinator"} else None
    service: Reporting = current_app.extensions["reporting"]
    return service.company_counts(regions)
