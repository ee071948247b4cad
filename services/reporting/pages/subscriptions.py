"""A reporting consumer's webhook subscriptions: create, activate, deactivate, rotate the secret, delete, and their
delivery state.

The use cases are the API's (service.Reporting), with the caller as the
principal, so a consumer sees only their own subscriptions (others' are 404)
and fund administrators see all.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, flash, redirect, request, url_for
from marshmallow import ValidationError
from werkzeug.wrappers import Response as WerkzeugResponse

from services.common.i18n import t
from services.common.lookup import found, uuid_or_404
from services.common.pages import PAGE_SIZE, page_number, pages_of, render_page
from services.common.problems import Conflict, InvalidInput
from services.common.signin import require_page_roles
from services.reporting import schemas as s
from services.reporting.access import SUBSCRIBERS
from services.reporting.pages.common import principal, service
from services.reporting.public_events import public_type_names
from services.reporting.webhooks import DEFAULT_SECRET_OVERLAP

blueprint = Blueprint("subscription_pages", __name__)
DELIVERIES_SHOWN = 20
STATES = {"active": ("Actief", "Active", "success"), "disabled": ("Gepauzeerd", "Paused", "warning")}
DELIVERY_STATES = {"pending": ("Wacht op aflevering", "Pending", "neutral"),
                   "delivered": ("Afgeleverd", "Delivered", "success")}
MESSAGES = {
    "Missing data for required field.": ("Vul het adres van uw endpoint in.", "Enter your endpoint's address."),
    "Length must be between 1 and 2000.": ("Vul het adres van uw endpoint in (hoogstens 2000 tekens).",
                                           "Enter your endpoint's address (at most 2000 characters)."),
    "Longer than maximum length 500.": ("Houd de omschrijving korter dan 500 tekens.",
                                        "Keep the description under 500 characters."),
}


def _types() -> list[tuple[str, str]]:
    """Public event types with a short name (progadmin.reporting.PublicCompanyAdmitted.v1: CompanyAdmitted)."""
    return [(name, name.split(".")[-2].removeprefix("Public")) for name in sorted(public_type_names())]


@blueprint.get("/subscriptions")
@require_page_roles(*SUBSCRIBERS)  # as GET /api/v1/subscriptions
def subscriptions() -> Response:
    number = page_number()
    rows, total = service().subscriptions(principal(), PAGE_SIZE, (number - 1) * PAGE_SIZE)
    return render_page("pages/subscriptions.html.j2", rows=rows, total=total, page=number,
                       pages=pages_of(total), states=STATES,
                       all_owners=principal().has("fund_admin"))


def _form(values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Response:
    return render_page("pages/subscription_form.html.j2", status=status, values=values, errors=errors,
                       types=_types())


@blueprint.get("/subscriptions/new")
@require_page_roles(*SUBSCRIBERS)
def new_subscription() -> Response:
    return _form({}, {})


@blueprint.post("/subscriptions/new")
@require_page_roles(*SUBSCRIBERS)  # as POST /api/v1/subscriptions
def create_subscription() -> Response:
    values = {"url": request.form.get("url", "").strip(), "description": request.form.get("description", "").strip(),
              "event_types": request.form.getlist("event_types")}
    try:
        body = s.SubscriptionIn().load(values)
        created = service().create_subscription(principal(), body)
    except ValidationError as exc:
        return _form(values, _errors(exc.messages), 422)
    except InvalidInput as exc:
        return _form(values, _errors({p["name"].split(".")[0]: [p["reason"]]
                                      for p in exc.extra.get("invalid_params", [])}), 422)
    # The secret is shown once, on this answer, and never stored in the session or a redirect.
    return render_page("pages/subscription_created.html.j2", status=201, sub=created)


def _errors(messages: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in (messages or {}).items():
        text = value[0] if isinstance(value, list) and value else (
            next(iter(value.values()))[0] if isinstance(value, dict) else str(value))
        nl_en = MESSAGES.get(str(text))
        if nl_en:
            out[name] = t(*nl_en)
        elif name == "url":
            out[name] = t("Dit adres wordt niet geaccepteerd", "This address is not accepted") + f": {text}"
        elif name == "event_types":
            out[name] = t("Kies alleen soorten uit de lijst", "Choose only types from the list") + f": {text}"
        else:
            out[name] = str(text)
    return out


def _subscription(subscription_id: str) -> dict[str, Any]:
    """The subscription if this person may manage it (owner or fund administrator); else 404, as the API."""
    return found(service().subscription(principal(), uuid_or_404(subscription_id)))


@blueprint.get("/subscriptions/<subscription_id>")
@require_page_roles(*SUBSCRIBERS)  # as GET /api/v1/subscriptions/{id} and its deliveries
def subscription(subscription_id: str) -> Response:
    sub = _subscription(subscription_id)
    number = page_number()
    found = service().deliveries(principal(), sub["id"], None, DELIVERIES_SHOWN, (number - 1) * DELIVERIES_SHOWN)
    rows, total = found if found is not None else ([], 0)
    until = sub.get("previous_secret_expires_at")
    return render_page("pages/subscription.html.j2", sub=sub, state=STATES[sub["status"]], deliveries=rows,
                       previous_until=until if until and until > service().clock() else None,
                       total=total, page=number, pages=max((total + DELIVERIES_SHOWN - 1) // DELIVERIES_SHOWN, 1),
                       delivery_states=DELIVERY_STATES, type_names=dict(_types()))


@blueprint.post("/subscriptions/<subscription_id>/<any(activation, deactivation):change>")
@require_page_roles(*SUBSCRIBERS)  # as POST /api/v1/subscriptions/{id}/activation|deactivation
def change(subscription_id: str, change: str) -> WerkzeugResponse:
    sub = _subscription(subscription_id)
    try:
        service().set_status(principal(), sub["id"], "active" if change == "activation" else "disabled")
    except Conflict:
        flash(t("Dit abonnement had die status al.", "This subscription was in that state already."), "warning")
    else:
        flash(t("Abonnement geactiveerd: wachtende berichten worden nu op volgorde afgeleverd.",
                "Subscription activated: waiting events are now delivered in order.") if change == "activation"
              else t("Abonnement gepauzeerd: nieuwe berichten wachten tot u het weer activeert.",
                     "Subscription paused: new events wait until you activate it again."), "success")
    return redirect(url_for("subscription_pages.subscription", subscription_id=sub["id"]), code=303)


@blueprint.get("/subscriptions/<subscription_id>/secret-rotation")
@require_page_roles(*SUBSCRIBERS)
def confirm_rotation(subscription_id: str) -> Response:
    return render_page("pages/subscription_rotate.html.j2", sub=_subscription(subscription_id))


@blueprint.post("/subscriptions/<subscription_id>/secret-rotation")
@require_page_roles(*SUBSCRIBERS)  # as POST /api/v1/subscriptions/{id}/secret-rotation
def rotate_secret(subscription_id: str) -> Response:
    sub = _subscription(subscription_id)
    overlap = timedelta(0) if request.form.get("revoke_now") else DEFAULT_SECRET_OVERLAP
    rotated = found(service().rotate_secret(principal(), sub["id"], overlap))
    # As at creation: the new secret is on this answer only, never in the session or a redirect.
    return render_page("pages/subscription_rotated.html.j2", sub=rotated)


@blueprint.get("/subscriptions/<subscription_id>/delete")
@require_page_roles(*SUBSCRIBERS)
def confirm_delete(subscription_id: str) -> Response:
    return render_page("pages/subscription_delete.html.j2", sub=_subscription(subscription_id))


@blueprint.post("/subscriptions/<subscription_id>/delete")
@require_page_roles(*SUBSCRIBERS)  # as DELETE /api/v1/subscriptions/{id}
def delete(subscription_id: str) -> WerkzeugResponse:
    sub = _subscription(subscription_id)
    service().delete_subscription(principal(), sub["id"])
    flash(t("Abonnement verwijderd. Er worden geen berichten meer naar dit adres gestuurd.",
            "Subscription deleted. No more events are sent to this address."), "success")
    return redirect(url_for("subscription_pages.subscriptions"), code=303)
