"""What every enrolment page shares: the blueprint, the signed-in person, the service, paging, labels."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, current_app, flash, g
from werkzeug.exceptions import NotFound

from services.common.i18n import t
from services.common.pages import PAGE_SIZE as PAGE_SIZE  # the enrolment pages take these from here
from services.common.pages import page_number as page_number
from services.common.pages import pages_of as pages_of
from services.common.signin import page_principal, signed_in
from services.enrolment.pages import labels
from services.enrolment.service import Enrolment

Row = dict[str, Any]

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


def programme_or_404(programme_id: Any) -> Row:
    try:
        return service().programmes.programme(programme_id)
    except NotFound:
        raise NotFound("no such programme") from None


def saved(nl: str, en: str) -> None:
    flash(t(nl, en), "success")
