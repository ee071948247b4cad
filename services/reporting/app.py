"""Reporting's app factory: `gunicorn 'services.reporting.app:create_app()'`."""

from __future__ import annotations

from flask import Flask

from services.common import audit_pages
from services.common.web import create_service_app
from services.reporting import privacy
from services.reporting.api import company_reports, feed, figures, programmes, subscriptions
from services.reporting.pages import register_pages
from services.reporting.service import Reporting
from services.reporting.settings import ReportingSettings


def create_app(settings: ReportingSettings | None = None) -> Flask:
    settings = settings or ReportingSettings.from_env()
    app, api = create_service_app(settings, "progadmin reporting",
                                  "Projections, the final report and event subscriptions for reporting consumers.")
    app.extensions["reporting"] = Reporting(settings, app.config["POOL"])
    for blueprint in (figures, programmes, company_reports, feed, subscriptions):
        api.register_blueprint(blueprint)
    register_pages(app)
    api.register_blueprint(privacy.blueprint)  # this service's part of a person's export
    audit_pages.register(app, api, "reporting")
    return app
