"""Notifications' queries: plain SQL, parameters always bound."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

Conn = psycopg.Connection[Any]
Row = dict[str, Any]


# -- facts mails mention ------------------------------------------------------------------
def upsert_programme(conn: Conn, p: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO programmes (programme_id, name, teaser_question, reminder_hours_before, follow_up_info)"
        " VALUES (%(programme_id)s, %(name)s, %(teaser_question)s, %(reminder_hours_before)s, %(follow_up_info)s)"
        " ON CONFLICT (programme_id) DO UPDATE SET name = EXCLUDED.name,"
        " teaser_question = EXCLUDED.teaser_question, reminder_hours_before = EXCLUDED.reminder_hours_before,"
        " follow_up_info = EXCLUDED.follow_up_info", p)


def programme(conn: Conn, programme_id: str | None) -> Row | None:
    if not programme_id:
        return None
    return conn.execute("SELECT * FROM programmes WHERE programme_id = %s", (programme_id,)).fetchone()


def upsert_company(conn: Conn, company_id: str, name: str, region: str) -> None:
    conn.execute("INSERT INTO companies (company_id, name, region) VALUES (%s, %s, %s)"
                 " ON CONFLICT (company_id) DO UPDATE SET name = EXCLUDED.name, region = EXCLUDED.region",
                 (company_id, name, region))


def company(conn: Conn, company_id: str | None) -> Row | None:
    if not company_id:
        return None
    return conn.execute("SELECT * FROM companies WHERE company_id = %s", (company_id,)).fetchone()


def upsert_enrolment(conn: Conn, enrolment_id: str, company_id: str, programme_id: str, region: str | None,
                     director_id: str | None = None, status: str | None = None) -> None:
    conn.execute(
        "INSERT INTO enrolments (enrolment_id, company_id, programme_id, region, director_id, status)"
        " VALUES (%s, %s, %s, %s, %s, coalesce(%s, 'interested'))"
        " ON CONFLICT (enrolment_id) DO UPDATE SET region = coalesce(EXCLUDED.region, enrolments.region),"
        " director_id = coalesce(EXCLUDED.director_id, enrolments.director_id),"
        " status = coalesce(%s, enrolments.status)",
        (enrolment_id, company_id, programme_id, region, director_id, status, status))


def enrolment(conn: Conn, enrolment_id: str) -> Row | None:
    return conn.execute("SELECT * FROM enrolments WHERE enrolment_id = %s", (enrolment_id,)).fetchone()


def enrolment_of_company(conn: Conn, company_id: str, programme_id: str) -> Row | None:
    return conn.execute("SELECT * FROM enrolments WHERE company_id = %s AND programme_id = %s",
                        (company_id, programme_id)).fetchone()


def add_risk_point(conn: Conn, enrolment_id: str) -> Row | None:
    return conn.execute("UPDATE enrolments SET risk_points = risk_points + 1 WHERE enrolment_id = %s RETURNING *",
                        (enrolment_id,)).fetchone()


def mark_at_risk_alerted(conn: Conn, enrolment_id: str) -> bool:
    return conn.execute("UPDATE enrolments SET at_risk_alerted = true WHERE enrolment_id = %s"
                        " AND NOT at_risk_alerted", (enrolment_id,)).rowcount == 1


def enrolments_for_digest(conn: Conn) -> list[Row]:
    return conn.execute(
        "SELECT e.* FROM enrolments e JOIN recipients r ON r.person_id = e.director_id"
        " WHERE e.status = 'admitted' AND r.active ORDER BY e.enrolment_id").fetchall()


# -- people -------------------------------------------------------------------------------
def upsert_recipient(conn: Conn, contact: dict[str, Any], role: str, company_id: str | None,
                     enrolment_id: str | None, programme_id: str | None, job_level: str | None = None,
                     active: bool = True) -> None:
    """A v1 event: contact data and the role in one."""
    set_contact(conn, contact)
    link_recipient(conn, str(contact["person_id"]), role, company_id, enrolment_id, programme_id, job_level, active)


def set_contact(conn: Conn, contact: dict[str, Any]) -> bool:
    """Name, address and language (contacts topic, or a v1 event); False for an erased person."""
    if is_erased(conn, str(contact["person_id"])):
        return False  # a late or replayed record must not bring an erased person's contact data back
    conn.execute(
        "INSERT INTO recipients (person_id, name, email, language) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (person_id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email,"
        " language = EXCLUDED.language",
        (str(contact["person_id"]), contact["name"], contact["email"], contact["language"]))
    return True


def link_recipient(conn: Conn, person_id: str, role: str, company_id: str | None, enrolment_id: str | None,
                   programme_id: str | None, job_level: str | None = None, active: bool = True) -> None:
    """The person's role and company (v2 events name people by id only); contact data stays as it is."""
    if is_erased(conn, person_id):
        return
    conn.execute(
        "INSERT INTO recipients (person_id, role, company_id, enrolment_id, programme_id, job_level, active)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (person_id) DO UPDATE SET role = EXCLUDED.role, company_id = EXCLUDED.company_id,"
        " enrolment_id = EXCLUDED.enrolment_id, programme_id = EXCLUDED.programme_id,"
        " job_level = coalesce(EXCLUDED.job_level, recipients.job_level), active = EXCLUDED.active",
        (person_id, role, company_id, enrolment_id, programme_id, job_level, active))


