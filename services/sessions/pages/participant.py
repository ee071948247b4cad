"""A participant's calendar feed, reached from their signed link pages (no account).

A confirm, cancel or evaluate link proves who the participant is; its page
offers a calendar link signed for that person (action `calendar`, valid a
year, read-only), which a calendar app can subscribe to. It lists the
sessions the person holds a place in; an erased person's feed is gone.
"""

from __future__ import annotations

import uuid

from flask import Response, current_app, request, url_for
from werkzeug.exceptions import Forbidden, NotFound

from services.common.signed_links import InvalidLink, sign, verify
from services.sessions import db
from services.sessions.calendar import render
from services.sessions.pages.common import bp, service, settings

CALENDAR_TTL_S = 365 * 86400
LINK_ACTIONS = ("confirm", "cancel", "evaluate")


def calendar_link() -> str | None:
    """The calendar feed URL for the participant whose link this request carries; None without a valid one."""
    action = (request.view_args or {}).get("action")
    token = request.args.get("token") or request.form.get("token") or ""
    if action not in LINK_ACTIONS or not token:
        return None
    try:
        claims = verify(settings().link_secret, token, str(action))
        person_id = str(uuid.UUID(claims.subject.get("person_id", "")))
    except (InvalidLink, ValueError):
        return None
    feed = sign(settings().link_secret, "calendar", {"person_id": person_id}, CALENDAR_TTL_S)
    return url_for("session_pages.participant_calendar", token=feed, _external=False)


@bp.get("/participant/calendar.ics")
def participant_calendar() -> Response:
    """The sessions a participant holds a place in, as iCalendar; the signed token is the credential."""
    try:
        claims = verify(current_app.config["SETTINGS"].link_secret, request.args.get("token", ""), "calendar")
        person_id = uuid.UUID(claims.subject.get("person_id", ""))
    except (InvalidLink, ValueError):
        raise Forbidden("this calendar link is not valid") from None
    with service().pool.connection() as conn:
        if db.is_erased(conn, person_id):
            raise NotFound("no such calendar")
        sessions = db.feed_sessions(conn, "participant", str(person_id))
    return Response(render(sessions, "Mijn sessies"), mimetype="text/calendar",
                    headers={"Cache-Control": "private, max-age=300"})
