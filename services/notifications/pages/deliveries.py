"""The delivery log: every mail with its state and reason, filtered and paged on the server."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from marshmallow import ValidationError

from services.common.i18n import t
from services.common.lookup import found, uuid_or_404
from services.common.pages import render_page
from services.common.signin import require_page_roles
from services.notifications import schemas as s
from services.notifications.domain import KINDS, no_coordinator_reason
from services.notifications.pages.common import (
    DELIVERY_STATES,
    KIND_LABELS,
    PAGE_SIZE,
    field_errors,
    label,
    page_number,
    pages_of,
    reason,
    service,
)

blueprint = Blueprint("delivery_pages", __name__)
FILTERS = ("kind", "status", "session_id", "campaign_id")


def escalation(d: dict[str, Any]) -> str:
    """Where an alert went instead of the region's coordinators, and why; '' for any other delivery."""
    if not d.get("escalated_reason"):
        return ""
    nl, en = no_coordinator_reason(d.get("alert_region"))
    if d["status"] == "unaddressed":
        return t(f"Niemand om naar te sturen: {nl} en geen fondsbeheerder. Voeg een coördinator of fondsbeheerder"
                 " toe aan de personeelslijst.", f"Nobody to send it to: {en}, and no fund administrator."
                 " Add a coordinator or a fund administrator to the staff directory.")
    return t(f"Doorgestuurd naar de fondsbeheerders: {nl}.", f"Escalated to the fund administrators: {en}.")


@blueprint.get("/deliveries")
@require_page_roles("fund_admin")  # as GET /api/v1/deliveries
def deliveries() -> Response:
    """Newest first; filters by kind, state, session and a search on the recipient's name, address or id."""
    raw = {k: request.args[k].strip() for k in FILTERS if request.args.get(k, "").strip()}
    errors: dict[str, str] = {}
    try:
        filters = s.DeliveryQuery(only=FILTERS).load(raw)
    except ValidationError as exc:
        errors, filters = field_errors(exc), {}
    filters["recipient"] = request.args.get("q", "").strip()[:200]
    number = page_number()
    rows, total = service().deliveries(filters, PAGE_SIZE, (number - 1) * PAGE_SIZE, newest_first=True)
    kinds = sorted(((k, label(KIND_LABELS, k)) for k in KINDS), key=lambda kv: kv[1])
    states = [(k, label(DELIVERY_STATES, k)) for k in DELIVERY_STATES]
    return render_page("pages/deliveries.html.j2", status=422 if errors else 200, rows=rows, total=total,
                       page=number, pages=pages_of(total), kinds=kinds, states=states, errors=errors,
                       filtered=bool(raw or filters["recipient"]), kind_label=lambda k: label(KIND_LABELS, k),
                       state=lambda k: DELIVERY_STATES.get(k, (k, k, "neutral")), escalation=escalation,
                       reason=reason)


@blueprint.get("/deliveries/<delivery_id>")
@require_page_roles("fund_admin")  # as GET /api/v1/deliveries/{id}
def delivery(delivery_id: str) -> Response:
    row = found(service().delivery(uuid_or_404(delivery_id)))
    return render_page("pages/delivery.html.j2", d=row, kind_label=label(KIND_LABELS, row["kind"]),
                       state=DELIVERY_STATES.get(row["status"], (row["status"], row["status"], "neutral")),
                       escalation=escalation(row), title=t("Mail", "Mail"), reason=reason)
