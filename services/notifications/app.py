"""Notifications app factory: `gunicorn 'services.notifications.app:create_app()'`."""

from __future__ import annotations

from flask import Flask

from services.common.config import Settings
from services.common.web import create_service_app


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env("notifications")
    app, _api = create_service_app(
        settings, "progadmin notifications",
        "Programme mail in Dutch and English over SMTP, reminders, drip campaigns and the delivery log.")
    return app
