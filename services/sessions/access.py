"""Which regions' overviews a person may read: the same rule as the sessions list, for the pages' queries.

The per-session rules (see, manage, record attendance) live with the use cases
in service.py; this is the rule for lists that cross sessions.
"""

from __future__ import annotations

from services.common.auth import Principal
from services.common.regions import require_visible_regions


def region_scope(principal: Principal, region: str | None) -> list[str] | None:
    """The regions to read (None: all). A coordinator asking for another region gets 403, as from the API."""
    require_visible_regions(principal, region)
    return None if principal.has("fund_admin") else sorted(principal.regions)
