"""Who may see and change what in sessions: one layer, called by the API routes, the pages and nothing else.

As in enrolment (services/enrolment/access.py), the use cases in `service/`
take no principal: the routes ask here first and pass on what they may do.
Participants acting through a signed link have no principal; links.py checks
the link instead.

- fund administrators see and change everything;
- coordinators see and change the sessions of the regions in their token: a
  session elsewhere is "not found" (they may not learn it exists), scheduling
  in another region and a list filtered on one are 403 (never an empty 200);
- facilitators see their own sessions (`facilitator_ids` holds token
  subjects) and record attendance there; they change nothing else (403).

A session's region never changes (rescheduling cannot move it), so a check
made before the use case opens its transaction still holds inside it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from werkzeug.exceptions import Forbidden, NotFound

from services.common.auth import Principal
from services.common.regions import require_visible_regions

if TYPE_CHECKING:
    from services.sessions.service import Sessions

Row = dict[str, Any]


def may_see(principal: Principal, s: Row) -> bool:
    return (principal.may_see_region(s["region"]) and principal.has("fund_admin", "coordinator")) or (
        principal.has("facilitator") and principal.subject in s["facilitator_ids"])


def may_manage(principal: Principal, s: Row) -> bool:
    return principal.has("fund_admin") or (principal.has("coordinator") and s["region"] in principal.regions)


def may_take_attendance(principal: Principal, s: Row) -> bool:
    return may_manage(principal, s) or principal.subject in s["facilitator_ids"]


def region_scope(principal: Principal, region: str | None = None) -> list[str] | None:
    """The regions to read (None: all). A coordinator asking for another region gets 403, as from the API."""
    require_visible_regions(principal, region)
    return None if principal.has("fund_admin") else sorted(principal.regions)


def session_filters(principal: Principal, filters: Row) -> Row:
    """A session list's filters narrowed to what the caller may see (403 for another region's filter)."""
    require_visible_regions(principal, filters.get("region"))
    scoped = dict(filters)
    if not principal.has("fund_admin"):
        if principal.has("coordinator"):
            scoped["regions"] = sorted(principal.regions)
        else:
            scoped["facilitator"] = principal.subject
    return scoped


def may_schedule_in(principal: Principal, region: str) -> None:
    """403 when a coordinator schedules outside their regions."""
    if not principal.has("fund_admin") and region not in principal.regions:
        raise Forbidden(f"you coordinate {', '.join(sorted(principal.regions)) or 'no region'}, not {region}")


def visible_session(service: Sessions, principal: Principal, session_id: UUID) -> Row:
    """The session with its counts, or 404 when it does not exist or the caller may not know it."""
    s = service.queries.session(session_id)
    if s is None or not may_see(principal, s):
        raise NotFound("no such session")
    return s


def manageable_session(service: Sessions, principal: Principal, session_id: UUID) -> Row:
    """404 when the caller may not know the session, 403 when they may see but not change it."""
    s = visible_session(service, principal, session_id)
    if not may_manage(principal, s):
        raise Forbidden("only the region's coordinators may change this session")
    return s


def attendance_session(service: Sessions, principal: Principal, session_id: UUID) -> Row:
    """The session if the caller may record its attendance (its facilitators and the region's coordinators)."""
    s = visible_session(service, principal, session_id)
    if not may_take_attendance(principal, s):
        raise Forbidden("only the session's facilitators and the region's coordinators record attendance")
    return s


def visible_registration(service: Sessions, principal: Principal, registration_id: UUID) -> Row:
    """The registration, or 404 when it does not exist or lies in a session the caller may not see."""
    reg = service.queries.registration(registration_id)
    if reg is None:
        raise NotFound("no such registration")
    visible_session(service, principal, reg["session_id"])
    return reg


def manageable_registration(service: Sessions, principal: Principal, registration_id: UUID) -> Row:
    reg = visible_registration(service, principal, registration_id)
    manageable_session(service, principal, reg["session_id"])
    return reg


def visible_series(service: Sessions, principal: Principal, series_id: UUID) -> Row:
    """The series with the occurrences the caller may see; 404 when they may see none of it."""
    row = service.series.series(series_id)
    if row is None:
        raise NotFound("no such series")
    visible = [s for s in row["sessions"] if may_see(principal, s)]
    if not visible:
        raise NotFound("no such series")
    return {**row, "sessions": visible}


def may_create_feed(principal: Principal, kind: str, subject: str,
                    regions_of_person: Callable[[str], set[str]]) -> None:
    """Who may subscribe to which calendar: 403 otherwise."""
    if principal.has("fund_admin"):
        return
    if kind == "facilitator" and principal.has("facilitator") and subject == principal.subject:
        return
    if principal.has("coordinator"):
        if kind == "region" and subject in principal.regions:
            return
        # No facilitator feeds for coordinators: such a feed lists the facilitator's sessions in every
        # region, beyond the coordinator's own (their region feeds cover what is theirs).
        if kind == "participant" and regions_of_person(subject) & principal.regions:
            return
    raise Forbidden("you may not create a feed for this subject")


def may_revoke_feed(principal: Principal, feed: Row | None) -> Row:
    if feed is None:
        raise NotFound("no such feed")
    if not principal.has("fund_admin") and feed["created_by"] != principal.subject:
        raise Forbidden("only whoever created a feed (or a fund administrator) may revoke it")
    return feed
