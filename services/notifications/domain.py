"""Mail kinds and the rules around them; no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"


@dataclass(frozen=True)
class Kind:
    """A kind of mail: who gets it, whether they may opt out, which calendar entry it carries."""

    name: str
    audience: str  # director | participant | facilitator | coordinator | person (participant or facilitator)
    optional: bool = False  # optional mail carries an unsubscribe link and respects the suppression list
    calendar: str | None = None  # None | "session" | "session-cancel" | "intake"


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("intake_invitation", "director", calendar="intake"),
    Kind("intake_confirmation", "director"),
    Kind("admission", "director"),
    Kind("decline", "director"),
    Kind("session_invitation", "participant", calendar="session"),
    Kind("facilitator_assignment", "facilitator", calendar="session"),
    Kind("session_reminder", "person"),
    Kind("session_rescheduled", "person", calendar="session"),
    Kind("session_cancelled", "person", calendar="session-cancel"),
    Kind("waitlist_promotion", "participant", calendar="session"),
    Kind("invitation_reminder", "participant"),
    Kind("waitlist_placement", "participant"),
    Kind("registration_cancelled", "participant"),
    Kind("session_transfer", "participant", calendar="session"),
    Kind("evaluation_request", "participant"),
    Kind("progress_digest", "director", optional=True),
    Kind("drip", "participant", optional=True),
    Kind("alert_below_minimum", "coordinator"),
    Kind("alert_repeated_no_show", "coordinator"),
    Kind("alert_company_at_risk", "coordinator"),
    Kind("alert_unknown_staff", "coordinator"),
)}

STAFF_PREFIX = "staff:"


def staff_recipient(staff_id: str) -> str:
    """Delivery recipient id of a staff member; person ids are bare uuids."""
    return f"{STAFF_PREFIX}{staff_id}"


# -- alerts --------------------------------------------------------------------------------
# The recipient id of an alert that had nobody to go to: no coordinator of its region and no fund administrator.
UNADDRESSED = "unaddressed"


def no_coordinator_reason(region: str | None) -> tuple[str, str]:
    """Why an alert went past the region's coordinators, (Dutch, English)."""
    if region:
        return (f"geen coördinator voor regio {region} in de personeelslijst",
                f"no coordinator for region {region} in the staff directory")
    return ("regio onbekend: geen coördinator te vinden in de personeelslijst",
            "region unknown: no coordinator to find in the staff directory")


def language_of(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def reminder_time(starts_at: datetime, hours_before: int | None, default_hours: int) -> datetime:
    """When the reminder goes out: a programme's own lead time, else the default."""
    return starts_at - timedelta(hours=hours_before or default_hours)


def invitation_reminder_time(invited_at: datetime, after_hours: int, starts_at: datetime | None) -> datetime | None:
    """When an invitee who has not answered hears again; None when that would be at or after the session's start."""
    when = invited_at + timedelta(hours=after_hours)
    return None if starts_at is not None and when >= starts_at else when


def invitation_reminder_key(session_id: str, person_id: str) -> str:
    """The one reminder to answer an invitation: keyed by session and person, never by event, so never twice."""
    return f"invitation-reminder:{session_id}:{person_id}"


def retry_delay(attempts: int, base_seconds: int, cap_seconds: int = 6 * 3600) -> timedelta:
    """Exponential backoff after `attempts` failed attempts: base, 2*base, 4*base, ... capped."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), cap_seconds))


# How long a delivery may wait for contact or session data that is still on its way.
CONTACT_WAIT = timedelta(hours=24)


def digest_period(now: datetime, every_days: int) -> str:
    """The digest period `now` falls in, as its first day; one digest per director per period."""
    day = now.date().toordinal()
    start = day - (day % every_days)
    return datetime.fromordinal(start).date().isoformat()


# -- drip campaigns ------------------------------------------------------------------------
CAMPAIGN_TRANSITIONS = {"active": ("paused", "stopped"), "paused": ("active", "stopped"), "stopped": ()}


class IllegalTransition(Exception):
    """A campaign state change its current state does not allow (the API answers 409 with both)."""

    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"a {current} campaign cannot become {wanted}")
        self.current = current
        self.allowed = list(CAMPAIGN_TRANSITIONS[current])


def campaign_transition(current: str, wanted: str) -> str:
    """Check a campaign state change; IllegalTransition naming the current state and allowed next states."""
    if wanted not in CAMPAIGN_TRANSITIONS[current]:
        raise IllegalTransition(current, wanted)
    return wanted


def step_times(joined_at: datetime, steps: list[dict[str, Any]]) -> list[datetime]:
    """When each step of a campaign goes out for someone who joined at `joined_at`."""
    return [joined_at + timedelta(days=s.get("offset_days", 0), hours=s.get("offset_hours", 0)) for s in steps]


def in_audience(job_level: str | None, job_levels: list[str]) -> bool:
    return job_level is not None and job_level in job_levels
