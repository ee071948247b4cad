"""Enrolment's app factory: `gunicorn 'services.enrolment.app:create_app()'`."""

from __future__ import annotations

from flask import Flask

from services.common.web import create_service_app
from services.enrolment import pages, privacy_api
from services.enrolment.api import BLUEPRINTS
from services.enrolment.service import Enrolment
from services.enrolment.settings import EnrolmentSettings


def create_app(settings: EnrolmentSettings | None = None) -> Flask:
    settings = settings or EnrolmentSettings.from_env()
    app, api = create_service_app(
        settings, "progadmin enrolment",
        "Programmes, companies, director intake interviews (the commitment gate), delegates, withdrawal, "
        "follow-up, privacy (export, erasure) and the audit trail.")
    app.extensions["enrolment"] = Enrolment(settings, app.config["POOL"])
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    api.register_blueprint(privacy_api.blueprint)  # a person's export from all four services
    app.register_blueprint(pages.blueprint)
    return app
