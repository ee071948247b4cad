"""Who sees which reporting figures: one place for the API and the pages.

- Coordinators see only their regions' figures; asking for another region is
  403, never an empty answer (services.common.regions).
- Reporting consumers get facilitators as the external stream's pseudonyms.
- A company report is visible to fund staff of the company's region (or through a signed link).
"""

from __future__ import annotations

from typing import Any

from services.common.auth import Principal
from services.common.regions import require_visible_regions
from services.reporting.pseudonyms import pseudonym

READERS = ("fund_admin", "coordinator", "reporting_consumer")
SUBSCRIBERS = ("fund_admin", "reporting_consumer")
COMPANY_READERS = ("fund_admin", "coordinator")


def scope(principal: Principal, requested: list[str] | None = None) -> list[str] | None:
    """The regions `principal` gets figures for: None is every region. 403 for a region outside a coordinator's."""
    require_visible_regions(principal, requested, unrestricted=("fund_admin", "reporting_consumer"))
    if principal.has("fund_admin", "reporting_consumer"):
        return sorted(set(requested)) if requested else None
    own = set(principal.regions)
    return sorted(own & set(requested)) if requested else sorted(own)


def report_for(principal: Principal, report: dict[str, Any], secret: str) -> dict[str, Any]:
    """The final report as `principal` may read it: facilitators pseudonymous for all but fund staff."""
    if principal.has("fund_admin", "coordinator"):
        return report
    return pseudonymous_facilitators(report, secret)


def pseudonymous_facilitators(report: dict[str, Any], secret: str) -> dict[str, Any]:
    """Raw facilitator ids next to the stream's pseudonymous facilitator_ids would map every pseudonym back to
    its person, so reporting consumers get the pseudonyms in the report too."""

    def masked(staff_id: str) -> str:
        return pseudonym(secret, "person", staff_id)

    evaluations = {**report["evaluations"],
                   "by_facilitator": {masked(k): v for k, v in report["evaluations"]["by_facilitator"].items()}}
    sessions = [{**row, "facilitator_ids": [masked(f) for f in row["facilitator_ids"]]}
                for row in report["session_list"]]
    return {**report, "evaluations": evaluations, "session_list": sessions}


def may_see_company_report(principal: Principal | None, report: dict[str, Any]) -> bool:
    """Fund staff of the company's region; None (a signed link) always."""
    return principal is None or principal.may_see_region(report["company"]["region"] or "")
