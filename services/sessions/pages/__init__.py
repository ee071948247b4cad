"""Sessions' pages for coordinators, facilitators and fund administrators (issue 11).

One blueprint at the service root (nginx adds `/sessions` at the origin):
/calendar, /sessions, /sessions/new, /sessions/series/new, /sessions/series/<id>, /sessions/<id> (+ /edit,
/cancel, /attendance, /evaluations, /decision), /evaluations, /alerts, /decisions, /my-sessions and a
participant's calendar feed.
The participants' link pages themselves are served by links.py in the same layout.
"""

from __future__ import annotations

from flask import Flask

from services.sessions.pages import (  # noqa: F401 (routes)
    decisions,
    lists,
    overview,
    participant,
    scheduling,
    series,
    session,
)
from services.sessions.pages.common import bp
from services.sessions.pages.participant import calendar_link


def register_pages(app: Flask) -> None:
    app.register_blueprint(bp)
    # The link pages (links.py) offer the participant's calendar feed through this.
    app.jinja_env.globals["participant_calendar_url"] = calendar_link
