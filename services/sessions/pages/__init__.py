"""Sessions' pages for coordinators, facilitators and fund administrators (issue 11).

One blueprint at the service root (nginx adds `/sessions` at the origin):
/calendar, /sessions, /sessions/new, /sessions/<id> (+ /edit, /cancel, /attendance,
/evaluations), /evaluations, /alerts, /my-sessions and a participant's calendar feed.
The participants' link pages themselves are served by links.py in the same layout.
"""

from __future__ import annotations

from flask import Flask

from services.sessions.pages import lists, overview, participant, scheduling, session  # noqa: F401 (routes)
from services.sessions.pages.common import bp
from services.sessions.pages.participant import calendar_link


def register_pages(app: Flask) -> None:
    app.register_blueprint(bp)
    # The link pages (links.py) offer the participant's calendar feed through this.
    app.jinja_env.globals["participant_calendar_url"] = calendar_link
