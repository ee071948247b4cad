"""Reporting's pages: the dashboard, the final report with its downloads, and webhook subscriptions.

Thin views over the same use cases (service.Reporting) and the same access
rules (access.py) as the API. Templates live in templates/pages/.
"""

from __future__ import annotations

from flask import Flask

from services.reporting.pages import reports, subscriptions

MODULES = (reports, subscriptions)


def register_pages(app: Flask) -> None:
    """Register the page blueprints at the service root (nginx adds /reporting at the origin)."""
    for module in MODULES:
        app.register_blueprint(module.blueprint)
