"""Delivery rows: one per logical mail (unique cause + kind + recipient), claimed, sent, retried, logged."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from services.notifications.db.base import Conn, Row


def schedule(conn: Conn, *, event_id: str, kind: str, recipient_id: str, send_after: datetime,
             optional: bool = False, session_id: str | None = None, enrolment_id: str | None = None,
             company_id: str | None = None, programme_id: str | None = None, campaign_id: str | None = None,
             context: dict[str, Any] | None = None, once_per_session: bool = False) -> str | None:
    """Claim the delivery of one logical mail; None when it was claimed before."""
    if once_per_session and conn.execute(
            "SELECT 1 FROM deliveries WHERE kind = %s AND recipient_id = %s AND session_id = %s"
            " AND status <> 'cancelled'", (kind, recipient_id, session_id)).fetchone():
        return None
    row = conn.execute(
        "INSERT INTO deliveries (id, event_id, kind, recipient_id, optional, send_after, session_id, enrolment_id,"
        " company_id, programme_id, campaign_id, context) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (event_id, kind, recipient_id) DO NOTHING RETURNING id",
        (uuid.uuid4(), event_id, kind, recipient_id, optional, send_after, session_id, enrolment_id, company_id,
         programme_id, campaign_id, Jsonb(context or {}))).fetchone()
    return str(row["id"]) if row else None


def cancel_scheduled(conn: Conn, reason: str, *, session_id: str | None = None, recipient_id: str | None = None,
                     company_id: str | None = None, campaign_id: str | None = None,
                     kinds: list[str] | None = None, except_kinds: list[str] | None = None) -> int:
    """Cancel scheduled deliveries matching every given filter (at least one), leaving `except_kinds` queued."""
    assert any(v is not None for v in (session_id, recipient_id, company_id, campaign_id))
    return conn.execute(
        "UPDATE deliveries SET status = 'cancelled', last_error = %(reason)s, updated_at = now()"
        " WHERE status = 'scheduled'"
        " AND (%(session_id)s::text IS NULL OR session_id = %(session_id)s)"
        " AND (%(recipient_id)s::text IS NULL OR recipient_id = %(recipient_id)s)"
        " AND (%(company_id)s::text IS NULL OR company_id = %(company_id)s)"
        " AND (%(campaign_id)s::uuid IS NULL OR campaign_id = %(campaign_id)s)"
        " AND (%(kinds)s::text[] IS NULL OR kind = ANY(%(kinds)s))"
        " AND (%(except_kinds)s::text[] IS NULL OR kind <> ALL(%(except_kinds)s))",
        {"reason": reason, "session_id": session_id, "recipient_id": recipient_id, "company_id": company_id,
         "campaign_id": campaign_id, "kinds": kinds, "except_kinds": except_kinds}).rowcount


def scheduled_reminders(conn: Conn, session_id: str) -> list[Row]:
    return conn.execute("SELECT * FROM deliveries WHERE session_id = %s AND kind = 'session_reminder'"
                        " AND status IN ('scheduled', 'sending', 'sent')", (session_id,)).fetchall()


def move(conn: Conn, delivery_id: str, send_after: datetime) -> None:
    conn.execute("UPDATE deliveries SET send_after = %s, updated_at = now() WHERE id = %s AND status = 'scheduled'",
                 (send_after, delivery_id))


def move_programme_reminders(conn: Conn, programme_id: str, hours_before: int, now: datetime) -> int:
    """Queued reminders of a programme's sessions follow its new lead time (never into the past)."""
    return conn.execute(
        "UPDATE deliveries d SET send_after = greatest(s.starts_at - make_interval(hours => %s), %s),"
        " updated_at = now() FROM sessions s WHERE s.session_id = d.session_id AND d.kind = 'session_reminder'"
        " AND d.status = 'scheduled' AND d.programme_id = %s", (hours_before, now, programme_id)).rowcount


def reclaim_stale(conn: Conn, now: datetime, lease_seconds: int) -> int:
    """Rows left in 'sending' by a crashed sender go back to the queue (the at-least-once window)."""
    return conn.execute(
        "UPDATE deliveries SET status = 'scheduled', updated_at = now(),"
        " last_error = coalesce(last_error, 'sender stopped while sending; retried')"
        " WHERE status = 'sending' AND claimed_at < %s - make_interval(secs => %s)",
        (now, lease_seconds)).rowcount


