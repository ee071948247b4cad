"""Who may see what in enrolment: one rule for the API and the pages.

Fund administrators read and write everything. Coordinators read programmes,
and companies and enrolments in their own regions only: anything outside
them is "not found" (they may not learn that it exists), and a list filtered
on a region they do not coordinate is refused (403). Other roles get 403 from
the role checks of the routes.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from werkzeug.exceptions import NotFound

from services.common.auth import Principal
from services.common.regions import require_visible_regions
from services.enrolment.service import Enrolment

Row = dict[str, Any]
READERS = ("fund_admin", "coordinator")
WRITERS = ("fund_admin",)


def region_scope(principal: Principal) -> list[str] | None:
    """None for fund administrators (everything); a coordinator's regions otherwise."""
    return None if principal.has("fund_admin") else sorted(principal.regions)


def check_region_filter(principal: Principal, region: str | None) -> None:
    """403 when a coordinator filters a list on a region they do not coordinate."""
    require_visible_regions(principal, region)


def visible_company(service: Enrolment, principal: Principal, company_id: UUID) -> Row:
    """The company, or 404 when it does not exist or lies outside a coordinator's regions."""
    row = service.companies.company(company_id)
    if row is None or not principal.may_see_region(row["region"]):
        raise NotFound("no such company")
    return row


def visible_enrolment(service: Enrolment, principal: Principal, enrolment_id: UUID) -> Row:
    """The enrolment, or 404 when it does not exist or lies outside a coordinator's regions."""
    row = service.lifecycle.enrolment(enrolment_id)
    if row is None or not principal.may_see_region(row["region"]):
        raise NotFound("no such enrolment")
    return row
