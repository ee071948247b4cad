"""Audit trail: every write records who did what to which subject, and why-chain; fund administrators read it.

Every service has the table (common migration 0001), writes its rows with `record` in the
transaction of the change, and answers `GET /api/v1/audit-entries` (`api_blueprint`) and the
`/audit` page (services.common.audit_pages) from its own rows only.
"""

from __future__ import annotations

from typing import Any

import psycopg
from flask import current_app, g, has_request_context
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from psycopg.types.json import Jsonb

from services.common import context
from services.common.auth import require_roles
from services.common.schemas import PageQuery, offset_of, page, page_schema


def record(conn: psycopg.Connection[Any], action: str, subject_type: str, subject_id: str,
           details: dict[str, Any] | None = None, actor: str | None = None) -> None:
    """Write an audit row in the caller's transaction."""
    roles: list[str] = []
    if actor is None:
        principal = g.get("principal") if has_request_context() else None
        if principal is not None:
            actor, roles = principal.subject, sorted(principal.roles)
        else:
            actor = "system"
    conn.execute(
        "INSERT INTO audit_log (actor, actor_roles, action, subject_type, subject_id, details, correlation_id)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (actor, roles, action, subject_type, str(subject_id), Jsonb(details or {}),
         context.correlation_id.get()))


def record_alone(pool: Any, action: str, subject_type: str, subject_id: str,
                 details: dict[str, Any] | None = None) -> None:
    """An audit row in a transaction of its own: for an act that changes no row of its own (issuing a link)."""
    with pool.connection() as conn, conn.transaction():
        record(conn, action, subject_type, subject_id, details)


# -- reading the trail -------------------------------------------------------------------------------------
FILTERS = ("subject_type", "subject_id", "action", "actor")


def entries(conn: psycopg.Connection[Any], filters: dict[str, Any], limit: int, offset: int) -> tuple[list[Any], int]:
    """Audit rows matching `filters` (exact values; absent means any), newest first, and how many match."""
    where = " AND ".join(f"(%({k})s::text IS NULL OR {k} = %({k})s)" for k in FILTERS)
    params: dict[str, Any] = {k: filters.get(k) for k in FILTERS}
    rows = conn.execute(f"SELECT * FROM audit_log WHERE {where} ORDER BY id DESC LIMIT %(limit)s"  # noqa: S608
                        " OFFSET %(offset)s", {**params, "limit": limit, "offset": offset}).fetchall()
    total = conn.execute(f"SELECT count(*) AS n FROM audit_log WHERE {where}", params).fetchone()  # noqa: S608
    return list(rows), int(total["n"]) if total else 0


def kinds(conn: psycopg.Connection[Any]) -> tuple[list[str], list[str]]:
    """The subject types and actions this service's trail holds (for the page's filters)."""
    subject_types = [r["subject_type"] for r in conn.execute(
        "SELECT DISTINCT subject_type FROM audit_log ORDER BY 1").fetchall()]
    actions = [r["action"] for r in conn.execute(
        "SELECT DISTINCT action FROM audit_log ORDER BY 1").fetchall()]
    return subject_types, actions


class AuditQuery(PageQuery):
    subject_type = fields.String(validate=validate.Length(min=1, max=50))
    subject_id = fields.String(validate=validate.Length(min=1, max=100))
    action = fields.String(validate=validate.Length(min=1, max=100))
    actor = fields.String(validate=validate.Length(min=1, max=255))


class AuditEntry(Schema):
    id = fields.Integer()
    occurred_at = fields.DateTime()
    actor = fields.String()
    actor_roles = fields.List(fields.String())
    action = fields.String()
    subject_type = fields.String()
    subject_id = fields.String()
    details = fields.Dict()
    correlation_id = fields.String(allow_none=True)


AuditPage = page_schema(AuditEntry)


def api_blueprint() -> Blueprint:
    """`GET /api/v1/audit-entries` (the route enrolment has had from the start), for fund administrators."""
    blueprint = Blueprint("audit", __name__, url_prefix="/api/v1/audit-entries",
                          description="The audit trail of this service's writes")

    @blueprint.get("")
    @require_roles("fund_admin")
    @blueprint.arguments(AuditQuery, location="query")
    @blueprint.response(200, AuditPage)
    def list_audit_entries(query: dict[str, Any]) -> dict[str, Any]:
        """Who wrote what, when, under which correlation id; newest first, filtered by exact values."""
        limit, offset = offset_of(query)
        with current_app.config["POOL"].connection() as conn:
            rows, total = entries(conn, query, limit, offset)
        return page(rows, total, query)

    return blueprint
