"""Notifications app factory: `gunicorn 'services.notifications.app:create_app()'`."""

from __future__ import annotations

from flask import Flask

from services.common import audit_pages
from services.common.web import create_service_app
from services.notifications import privacy
from services.notifications.api import BLUEPRINTS
from services.notifications.clock import Clock
from services.notifications.pages import register_pages
from services.notifications.service import Notifications
from services.notifications.settings import NotificationsSettings


def create_app(settings: NotificationsSettings | None = None, clock: Clock | None = None) -> Flask:
    settings = settings or NotificationsSettings.from_env()
    app, api = create_service_app(
        settings, "progadmin notifications",
        "Programme mail in Dutch and English over SMTP, reminders, drip campaigns and the delivery log.")
    app.extensions["notifications"] = Notifications(settings, app.config["POOL"], clock)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    register_pages(app)
    api.register_blueprint(privacy.blueprint)  # this service's part of a person's export
    audit_pages.register(app, api, "notifications")
    return app
