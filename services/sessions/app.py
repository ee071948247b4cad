"""Sessions app factory: `gunicorn 'services.sessions.app:create_app()'`."""

from __future__ import annotations

from flask import Flask

from services.common import audit_pages
from services.common.web import create_service_app
from services.sessions import privacy
from services.sessions.api import read_model, registrations, series, sessions
from services.sessions.calendar import CalendarFeeds, calendars
from services.sessions.links import links
from services.sessions.pages import register_pages
from services.sessions.service import Sessions
from services.sessions.settings import SessionsSettings


def create_app(settings: SessionsSettings | None = None) -> Flask:
    settings = settings or SessionsSettings.from_env()
    app, api = create_service_app(
        settings, "progadmin sessions",
        "Sessions by region, invitations, registrations, waiting lists, attendance and evaluations.")
    app.extensions["sessions"] = Sessions(settings, app.config["POOL"])
    app.extensions["sessions.calendars"] = CalendarFeeds(app.config["POOL"], settings.public_urls.get("sessions", ""))
    for blueprint in (sessions, series, registrations, read_model, calendars, links):
        api.register_blueprint(blueprint)
    register_pages(app)
    api.register_blueprint(privacy.blueprint)  # this service's part of a person's export
    audit_pages.register(app, api, "sessions")
    return app
