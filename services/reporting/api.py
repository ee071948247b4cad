"""Reporting's HTTP routes: figures, reports, the pull feed and webhook subscriptions."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta
from typing import Any

import orjson
from flask import Response, current_app, request, url_for
from flask_smorest import Blueprint
from werkzeug.exceptions import NotFound

from services.common import audit, signed_links
from services.common.auth import Principal, current_principal, require_roles
from services.common.lookup import found
from services.common.openapi_policy import page_responses
from services.common.schemas import PageQuery, offset_of, page
from services.reporting import exports
from services.reporting import schemas as s
from services.reporting.access import READERS, SUBSCRIBERS, may_see_company_report, report_for, scope
from services.reporting.pages.reports import company_report_page
from services.reporting.public_events import public_types
from services.reporting.service import Reporting

REPORT_LINK_ACTION = signed_links.COMPANY_REPORT  # the progress mail (notifications) makes these links too

figures = Blueprint("figures", __name__, url_prefix="/api/v1/figures", description="Programme figures")
programmes = Blueprint("programmes", __name__, url_prefix="/api/v1/programmes",
                       description="Programmes, their figures and the final report (slotrapportage)")
company_reports = Blueprint("company_reports", __name__, url_prefix="/api/v1/company-reports",
                            description="A company's report for its director, through a signed link")
feed = Blueprint("feed", __name__, url_prefix="/api/v1", description="The public event stream: pull feed and types")
subscriptions = Blueprint("subscriptions", __name__, url_prefix="/api/v1/subscriptions",
                          description="Webhook subscriptions of reporting consumers")


def _service() -> Reporting:
    service: Reporting = current_app.extensions["reporting"]
    return service


# -- figures ---------------------------------------------------------------------------------
@figures.get("/companies")
@require_roles(*READERS)
@figures.response(200, s.CompanyCounts)
def company_counts() -> dict[str, Any]:
    """Registered companies, in total and per region (coordinators: their regions)."""
    return _service().company_counts(scope(current_principal()))


@programmes.get("")
@require_roles(*READERS)
@programmes.arguments(PageQuery, location="query")
@programmes.response(200, s.ProgrammePage)
def list_programmes(query: dict[str, Any]) -> dict[str, Any]:
    """Programmes reporting knows of."""
    limit, offset = offset_of(query)
    rows, total = _service().programmes(limit, offset)
    return page(rows, total, query)


def _wanted_format(explicit: str | None) -> str:
    if explicit:
        return explicit
    best = request.accept_mimetypes.best_match(list(MIMETYPES.values()), default="application/json")
    return next(k for k, v in MIMETYPES.items() if v == best)


MIMETYPES = {"json": "application/json", "html": "text/html",
             "csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@programmes.get("/<uuid:programme_id>/final-report")
@require_roles(*READERS)
@programmes.arguments(s.ReportQuery, location="query")
@programmes.doc(responses={"200": {"description": "The final report as JSON, HTML (with SVG charts), CSV or XLSX",
                                   "content": {m: {} for m in MIMETYPES.values()}}})
def final_report(query: dict[str, Any], programme_id: uuid.UUID) -> Response:
    """The final report: sessions per type and region, companies started/withdrawn/completed, participants per
    session, attendance and its trend, follow-up adoption, evaluation averages (coordinators: their regions)."""
    principal = current_principal()
    report = _service().final_report(programme_id, scope(principal, query.get("region")))
    if report is None:
        raise NotFound("no such programme")
    report = report_for(principal, report, current_app.config["SETTINGS"].reporting_pseudonym_secret)
    wanted = _wanted_format(query.get("format"))
    name = f"slotrapportage-{programme_id}"
    if wanted == "html":
        return Response(exports.to_html(report), mimetype="text/html")
    if wanted == "csv":
        return Response(exports.to_csv(report), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if wanted == "xlsx":
        return Response(exports.to_xlsx(report), mimetype=MIMETYPES["xlsx"],
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    # orjson: a national programme's report is 12 MB of JSON, 0.2 s in json.dumps and 0.02 s here.
    return Response(orjson.dumps(report), mimetype="application/json")


@programmes.get("/<uuid:programme_id>/companies")
@require_roles("fund_admin", "coordinator")
@programmes.arguments(s.CompanyFiguresQuery, location="query")
@programmes.response(200, s.CompanyFiguresPage)
def company_figures(query: dict[str, Any], programme_id: uuid.UUID) -> dict[str, Any]:
    """Per company: delegates, sessions attended, drop-out, follow-up adoption (names: fund staff only)."""
    limit, offset = offset_of(query)
    regions = scope(current_principal(), [query["region"]] if query.get("region") else None)
    rows, total = _service().company_figures(programme_id, regions, limit, offset)
    return page(rows, total, query)


def _company_report(programme_id: uuid.UUID, company_id: uuid.UUID, principal: Principal | None) -> dict[str, Any]:
    report = _service().company_report(programme_id, company_id)
    if report is None or not may_see_company_report(principal, report):
        raise NotFound("no such company in this programme")
    return report


@programmes.get("/<uuid:programme_id>/companies/<uuid:company_id>/report")
@require_roles("fund_admin", "coordinator")
@programmes.arguments(s.ReportQuery, location="query")
def company_report(query: dict[str, Any], programme_id: uuid.UUID, company_id: uuid.UUID) -> Response:
    """One company's participation (JSON or HTML), as its director sees it."""
    report = _company_report(programme_id, company_id, current_principal())
    if _wanted_format(query.get("format")) == "html":
        return Response(exports.company_html(report), mimetype="text/html")
    return Response(json.dumps(report, ensure_ascii=False), mimetype="application/json")


