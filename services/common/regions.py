"""One rule for region filters on lists: asking for a region you may not see is 403, not an empty page.

A coordinator sees only the regions in their token. A single resource of
another region is refused; a list filtered on such a region is refused the
same way (an empty 200 would read as "nothing there"). Without a filter a
coordinator simply gets their own regions.
"""

from __future__ import annotations

from collections.abc import Iterable

from werkzeug.exceptions import Forbidden

from services.common.auth import Principal


def require_visible_regions(principal: Principal, requested: str | Iterable[str] | None,
                            unrestricted: tuple[str, ...] = ("fund_admin",)) -> None:
    """403 when a coordinator filters on a region outside their own; others pass (they see all, or are
    confined by something else: a facilitator to their sessions)."""
    if requested is None or principal.has(*unrestricted) or not principal.has("coordinator"):
        return
    wanted = {requested} if isinstance(requested, str) else set(requested)
    outside = sorted(wanted - set(principal.regions))
    if outside:
        raise Forbidden(f"you coordinate {', '.join(sorted(principal.regions)) or 'no region'}, "
                        f"not {', '.join(outside)}")
