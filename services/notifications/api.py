"""Notifications' HTTP routes: delivery log, staff directory, campaigns, suppressions, templates, unsubscribe."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, current_app, request, url_for
from flask_smorest import Blueprint
from markupsafe import escape
from werkzeug.exceptions import NotFound

from services.common.auth import require_roles
from services.common.lookup import found
from services.common.openapi_policy import page_responses
from services.common.problems import Conflict
from services.common.schemas import PageQuery, offset_of, page
from services.common.signed_links import InvalidLink, verify
from services.notifications import schemas as s
from services.notifications.domain import KINDS, IllegalTransition
from services.notifications.rendering import template_names
from services.notifications.service import Notifications

Body = dict[str, Any]
Created = tuple[Body, int, dict[str, str]]

deliveries = Blueprint("deliveries", __name__, url_prefix="/api/v1/deliveries",
                       description="The delivery log: every mail, its status, attempts and last error")
staff = Blueprint("staff", __name__, url_prefix="/api/v1/staff",
                  description="Staff directory: coordinators per region, facilitators and fund administrators"
                              " (alerts of a region without coordinator), for alerts and session mail")
campaigns = Blueprint("campaigns", __name__, url_prefix="/api/v1/campaigns",
                      description="Drip campaigns: named sequences of mails at offsets after delegation")
suppressions = Blueprint("suppressions", __name__, url_prefix="/api/v1/suppressions",
                         description="People who receive no optional mail (digests, drips)")
templates = Blueprint("templates", __name__, url_prefix="/api/v1/templates",
                      description="Mail templates per kind and language, with previews on sample data")
unsubscribe = Blueprint("unsubscribe", __name__, url_prefix="/api/v1/unsubscribe",
                        description="Signed unsubscribe links in optional mail (no login)")


def _service() -> Notifications:
    service: Notifications = current_app.extensions["notifications"]
    return service


# -- delivery log -------------------------------------------------------------------------
@deliveries.get("")
@require_roles("fund_admin")
@deliveries.arguments(s.DeliveryQuery, location="query")
@deliveries.response(200, s.DeliveryPage)
def list_deliveries(query: Body) -> Body:
    """Deliveries, oldest first; filter by recipient, kind, status, session, company or campaign."""
    limit, offset = offset_of(query)
    rows, total = _service().deliveries(query, limit, offset)
    return page(rows, total, query)


@deliveries.get("/<uuid:delivery_id>")
@require_roles("fund_admin")
@deliveries.response(200, s.DeliveryOut)
def get_delivery(delivery_id: uuid.UUID) -> Body:
    """One delivery."""
    return found(_service().delivery(delivery_id), "no such delivery")


# -- staff directory ----------------------------------------------------------------------
@staff.get("")
@require_roles("fund_admin", "coordinator")
@staff.arguments(s.StaffQuery, location="query")
@staff.response(200, s.StaffPage)
def list_staff(query: Body) -> Body:
    """Coordinators and facilitators; filter by role and region."""
    limit, offset = offset_of(query)
    rows, total = _service().list_staff(query.get("role"), query.get("region"), limit, offset)
    return page(rows, total, query)


@staff.put("/<string:staff_id>")
@require_roles("fund_admin")
@staff.arguments(s.StaffIn)
@staff.response(200, s.StaffOut)
@staff.alt_response(201, schema=s.StaffOut, description="Created")
def put_staff(body: Body, staff_id: str) -> tuple[Body, int]:
    """Create or replace a staff member under the id other services use (facilitator ids in sessions)."""
    row, created = _service().put_staff(staff_id, body)
    return row, 201 if created else 200


@staff.get("/<string:staff_id>")
@require_roles("fund_admin", "coordinator")
@staff.response(200, s.StaffOut)
def get_staff(staff_id: str) -> Body:
    return found(_service().staff(staff_id), "no such staff member")


@staff.delete("/<string:staff_id>")
@require_roles("fund_admin")
@staff.response(204)
def delete_staff(staff_id: str) -> None:
    """Remove a staff member; their queued mail fails for lack of an address."""
    if not _service().delete_staff(staff_id):
        raise NotFound("no such staff member")


# -- campaigns ----------------------------------------------------------------------------
@campaigns.post("")
@require_roles("fund_admin")
@campaigns.arguments(s.CampaignIn)
@campaigns.response(201, s.CampaignOut)
def create_campaign(body: Body) -> Created:
    """Define a campaign; delegates at the given job levels join it (existing ones from now)."""
    row = _service().create_campaign(body)
    return row, 201, {"Location": url_for("campaigns.get_campaign", campaign_id=row["id"])}


@campaigns.get("")
@require_roles("fund_admin")
@campaigns.arguments(s.CampaignQuery, location="query")
@campaigns.response(200, s.CampaignPage)
def list_campaigns(query: Body) -> Body:
    limit, offset = offset_of(query)
    rows, total = _service().campaigns(query.get("status"), limit, offset)
    return page(rows, total, query)


@campaigns.get("/<uuid:campaign_id>")
@require_roles("fund_admin")
@campaigns.response(200, s.CampaignOut)
def get_campaign(campaign_id: uuid.UUID) -> Body:
    return found(_service().campaign(campaign_id), "no such campaign")


def _transition(campaign_id: uuid.UUID, wanted: str) -> Body:
    try:
        row = _service().change_campaign(campaign_id, wanted)
    except IllegalTransition as exc:
        raise Conflict(str(exc), current_state=exc.current, allowed_next_states=exc.allowed) from None
    return found(row, "no such campaign")


@campaigns.post("/<uuid:campaign_id>/pause")
@require_roles("fund_admin")
@campaigns.response(200, s.CampaignOut)
def pause_campaign(campaign_id: uuid.UUID) -> Body:
    """Pause: queued mails wait (and go out late) until the campaign resumes."""
    return _transition(campaign_id, "paused")


@campaigns.post("/<uuid:campaign_id>/resumption")
@require_roles("fund_admin")
@campaigns.response(200, s.CampaignOut)
def resume_campaign(campaign_id: uuid.UUID) -> Body:
    return _transition(campaign_id, "active")


@campaigns.post("/<uuid:campaign_id>/stop")
@require_roles("fund_admin")
@campaigns.response(200, s.CampaignOut)
def stop_campaign(campaign_id: uuid.UUID) -> Body:
    """Stop for good: queued mails are cancelled."""
    return _transition(campaign_id, "stopped")


# -- suppressions -------------------------------------------------------------------------
@suppressions.get("")
@require_roles("fund_admin")
@suppressions.arguments(PageQuery, location="query")
@suppressions.response(200, s.SuppressionPage)
def list_suppressions(query: Body) -> Body:
    limit, offset = offset_of(query)
    rows, total = _service().suppressions(limit, offset)
    return page(rows, total, query)


@suppressions.post("")
@require_roles("fund_admin")
@suppressions.arguments(s.SuppressionIn)
@suppressions.response(201, s.SuppressionOut)
def add_suppression(body: Body) -> Body:
    """Stop optional mail to a person (mandatory mail still goes out)."""
    return _service().suppress(body["person_id"], body["reason"])


@suppressions.delete("/<string:person_id>")
@require_roles("fund_admin")
@suppressions.response(204)
def remove_suppression(person_id: str) -> None:
    if not _service().unsuppress(person_id):
        raise NotFound("no such suppression")


# -- templates ----------------------------------------------------------------------------
@templates.get("")
@require_roles("fund_admin")
@templates.response(200, s.TemplateOut(many=True))
def list_templates() -> list[Body]:
    """Every mail kind with its audience, whether it is optional, and its languages."""
    names = template_names()
    return [{"kind": k.name, "audience": k.audience, "optional": k.optional,
             "languages": [lang for kind, lang in names if kind == k.name]} for k in KINDS.values()]


@templates.get("/<string:kind>/preview")
@require_roles("fund_admin")
@templates.arguments(s.PreviewQuery, location="query")
@templates.response(200, s.PreviewOut)
def preview_template(query: Body, kind: str) -> Body:
    """Render a template with sample data."""
    if kind not in KINDS:
        raise NotFound("no such mail kind")
    rendered, attachments = _service().preview(kind, query["language"])
    return {"kind": kind, "language": query["language"], "subject": rendered.subject, "text": rendered.text,
            "html": rendered.html, "attachments": attachments}


# -- unsubscribe (signed link) ------------------------------------------------------------
PAGE = """<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family: Arial, sans-serif; max-width: 640px">{body}</body></html>"""