@programmes.post("/<uuid:programme_id>/companies/<uuid:company_id>/report-links")
@require_roles("fund_admin")
@programmes.response(201, s.ReportLinkOut)
def create_report_link(programme_id: uuid.UUID, company_id: uuid.UUID) -> tuple[dict[str, Any], int]:
    """A signed, expiring link to the company report, for the director (who has no login)."""
    _company_report(programme_id, company_id, None)
    settings = current_app.config["SETTINGS"]
    ttl = settings.link_ttl_hours * 3600
    token = signed_links.sign(settings.link_secret, REPORT_LINK_ACTION,
                              {"programme_id": str(programme_id), "company_id": str(company_id)}, ttl)
    path = url_for("company_reports.view_company_report", token=token)
    expires_at = int(time.time()) + ttl
    # A link opens the report to whoever holds it: who issued one, for which company, is in the trail.
    audit.record_alone(current_app.config["POOL"], "company_report_link.create", "company", str(company_id),
                       {"programme_id": str(programme_id), "expires_at": expires_at})
    return {"url": settings.public_urls.get("reporting", "") + path, "expires_at": expires_at}, 201


@company_reports.get("/<token>")
@company_reports.doc(security=[], responses=page_responses())
def view_company_report(token: str) -> Response:
    """The company report behind a signed link (HTML; no bearer token)."""
    settings = current_app.config["SETTINGS"]
    try:
        claims = signed_links.verify(settings.link_secret, token, REPORT_LINK_ACTION)
        programme_id, company_id = uuid.UUID(claims.subject["programme_id"]), uuid.UUID(claims.subject["company_id"])
    except (signed_links.InvalidLink, KeyError, ValueError):
        raise NotFound("deze link is ongeldig of verlopen / this link is invalid or has expired") from None
    return company_report_page(_company_report(programme_id, company_id, None))


# -- the pull feed ---------------------------------------------------------------------------
@feed.get("/feed")
@require_roles(*SUBSCRIBERS)
@feed.arguments(s.FeedQuery, location="query")
@feed.response(200, s.FeedOut)
def pull_feed(query: dict[str, Any]) -> dict[str, Any]:
    """Public events after `after`, in position order; pass the returned `cursor` as `after` for the next page."""
    body = _service().feed(query["after"], query["page_size"], query.get("type"))
    args = {"after": body["cursor"], "page_size": query["page_size"]}
    if query.get("type"):
        args["type"] = query["type"]
    body["links"] = {"self": request.full_path.rstrip("?"), "next": url_for("feed.pull_feed", **args)}
    return body


@feed.get("/event-types")
@require_roles(*SUBSCRIBERS)
@feed.response(200, s.EventTypeList)
def event_types() -> dict[str, Any]:
    """Every public event type with its JSON Schema (also in schemas/asyncapi.yaml)."""
    from services.common.events import schema_path

    return {"items": [{"type": t.type, "schema": json.loads(schema_path(t.type).read_text())}
                      for t in sorted(public_types(), key=lambda t: t.type)]}


