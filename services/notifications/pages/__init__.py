"""Notifications' pages for the fund's staff: delivery log, campaigns, template previews, staff directory.

Thin views over the same use cases (service.Notifications) and schemas the
API uses; the roles per page are the API's (`require_page_roles` with the
same roles as `require_roles` on the matching route). Templates live in
templates/pages/ so they never mix with the mail templates.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from services.notifications.pages import campaigns, deliveries, mail_templates, staff

MODULES = (deliveries, campaigns, mail_templates, staff)


def register_pages(app: Flask) -> None:
    """Register every page blueprint at the service root (nginx adds /notifications at the origin)."""
    for module in MODULES:
        blueprint: Blueprint = module.blueprint
        app.register_blueprint(blueprint)