def _page(title: str, body: str, status: int = 200) -> Response:
    return Response(PAGE.format(title=escape(title), body=body), status=status, mimetype="text/html")


def _bad_link(exc: InvalidLink) -> Response:
    return _page("Ongeldige link / Invalid link",
                 "<h1>Deze link werkt niet (meer)</h1><p>Neem contact op met het programmabureau.</p>"
                 "<h2>This link does not work (any more)</h2><p>Please contact the programme office.</p>"
                 f"<p><small>{escape(exc.reason)}</small></p>", 400)


@unsubscribe.route("", methods=["GET"])
@unsubscribe.doc(security=[], parameters=[{"in": "query", "name": "token", "required": True,
                                           "schema": {"type": "string"}}], responses=page_responses())
def unsubscribe_page() -> Response:
    """Confirm page for the unsubscribe link (a GET changes nothing: link scanners follow GETs)."""
    token = request.args.get("token", "")
    try:
        verify(current_app.config["SETTINGS"].link_secret, token, "unsubscribe")
    except InvalidLink as exc:
        return _bad_link(exc)
    action = f"{url_for('unsubscribe.unsubscribe_page')}?token={escape(token)}"
    return _page("Afmelden / Unsubscribe",
                 "<h1>Afmelden voor voortgangsberichten en inspiratiemails</h1>"
                 "<p>Uitnodigingen, herinneringen en wijzigingen van sessies blijft u ontvangen.</p>"
                 f'<form method="post" action="{action}"><button type="submit">Afmelden</button></form>'
                 "<h2>Unsubscribe from progress updates and inspiration mails</h2>"
                 "<p>You will still receive invitations, reminders and session changes.</p>"
                 f'<form method="post" action="{action}"><button type="submit">Unsubscribe</button></form>')


@unsubscribe.route("", methods=["POST"])
@unsubscribe.doc(security=[], parameters=[{"in": "query", "name": "token", "required": True,
                                           "schema": {"type": "string"}}], responses=page_responses())
def unsubscribe_now() -> Response:
    """Unsubscribe (the page's button, or RFC 8058 one-click from the mail client)."""
    try:
        _service().unsubscribe(request.args.get("token", ""))
    except InvalidLink as exc:
        return _bad_link(exc)
    return _page("Afgemeld / Unsubscribed",
                 "<h1>U bent afgemeld</h1><p>U ontvangt geen voortgangsberichten en inspiratiemails meer.</p>"
                 "<h2>You have been unsubscribed</h2><p>You will receive no more progress updates and "
                 "inspiration mails.</p>")


BLUEPRINTS = (deliveries, staff, campaigns, suppressions, templates, unsubscribe)
