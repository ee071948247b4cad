"""Calendar attachments (.ics, RFC 5545 / iTIP).

UID and SEQUENCE follow the one rule in services.common.calendar_identity,
shared with the sessions service's calendar feeds: a change notice updates the
entry people already have (from a mail or a feed), a cancellation removes it,
and calendars apply updates in order and ignore stale ones.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any

from icalendar import Calendar, Event, vCalAddress, vText

from services.common.calendar_identity import identify, intake_uid, session_uid
from services.notifications.rendering import label

PRODID = "-//progadmin//notifications//NL"
__all__ = ["intake_ics", "session_ics", "session_uid"]


def _calendar(method: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    return cal


def _people(entry: Event, mail_from: str, attendee: tuple[str, str] | None) -> None:
    name, address = parseaddr(mail_from)
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = vText(name or address)
    entry["organizer"] = organizer
    if attendee is not None:
        who = vCalAddress(f"mailto:{attendee[1]}")
        who.params["cn"] = vText(attendee[0])
        who.params["role"] = vText("REQ-PARTICIPANT")
        entry.add("attendee", who, encode=False)


def session_ics(session: dict[str, Any], programme_name: str, language: str, *, cancel: bool, mail_from: str,
                attendee: tuple[str, str] | None, now: datetime | None = None,
                description: str = "") -> bytes:
    """The session as a REQUEST (new or updated) or CANCEL."""
    cal = _calendar("CANCEL" if cancel else "REQUEST")
    entry = Event()
    identify(entry, session_uid(session["session_id"]), session["version"])
    entry.add("dtstamp", now or datetime.now(UTC))
    entry.add("dtstart", session["starts_at"].astimezone(UTC))
    entry.add("dtend", session["ends_at"].astimezone(UTC))
    entry.add("summary", f"{label(session['type'], language).capitalize()} - {programme_name}")
    location = session.get("online_url") if session["format"] == "online" else session.get("venue_address")
    entry.add("location", location or label(session["format"], language))
    if session["format"] == "online" and session.get("online_url"):
        entry.add("url", session["online_url"])
    if description:
        entry.add("description", description)
    entry.add("status", "CANCELLED" if cancel else "CONFIRMED")
    _people(entry, mail_from, attendee)
    cal.add_component(entry)
    return cal.to_ical()


def intake_ics(intake_id: str, scheduled_at: datetime, sequence: int, location: str | None, title: str,
               mail_from: str, attendee: tuple[str, str] | None, now: datetime | None = None) -> bytes:
    cal = _calendar("REQUEST")
    entry = Event()
    identify(entry, intake_uid(intake_id), sequence)
    entry.add("dtstamp", now or datetime.now(UTC))
    entry.add("dtstart", scheduled_at.astimezone(UTC))
    entry.add("dtend", scheduled_at.astimezone(UTC) + timedelta(hours=1))
    entry.add("summary", title)
    if location:
        entry.add("location", location)
    entry.add("status", "CONFIRMED")
    _people(entry, mail_from, attendee)
    cal.add_component(entry)
    return cal.to_ical()
