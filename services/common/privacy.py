"""A data subject's access request across the four services: one request gathers every service's own export.

Each service answers only for its own tables, at the same route
(`GET /api/v1/persons/<id>/export`, fund administrators only). Enrolment's
complete export calls the other three there and returns one document with a
section per service.

How the calls are authenticated: with the fund administrator's own access
token, passed on unchanged (the pages' session holds the same token the API
takes). Every service already accepts it (same issuer and audience) and checks
the role itself, so no service account and no new secret is needed, nobody
can reach more through the gathering than by calling each service, and each
service's audit row names the administrator who asked, not a robot.

A service that does not answer, or answers anything but 200, makes the whole
export fail with a problem naming that service (502 or 503): a partial export
would look complete to the person who receives it.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID

import psycopg
from flask import current_app, session
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from werkzeug.exceptions import Unauthorized

from services.common import audit, context
from services.common.auth import bearer_token, require_roles
from services.common.config import SERVICES, Settings
from services.common.db import unit_of_work
from services.common.problems import Problem

EXPORT_PATH = "/api/v1/persons/{person_id}/export"
CALL_TIMEOUT_S = 20.0
Section = dict[str, Any]


class ExportIncomplete(Problem):
    """A service could not give its part: the export is refused rather than handed out partial."""

    def __init__(self, service: str, status: int, detail: str, upstream_status: int | None = None) -> None:
        super().__init__(status, "Export incomplete", f"{service} could not export its data: {detail}",
                         kind="export-incomplete", service=service, upstream_status=upstream_status)


def internal_url(settings: Settings, service: str) -> str:
    """Where this service reaches `service` (`PROGADMIN_<SERVICE>_INTERNAL_URL`; by default its public URL)."""
    return (os.environ.get(f"PROGADMIN_{service.upper()}_INTERNAL_URL") or settings.public_urls.get(service, "")
            ).rstrip("/")


def caller_token() -> str:
    """The access token of the request being served: its bearer token, or the signed-in page's session token."""
    token = bearer_token()
    if token is None:
        # Imported here: signin's session key is the one place the pages keep their tokens.
        from services.common.signin import SESSION_KEY
        tokens = session.get(SESSION_KEY)
        token = str(tokens["at"]) if isinstance(tokens, dict) and tokens.get("at") else None
    if token is None:
        raise Unauthorized("a bearer token is required")
    return token


def fetch_section(settings: Settings, service: str, person_id: UUID, token: str, correlation: str | None = None,
                  timeout_s: float = CALL_TIMEOUT_S) -> Section:
    """One service's own export of the person; ExportIncomplete for anything but a 200 with a JSON object."""
    base = internal_url(settings, service)
    if not base:
        raise ExportIncomplete(service, 503, "no address is configured for it")
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if correlation:
        headers["X-Correlation-ID"] = correlation
    request = urllib.request.Request(base + EXPORT_PATH.format(person_id=person_id), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 (configured URL)
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            detail = str(json.loads(error.read()).get("detail") or error.reason)
        except (ValueError, AttributeError):
            detail = str(error.reason)
        raise ExportIncomplete(service, 502, f"it answered {error.code} ({detail})", error.code) from error
    except (OSError, ValueError) as exc:  # refused, timed out, or not JSON
        raise ExportIncomplete(service, 503, f"it did not answer ({exc})") from exc
    if not isinstance(body, dict):
        raise ExportIncomplete(service, 502, "its answer was not a JSON object")
    return body


def gather(settings: Settings, person_id: UUID, own: Callable[[], Section], token: str) -> dict[str, Any]:
    """The complete export: this service's own section (`own`) and every other service's, fetched in parallel."""
    others = [s for s in SERVICES if s != settings.service]
    with ThreadPoolExecutor(max_workers=len(others)) as pool:
        # Context variables stay in this thread: the calls get the request's correlation id passed on.
        correlation = context.correlation_id.get()
        futures = {s: pool.submit(fetch_section, settings, s, person_id, token, correlation) for s in others}
        sections = {settings.service: own()}
        # Every call is waited for; the first failure (in the services' order) is the answer.
        results = {s: f.exception() or f.result() for s, f in futures.items()}
    for service in others:
        result = results[service]
        if isinstance(result, BaseException):
            raise result
        sections[service] = result
    return {"person_id": str(person_id), "exported_at": datetime.now(UTC).isoformat(),
            "services": {s: sections[s] for s in SERVICES}}


# -- each service's own export --------------------------------------------------------------------------
class PersonDataOut(Schema):
    person_id = fields.String()
    service = fields.String()
    tables = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict()),
                         metadata={"description": "per table, the rows that concern the person"})


class CompleteExportOut(Schema):
    person_id = fields.String()
    exported_at = fields.String(metadata={"description": "when the export was gathered (RFC 3339)"})
    services = fields.Dict(keys=fields.String(), values=fields.Dict(),
                           metadata={"description": "one section per service: enrolment, sessions, notifications, "
                                                    "reporting"})


def plain(value: Any) -> Any:
    """A database value as JSON: ids and times as text (ISO 8601)."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def export_rows(conn: psycopg.Connection[Any], queries: dict[str, str], person_id: UUID) -> dict[str, list[Any]]:
    """Run a service's export queries (`%(person)s` is the person id as text); rows per table."""
    return {table: [plain(dict(row)) for row in conn.execute(sql, {"person": str(person_id)}).fetchall()]
            for table, sql in queries.items()}


def export_blueprint(service: str, queries: dict[str, str]) -> Blueprint:
    """`GET /api/v1/persons/<id>/export`: what `service` holds about a person, from its own tables only."""
    blueprint = Blueprint("privacy", __name__, url_prefix="/api/v1/persons",
                          description="Privacy: what this service holds about a person")

    @blueprint.get("/<uuid:person_id>/export")
    @require_roles("fund_admin")
    @blueprint.response(200, PersonDataOut)
    def export_person(person_id: UUID) -> dict[str, Any]:
        """Everything this service holds about a person, table by table (part of a data subject's access request).

        Unknown persons get empty tables, not 404: a service that never heard of someone holds nothing.
        """
        with unit_of_work(current_app.config["POOL"]) as conn:
            tables = export_rows(conn, queries, person_id)
            # Reading someone's data is accountable too: the trail names who asked.
            audit.record(conn, "person.export", "person", str(person_id),
                         {"rows": sum(len(rows) for rows in tables.values())})
        return {"person_id": str(person_id), "service": service, "tables": tables}

    return blueprint