def forget_contact(conn: Conn, person_id: str) -> None:
    """A tombstone on the contacts topic: the contact data goes; the role stays until PersonErased."""
    conn.execute("UPDATE recipients SET name = NULL, email = NULL, language = NULL WHERE person_id = %s",
                 (person_id,))


def wake_waiting(conn: Conn, person_id: str, now: datetime) -> None:
    """Mail that waited for this person's contact data is due now, not at its next poll."""
    conn.execute("UPDATE deliveries SET send_after = %s, updated_at = now() WHERE recipient_id = %s"
                 " AND status = 'scheduled' AND waiting_since IS NOT NULL AND send_after > %s",
                 (now, person_id, now))


def recipient(conn: Conn, person_id: str) -> Row | None:
    return conn.execute("SELECT * FROM recipients WHERE person_id = %s", (person_id,)).fetchone()


def deactivate_person(conn: Conn, person_id: str) -> None:
    conn.execute("UPDATE recipients SET active = false WHERE person_id = %s", (person_id,))


def deactivate_enrolment_people(conn: Conn, enrolment_id: str) -> list[str]:
    rows = conn.execute("UPDATE recipients SET active = false WHERE enrolment_id = %s RETURNING person_id",
                        (enrolment_id,)).fetchall()
    return [r["person_id"] for r in rows]


def erase_person(conn: Conn, person_id: str) -> None:
    """Forget name, address and language; only the pseudonymous id stays in the delivery log."""
    conn.execute("DELETE FROM recipients WHERE person_id = %s", (person_id,))
    conn.execute("DELETE FROM suppressions WHERE person_id = %s", (person_id,))
    conn.execute("DELETE FROM session_people WHERE person_id = %s", (person_id,))
    # An SMTP error text may quote the address; the log keeps the outcome, not the text.
    conn.execute("UPDATE deliveries SET last_error = 'person erased' WHERE recipient_id = %s"
                 " AND last_error IS NOT NULL", (person_id,))


def participants_in_audience(conn: Conn, programme_id: str | None, job_levels: list[str]) -> list[Row]:
    return conn.execute(
        "SELECT r.* FROM recipients r JOIN enrolments e ON e.enrolment_id = r.enrolment_id"
        " WHERE r.role = 'participant' AND r.active AND e.status = 'admitted' AND r.job_level = ANY(%s)"
        " AND (%s::text IS NULL OR r.programme_id = %s)", (job_levels, programme_id, programme_id)).fetchall()


# -- staff directory ----------------------------------------------------------------------
def upsert_staff(conn: Conn, staff_id: str, body: dict[str, Any]) -> tuple[Row, bool]:
    row = conn.execute(
        "INSERT INTO staff (staff_id, role, name, email, language, regions) VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (staff_id) DO UPDATE SET role = EXCLUDED.role, name = EXCLUDED.name, email = EXCLUDED.email,"
        " language = EXCLUDED.language, regions = EXCLUDED.regions, updated_at = now()"
        " RETURNING *, (xmax = 0) AS created",
        (staff_id, body["role"], body["name"], body["email"], body.get("language", "nl"),
         body.get("regions", []))).fetchone()
    assert row is not None
    created = bool(row.pop("created"))
    return row, created


