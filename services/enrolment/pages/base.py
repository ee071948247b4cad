"""What every enrolment page shares: the blueprint, the signed-in person, the service, paging, labels."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, current_app, flash, g, request
from werkzeug.exceptions import NotFound

from services.common.i18n import t
from services.common.signin import page_principal, signed_in
from services.enrolment.pages import labels
from services.enrolment.service import Enrolment

Row = dict[str, Any]
PAGE_SIZE = 25

blueprint = Blueprint("enrolment_pages", __name__)


@blueprint.before_request
def _audit_as_the_signed_in_person() -> None:
    # The use cases write the audit row with g.principal (the API's caller); on a page that is the
    # person signed in, so the audit trail names them, not "system".
    principal = page_principal()
    if principal is not None:
        g.principal = principal


@blueprint.app_template_global()
def label(kind: str, code: str | None) -> str:
    return labels.label(kind, code)


@blueprint.app_template_global()
def missing_text(item: str) -> str:
    return labels.missing_text(item)


@blueprint.app_template_global()
def audit_details(details: dict[str, object]) -> str:
    return labels.audit_details(details)


@blueprint.app_template_global()
def state_badge_kind(state: str) -> str:
    return labels.STATE_KIND.get(state, "neutral")


@blueprint.app_template_global()
def programme_badge_kind(status: str) -> str:
    return labels.PROGRAMME_KIND.get(status, "neutral")


def service() -> Enrolment:
    return cast(Enrolment, current_app.extensions["enrolment"])


me = signed_in


def is_admin() -> bool:
    return me().has("fund_admin")


def page_number(param: str = "page") -> int:
    """The requested page (1 when absent or nonsense; never beyond the database's offset range)."""
    value = request.args.get(param, "1")
    return min(int(value), 1_000_000) if value.isdigit() and int(value) >= 1 else 1


def pages_of(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // size))


def programme_or_404(programme_id: Any) -> Row:
    try:
        return service().programmes.programme(programme_id)
    except NotFound:
        raise NotFound("no such programme") from None


def saved(nl: str, en: str) -> None:
    flash(t(nl, en), "success")