def claim_due(conn: Conn, now: datetime, limit: int) -> list[Row]:
    """Claim due deliveries for this sender; concurrent senders skip each other's rows.

    Deliveries of a paused campaign stay queued until it resumes.
    """
    rows = conn.execute(
        "UPDATE deliveries SET status = 'sending', claimed_at = %(now)s, attempts = attempts + 1,"
        " updated_at = now() WHERE id IN ("
        "  SELECT d.id FROM deliveries d LEFT JOIN campaigns c ON c.id = d.campaign_id"
        "  WHERE d.status = 'scheduled' AND d.send_after <= %(now)s AND (c.id IS NULL OR c.status = 'active')"
        "  ORDER BY d.send_after, d.created_at LIMIT %(limit)s FOR UPDATE OF d SKIP LOCKED)"
        " RETURNING *", {"now": now, "limit": limit}).fetchall()
    # RETURNING follows no order; mail goes out in the order its causes happened
    # (an intake invitation before the admission letter when both are due).
    return sorted(rows, key=lambda r: (r["send_after"], r["created_at"]))


def finish(conn: Conn, delivery_id: str, status: str, *, error: str | None = None, language: str | None = None,
           sent_at: datetime | None = None, retry_at: datetime | None = None) -> Row | None:
    """Record the outcome of an attempt; only a row this sender holds ('sending') changes."""
    return conn.execute(
        "UPDATE deliveries SET status = %s, last_error = coalesce(%s, last_error),"
        " language = coalesce(%s, language), sent_at = %s, send_after = coalesce(%s, send_after),"
        " updated_at = now() WHERE id = %s AND status = 'sending' RETURNING *",
        (status, error, language, sent_at, retry_at, delivery_id)).fetchone()


def wait_for_data(conn: Conn, delivery_id: str, now: datetime, retry_at: datetime, error: str) -> None:
    """Back to the queue without counting an attempt: nothing was sent, the data is just not here yet."""
    conn.execute("UPDATE deliveries SET status = 'scheduled', attempts = greatest(attempts - 1, 0),"
                 " waiting_since = coalesce(waiting_since, %s), send_after = %s, last_error = %s, updated_at = now()"
                 " WHERE id = %s AND status = 'sending'", (now, retry_at, error, delivery_id))


def postpone(conn: Conn, delivery_id: str, send_after: datetime, why: str) -> None:
    """Back to the queue for later, no attempt counted: nothing was sent, it is not due yet."""
    conn.execute("UPDATE deliveries SET status = 'scheduled', attempts = greatest(attempts - 1, 0), send_after = %s,"
                 " last_error = %s, updated_at = now() WHERE id = %s AND status = 'sending'",
                 (send_after, why, delivery_id))


def session_mail(conn: Conn, session_id: str | None, recipient_id: str, kind: str) -> Row | None:
    """The latest delivery of one kind about a session to one person (the invitation a reminder follows up)."""
    return conn.execute("SELECT * FROM deliveries WHERE session_id = %s AND recipient_id = %s AND kind = %s"
                        " ORDER BY created_at DESC LIMIT 1", (session_id, recipient_id, kind)).fetchone()


def delivery(conn: Conn, delivery_id: str) -> Row | None:
    return conn.execute("SELECT * FROM deliveries WHERE id = %s", (delivery_id,)).fetchone()


def list_deliveries(conn: Conn, filters: dict[str, Any], limit: int, offset: int,
                    newest_first: bool = False) -> tuple[list[Row], int]:
    """The delivery log, filtered; `recipient` searches name, address or id (the pages' search box).

    Rows carry `recipient_name` (a person's or staff member's name; None once erased)."""
    keys = ("recipient_id", "kind", "status", "session_id", "company_id", "campaign_id")
    where = " AND ".join(f"(%({k})s::text IS NULL OR d.{k}::text = %({k})s)" for k in keys)
    where += (" AND (%(recipient)s::text IS NULL OR d.recipient_id ILIKE %(recipient)s"
              " OR r.name ILIKE %(recipient)s OR r.email ILIKE %(recipient)s"
              " OR st.name ILIKE %(recipient)s OR st.email ILIKE %(recipient)s)")
    args: dict[str, Any] = {k: (str(filters[k]) if filters.get(k) is not None else None) for k in keys}
    search = (filters.get("recipient") or "").strip()
    args["recipient"] = _contains(search) if search else None
    tables = ("deliveries d LEFT JOIN recipients r ON r.person_id = d.recipient_id"
              " LEFT JOIN staff st ON 'staff:' || st.staff_id = d.recipient_id")
    total = conn.execute(f"SELECT count(*) AS n FROM {tables} WHERE {where}", args).fetchone()
    order = "d.created_at DESC, d.id DESC" if newest_first else "d.created_at, d.id"
    rows = conn.execute(f"SELECT d.*, COALESCE(r.name, st.name) AS recipient_name FROM {tables} WHERE {where}"
                        f" ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s",
                        {**args, "limit": limit, "offset": offset}).fetchall()
    return rows, int(total["n"]) if total else 0


def _contains(text: str) -> str:
    """An ILIKE pattern for `text` anywhere, its own % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


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