def staff_member(conn: Conn, staff_id: str) -> Row | None:
    return conn.execute("SELECT * FROM staff WHERE staff_id = %s", (staff_id,)).fetchone()


def delete_staff(conn: Conn, staff_id: str) -> bool:
    return conn.execute("DELETE FROM staff WHERE staff_id = %s", (staff_id,)).rowcount == 1


def list_staff(conn: Conn, role: str | None, region: str | None, limit: int, offset: int) -> tuple[list[Row], int]:
    where = "(%(role)s::text IS NULL OR role = %(role)s) AND (%(region)s::text IS NULL OR %(region)s = ANY(regions))"
    args = {"role": role, "region": region, "limit": limit, "offset": offset}
    total = conn.execute(f"SELECT count(*) AS n FROM staff WHERE {where}", args).fetchone()
    rows = conn.execute(f"SELECT * FROM staff WHERE {where} ORDER BY staff_id LIMIT %(limit)s OFFSET %(offset)s",
                        args).fetchall()
    return rows, int(total["n"]) if total else 0


def coordinators_of(conn: Conn, region: str | None) -> list[Row]:
    return conn.execute("SELECT * FROM staff WHERE role = 'coordinator' AND %s = ANY(regions) ORDER BY staff_id",
                        (region,)).fetchall()


# -- sessions -----------------------------------------------------------------------------
def upsert_session(conn: Conn, s: dict[str, Any]) -> Row | None:
    """Store a snapshot unless a newer version is already known; return the previous row."""
    before = session(conn, s["session_id"])
    if before is not None and before["version"] > s["version"]:
        return before
    conn.execute(
        "INSERT INTO sessions (session_id, programme_id, type, region, format, venue_address, online_url,"
        " starts_at, ends_at, duration_minutes, facilitator_ids, working_method, status, version)"
        " VALUES (%(session_id)s, %(programme_id)s, %(type)s, %(region)s, %(format)s, %(venue_address)s,"
        " %(online_url)s, %(starts_at)s, %(ends_at)s, %(duration_minutes)s, %(facilitator_ids)s,"
        " %(working_method)s, %(status)s, %(version)s)"
        " ON CONFLICT (session_id) DO UPDATE SET type = EXCLUDED.type, region = EXCLUDED.region,"
        " format = EXCLUDED.format, venue_address = EXCLUDED.venue_address, online_url = EXCLUDED.online_url,"
        " starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, duration_minutes = EXCLUDED.duration_minutes,"
        " facilitator_ids = EXCLUDED.facilitator_ids, working_method = EXCLUDED.working_method,"
        " status = EXCLUDED.status, version = EXCLUDED.version", s)
    return before


def session(conn: Conn, session_id: str | None) -> Row | None:
    if not session_id:
        return None
    return conn.execute("SELECT * FROM sessions WHERE session_id = %s", (session_id,)).fetchone()


def cancel_session(conn: Conn, session_id: str, version: int, reason: str) -> None:
    conn.execute("UPDATE sessions SET status = 'cancelled', version = greatest(version, %s), cancel_reason = %s"
                 " WHERE session_id = %s", (version, reason, session_id))


def set_session_person(conn: Conn, session_id: str, person_id: str, company_id: str | None, state: str) -> None:
    conn.execute("INSERT INTO session_people (session_id, person_id, company_id, state) VALUES (%s, %s, %s, %s)"
                 " ON CONFLICT (session_id, person_id) DO UPDATE SET state = EXCLUDED.state",
                 (session_id, person_id, company_id, state))


def set_attendance(conn: Conn, session_id: str, person_id: str, company_id: str | None, attendance: str) -> None:
    conn.execute("INSERT INTO session_people (session_id, person_id, company_id, state, attendance)"
                 " VALUES (%s, %s, %s, 'registered', %s)"
                 " ON CONFLICT (session_id, person_id) DO UPDATE SET attendance = EXCLUDED.attendance",
                 (session_id, person_id, company_id, attendance))


