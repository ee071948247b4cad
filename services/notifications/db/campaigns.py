"""Drip campaigns and their members."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from services.notifications.db.base import Conn, Row


def insert_campaign(conn: Conn, body: dict[str, Any]) -> Row | None:
    return conn.execute(
        "INSERT INTO campaigns (id, name, programme_id, job_levels, steps) VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (name) DO NOTHING RETURNING *",
        (uuid.uuid4(), body["name"], body.get("programme_id"), body["job_levels"], Jsonb(body["steps"]))).fetchone()


def campaign(conn: Conn, campaign_id: str, lock: bool = False) -> Row | None:
    return conn.execute("SELECT * FROM campaigns WHERE id = %s" + (" FOR UPDATE" if lock else ""),
                        (campaign_id,)).fetchone()


def list_campaigns(conn: Conn, status: str | None, limit: int, offset: int) -> tuple[list[Row], int]:
    args = {"status": status, "limit": limit, "offset": offset}
    where = "(%(status)s::text IS NULL OR status = %(status)s)"
    total = conn.execute(f"SELECT count(*) AS n FROM campaigns WHERE {where}", args).fetchone()
    rows = conn.execute(f"SELECT * FROM campaigns WHERE {where} ORDER BY created_at, id"
                        " LIMIT %(limit)s OFFSET %(offset)s", args).fetchall()
    return rows, int(total["n"]) if total else 0


def set_campaign_status(conn: Conn, campaign_id: str, status: str) -> Row | None:
    return conn.execute("UPDATE campaigns SET status = %s, updated_at = now() WHERE id = %s RETURNING *",
                        (status, campaign_id)).fetchone()


def campaigns_for(conn: Conn, programme_id: str | None) -> list[Row]:
    """Campaigns new delegates join: not stopped, for their programme or for every programme."""
    return conn.execute("SELECT * FROM campaigns WHERE status <> 'stopped'"
                        " AND (programme_id IS NULL OR programme_id = %s) ORDER BY created_at",
                        (programme_id,)).fetchall()


def join_campaign(conn: Conn, campaign_id: str, person_id: str, joined_at: datetime) -> bool:
    return conn.execute("INSERT INTO campaign_members (campaign_id, person_id, joined_at) VALUES (%s, %s, %s)"
                        " ON CONFLICT DO NOTHING", (campaign_id, person_id, joined_at)).rowcount == 1


def stop_memberships(conn: Conn, person_id: str, reason: str) -> int:
    return conn.execute("UPDATE campaign_members SET status = 'stopped', stop_reason = %s"
                        " WHERE person_id = %s AND status = 'active'", (reason, person_id)).rowcount


def member_counts(conn: Conn, campaign_id: str) -> dict[str, int]:
    rows = conn.execute("SELECT status, count(*) AS n FROM campaign_members WHERE campaign_id = %s GROUP BY status",
                        (campaign_id,)).fetchall()
    return {r["status"]: int(r["n"]) for r in rows}
