"""Which calendar entry a VEVENT is, and which version of it: one rule for every service.

A session (or an intake) keeps one UID for its whole life, so the .ics in a
mail (notifications) and the calendar feed (sessions) update one entry in
the reader's calendar instead of adding a second; a change notice replaces
it and a cancellation removes it. SEQUENCE is the aggregate's version from
its events (RFC 5545 3.8.7.4), so a calendar applies updates in order and
ignores a stale one, whichever of the two channels brings it.
"""

from __future__ import annotations

from typing import Any

UID_DOMAIN = "progadmin"


def session_uid(session_id: object) -> str:
    """The UID of a session's calendar entry, in every service."""
    return f"{session_id}@{UID_DOMAIN}"


def intake_uid(intake_id: object) -> str:
    """The UID of an intake interview's calendar entry."""
    return f"intake-{intake_id}@{UID_DOMAIN}"


def identify(entry: Any, uid: str, version: int) -> None:
    """Give an icalendar VEVENT its UID and its SEQUENCE (the version of what it shows)."""
    entry.add("uid", uid)
    entry.add("sequence", int(version))
