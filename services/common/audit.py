"""Audit trail: every write records who did what to which subject, and why-chain."""

from __future__ import annotations

from typing import Any

import psycopg
from flask import g, has_request_context
from psycopg.types.json import Jsonb

from services.common import context


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
