"""Sessions app factory: `gunicorn 'services.sessions.app:create_app()'`."""

from __future__ import annotations

from flask import Flask

from services.common.config import Settings
from services.common.web import create_service_app


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env("sessions")
    app, _api = create_service_app(
        settings, "progadmin sessions",
        "Sessions by region, invitations, registrations, waiting lists, attendance and evaluations.")
    return app
