"""Alerts' queries (beside db.py): who may receive an alert, and its delivery rows with where they went."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

Conn = psycopg.Connection[Any]
Row = dict[str, Any]


def fund_admins(conn: Conn) -> list[Row]:
    return conn.execute("SELECT * FROM staff WHERE role = 'fund_admin' ORDER BY staff_id").fetchall()


def alerted(conn: Conn, cause: str, kind: str) -> bool:
    """An alert of this kind exists for this cause already, whoever it went to (or nobody)."""
    return conn.execute("SELECT 1 FROM deliveries WHERE event_id = %s AND kind = %s LIMIT 1",
                        (cause, kind)).fetchone() is not None


def add_alert(conn: Conn, *, cause: str, kind: str, recipient_id: str, send_after: datetime, region: str | None,
              status: str = "scheduled", escalated_reason: str | None = None, last_error: str | None = None,
              session_id: str | None = None, enrolment_id: str | None = None, company_id: str | None = None,
              programme_id: str | None = None, context: dict[str, Any] | None = None) -> str | None:
    """Claim one alert delivery (unique cause + kind + recipient, as every delivery); None when claimed before."""
    row = conn.execute(
        "INSERT INTO deliveries (id, event_id, kind, recipient_id, status, send_after, session_id, enrolment_id,"
        " company_id, programme_id, context, alert_region, escalated_reason, last_error)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (event_id, kind, recipient_id) DO NOTHING RETURNING id",
        (uuid.uuid4(), cause, kind, recipient_id, status, send_after, session_id, enrolment_id, company_id,
         programme_id, Jsonb(context or {}), region, escalated_reason, last_error)).fetchone()
    return str(row["id"]) if row else None
