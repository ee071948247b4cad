"""iCalendar (RFC 5545) feeds per region, facilitator or participant, behind unguessable tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, url_for
from flask_smorest import Blueprint
from icalendar import Calendar, Event
from psycopg_pool import ConnectionPool
from werkzeug.exceptions import NotFound

from services.common import audit
from services.common.auth import current_principal, require_roles
from services.common.calendar_identity import identify, session_uid
from services.common.db import unit_of_work
from services.common.session_types import TYPE_NL
from services.sessions import access, db, domain
from services.sessions.db import Row
from services.sessions.schemas import FeedIn, FeedOut

FORMAT_NL = {"on_site": "op locatie bij een bedrijf", "regional_venue": "regionale locatie", "online": "online"}

calendars = Blueprint("calendars", __name__, url_prefix="/api/v1",
                      description="iCalendar feeds: subscribe a calendar app to a region, facilitator or participant")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def render(sessions: list[Row], name: str) -> bytes:
    """A VCALENDAR with one VEVENT per session, local times with TZID and a VTIMEZONE."""
    cal = Calendar()
    cal.add("prodid", "-//progadmin//sessions//NL")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Amsterdam")
    stamp = datetime.now(UTC)
    for s in sessions:
        start = domain.local(s["starts_at"])
        event = Event()
        identify(event, session_uid(s["id"]), s["version"])  # the same entry as the mails' .ics
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", domain.local(domain.ends_at(s["starts_at"], s["duration_minutes"])))
        title = str(TYPE_NL.get(s["type"], s["type"]))
        if s["sequence_number"]:
            title += f" {s['sequence_number']}"
        event.add("summary", f"{title} ({s['region']})")
        event.add("status", "CANCELLED" if s["status"] == "cancelled" else "CONFIRMED"
                  if s["status"] in ("confirmed", "held") else "TENTATIVE")
        where = s["online_url"] if s["format"] == "online" else s["venue_address"]
        if where:
            event.add("location", where)
        if s["format"] == "online" and s["online_url"]:
            event.add("url", s["online_url"])
        details = [f"Vorm / format: {FORMAT_NL[s['format']]}"]
        if s["working_method"]:
            details.append(f"Werkvorm / working method: {s['working_method']}")
        event.add("description", "\n".join(details))
        cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


class CalendarFeeds:
    def __init__(self, pool: ConnectionPool, public_url: str) -> None:
        self.pool = pool
        self.public_url = public_url.rstrip("/")

    def regions_of_person(self, person_id: str) -> set[str]:
        with self.pool.connection() as conn:
            return db.delegate_regions(conn, person_id)

    def feed(self, feed_id: uuid.UUID) -> Row | None:
        with self.pool.connection() as conn:
            return db.get_feed(conn, feed_id)

    def create(self, created_by: str, kind: str, subject: str) -> Row:
        """A new feed (access.may_create_feed has said the creator may)."""
        token = secrets.token_urlsafe(32)
        with unit_of_work(self.pool) as conn:
            row = db.insert_feed(conn, uuid.uuid4(), token_hash(token), kind, subject, created_by)
            audit.record(conn, "calendar_feed.create", "calendar_feed", str(row["id"]), {"kind": kind})
        return {**row, "token": token, "url": f"{self.public_url}/api/v1/calendars/{token}.ics"}

    def revoke(self, feed_id: uuid.UUID) -> None:
        with unit_of_work(self.pool) as conn:
            db.revoke_feed(conn, feed_id)
            audit.record(conn, "calendar_feed.revoke", "calendar_feed", str(feed_id))

    def ics(self, token: str) -> bytes:
        with self.pool.connection() as conn:
            feed = db.feed_by_hash(conn, token_hash(token))
            if feed is None:
                raise NotFound("no such calendar")
            sessions = db.feed_sessions(conn, feed["kind"], feed["subject"])
        names = {"region": f"Sessies regio {feed['subject']}", "facilitator": "Mijn sessies als begeleider",
                 "participant": "Mijn sessies"}
        return render(sessions, names[feed["kind"]])


def _feeds() -> CalendarFeeds:
    feeds: CalendarFeeds = current_app.extensions["sessions.calendars"]
    return feeds


@calendars.post("/calendar-feeds")
@require_roles("fund_admin", "coordinator", "facilitator")
@calendars.arguments(FeedIn)
@calendars.response(201, FeedOut)
def create_feed(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Create a feed; the answer carries the secret URL once (only a hash of its token is kept)."""
    principal = current_principal()
    access.may_create_feed(principal, body["kind"], body["subject"], _feeds().regions_of_person)
    row = _feeds().create(principal.subject, body["kind"], body["subject"])
    return row, 201, {"Location": url_for("calendars.get_calendar", token=row["token"])}


@calendars.delete("/calendar-feeds/<uuid:feed_id>")
@require_roles("fund_admin", "coordinator", "facilitator")
@calendars.response(204)
def revoke_feed(feed_id: uuid.UUID) -> None:
    """Revoke a feed: its URL stops working."""
    access.may_revoke_feed(current_principal(), _feeds().feed(feed_id))
    _feeds().revoke(feed_id)


@calendars.get("/calendars/<string:token>.ics")
@calendars.doc(security=[], responses={"200": {"description": "text/calendar (RFC 5545)"}})
def get_calendar(token: str) -> Response:
    """The feed itself; the token in the URL is the credential (no bearer token)."""
    return Response(_feeds().ics(token), mimetype="text/calendar",
                    headers={"Cache-Control": "private, max-age=300"})