def session_people(conn: Conn, session_id: str, states: Iterable[str]) -> list[Row]:
    """Active people of a session in the given states."""
    return conn.execute(
        "SELECT sp.* FROM session_people sp JOIN recipients r ON r.person_id = sp.person_id"
        " WHERE sp.session_id = %s AND sp.state = ANY(%s) AND r.active ORDER BY sp.person_id",
        (session_id, list(states))).fetchall()


def company_participation(conn: Conn, company_id: str, programme_id: str) -> Row:
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE sp.state = 'registered') AS registrations,"
        " count(*) FILTER (WHERE sp.attendance = 'attended') AS attended,"
        " count(*) FILTER (WHERE sp.attendance = 'no_show') AS no_shows,"
        " count(*) FILTER (WHERE sp.state = 'registered' AND s.status IN ('planned', 'confirmed')"
        "                  AND s.starts_at > now()) AS upcoming"
        " FROM session_people sp JOIN sessions s ON s.session_id = sp.session_id"
        " WHERE sp.company_id = %s AND s.programme_id = %s", (company_id, programme_id)).fetchone()
    delegates = conn.execute("SELECT count(*) AS n FROM recipients WHERE company_id = %s AND role = 'participant'"
                             " AND active AND programme_id = %s", (company_id, programme_id)).fetchone()
    assert row is not None and delegates is not None
    return {**row, "delegates": delegates["n"]}


# -- deliveries ---------------------------------------------------------------------------
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


def programmes(conn: Conn) -> list[Row]:
    """Programmes known here (for choosing a campaign's programme on the pages)."""
    return conn.execute("SELECT programme_id, name FROM programmes ORDER BY name, programme_id").fetchall()


def known_regions(conn: Conn) -> list[str]:
    """Every region seen here (companies, sessions, coordinators): the staff form offers them as choices."""
    rows = conn.execute("SELECT region FROM companies UNION SELECT region FROM sessions"
                        " UNION SELECT unnest(regions) FROM staff ORDER BY 1").fetchall()
    return [r["region"] for r in rows if r["region"]]


# -- campaigns ----------------------------------------------------------------------------
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


# -- suppressions -------------------------------------------------------------------------
def suppress(conn: Conn, person_id: str, reason: str) -> bool:
    return conn.execute("INSERT INTO suppressions (person_id, reason) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                        (person_id, reason)).rowcount == 1


def unsuppress(conn: Conn, person_id: str) -> bool:
    return conn.execute("DELETE FROM suppressions WHERE person_id = %s", (person_id,)).rowcount == 1


def is_suppressed(conn: Conn, person_id: str) -> bool:
    return conn.execute("SELECT 1 FROM suppressions WHERE person_id = %s", (person_id,)).fetchone() is not None


def list_suppressions(conn: Conn, limit: int, offset: int) -> tuple[list[Row], int]:
    total = conn.execute("SELECT count(*) AS n FROM suppressions").fetchone()
    rows = conn.execute("SELECT * FROM suppressions ORDER BY created_at, person_id LIMIT %s OFFSET %s",
                        (limit, offset)).fetchall()
    return rows, int(total["n"]) if total else 0


def mark_erased(conn: Conn, person_id: str) -> None:
    conn.execute("INSERT INTO erased_people (person_id) VALUES (%s) ON CONFLICT DO NOTHING", (person_id,))


def is_erased(conn: Conn, person_id: str) -> bool:
    return conn.execute("SELECT 1 FROM erased_people WHERE person_id = %s", (person_id,)).fetchone() is not None


def may_receive(conn: Conn, person_id: str) -> bool:
    """False for someone withdrawn, removed or erased; unknown people may still be on their way."""
    row = conn.execute("SELECT active FROM recipients WHERE person_id = %s", (person_id,)).fetchone()
    if row is not None:
        return bool(row["active"])
    return not is_erased(conn, person_id)


def set_session_status(conn: Conn, session_id: str, status: str) -> None:
    conn.execute("UPDATE sessions SET status = %s WHERE session_id = %s", (status, session_id))