# -- subscriptions ---------------------------------------------------------------------------
@subscriptions.post("")
@require_roles(*SUBSCRIBERS)
@subscriptions.arguments(s.SubscriptionIn)
@subscriptions.response(201, s.CreatedSubscriptionOut)
def create_subscription(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Register an endpoint; the response carries the signing secret (shown only now)."""
    row = _service().create_subscription(current_principal(), body)
    return row, 201, {"Location": url_for("subscriptions.get_subscription", subscription_id=row["id"])}


@subscriptions.get("")
@require_roles(*SUBSCRIBERS)
@subscriptions.arguments(PageQuery, location="query")
@subscriptions.response(200, s.SubscriptionPage)
def list_subscriptions(query: dict[str, Any]) -> dict[str, Any]:
    """Your subscriptions (fund administrators: all)."""
    limit, offset = offset_of(query)
    rows, total = _service().subscriptions(current_principal(), limit, offset)
    return page(rows, total, query)


def _found(value: Any) -> Any:
    return found(value, "no such subscription")


@subscriptions.get("/<uuid:subscription_id>")
@require_roles(*SUBSCRIBERS)
@subscriptions.response(200, s.SubscriptionOut)
def get_subscription(subscription_id: uuid.UUID) -> dict[str, Any]:
    return _found(_service().subscription(current_principal(), subscription_id))


@subscriptions.delete("/<uuid:subscription_id>")
@require_roles(*SUBSCRIBERS)
@subscriptions.response(204)
def delete_subscription(subscription_id: uuid.UUID) -> None:
    if not _service().delete_subscription(current_principal(), subscription_id):
        raise NotFound("no such subscription")


@subscriptions.post("/<uuid:subscription_id>/activation")
@require_roles(*SUBSCRIBERS)
@subscriptions.response(200, s.SubscriptionOut)
def activate(subscription_id: uuid.UUID) -> dict[str, Any]:
    """Re-activate (e.g. after an automatic disable): pending deliveries resume in order."""
    return _found(_service().set_status(current_principal(), subscription_id, "active"))


@subscriptions.post("/<uuid:subscription_id>/deactivation")
@require_roles(*SUBSCRIBERS)
@subscriptions.response(200, s.SubscriptionOut)
def deactivate(subscription_id: uuid.UUID) -> dict[str, Any]:
    """Pause deliveries; events keep being queued and are delivered after activation."""
    return _found(
        _service().set_status(current_principal(), subscription_id, "disabled"))


@subscriptions.post("/<uuid:subscription_id>/secret-rotation")
@require_roles(*SUBSCRIBERS)
@subscriptions.arguments(s.SecretRotationIn)
@subscriptions.response(200, s.CreatedSubscriptionOut)
def rotate_secret(body: dict[str, Any], subscription_id: uuid.UUID) -> dict[str, Any]:
    """A new signing secret, shown only in this answer. The previous one keeps signing beside it (two
    signatures in `webhook-signature`) for `overlap_seconds`, so your receiver verifies while you switch."""
    return _found(_service().rotate_secret(current_principal(), subscription_id,
                                           timedelta(seconds=body["overlap_seconds"])))


@subscriptions.get("/<uuid:subscription_id>/deliveries")
@require_roles(*SUBSCRIBERS)
@subscriptions.arguments(s.DeliveryQuery, location="query")
@subscriptions.response(200, s.DeliveryPage)
def list_deliveries(query: dict[str, Any], subscription_id: uuid.UUID) -> dict[str, Any]:
    """The delivery log, newest first, with every attempt."""
    limit, offset = offset_of(query)
    rows, total = _found(_service().deliveries(current_principal(), subscription_id, query.get("status"), limit,
                                               offset))
    return page(rows, total, query)


@subscriptions.get("/<uuid:subscription_id>/deliveries/<uuid:delivery_id>")
@require_roles(*SUBSCRIBERS)
@subscriptions.response(200, s.DeliveryOut)
def get_delivery(subscription_id: uuid.UUID, delivery_id: uuid.UUID) -> dict[str, Any]:
    return _found(
        _service().delivery(current_principal(), subscription_id, delivery_id))


@subscriptions.post("/<uuid:subscription_id>/deliveries/<uuid:delivery_id>/redelivery")
@require_roles(*SUBSCRIBERS)
@subscriptions.response(201, s.DeliveryOut)
def redeliver(subscription_id: uuid.UUID, delivery_id: uuid.UUID) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Send a delivery's event again (as a new delivery)."""
    row = _found(_service().redeliver(current_principal(), subscription_id, delivery_id))
    return row, 201, {"Location": url_for("subscriptions.get_delivery", subscription_id=subscription_id,
                                          delivery_id=row["id"])}


@subscriptions.post("/<uuid:subscription_id>/replays")
@require_roles(*SUBSCRIBERS)
@subscriptions.arguments(s.ReplayIn)
@subscriptions.response(201, s.ReplayOut)
def replay(body: dict[str, Any], subscription_id: uuid.UUID) -> tuple[dict[str, Any], int]:
    """Deliver again every matching event since a point in time (`since`) or from a position."""
    return _found(_service().replay(current_principal(), subscription_id, body.get("since"),
                                    body.get("from_position"))), 201
