"""Enrolments, their intakes (the admission interviews) and a programme's funnel."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.enrolment.db.base import Conn, Row

ENROLMENT_VIEW = (
    "SELECT e.*, c.name AS company_name, c.region,"
    " (SELECT count(*) FROM delegates d WHERE d.enrolment_id = e.id AND d.removed_on IS NULL) AS delegate_count"
    " FROM enrolments e JOIN companies c ON c.id = e.company_id")


def insert_enrolment(conn: Conn, enrolment_id: UUID, company_id: UUID, programme_id: UUID) -> bool:
    """False when the company is already enrolled in the programme."""
    return conn.execute(
        "INSERT INTO enrolments (id, company_id, programme_id) VALUES (%s, %s, %s)"
        " ON CONFLICT (company_id, programme_id) DO NOTHING", (enrolment_id, company_id, programme_id)).rowcount == 1


def lock_enrolment(conn: Conn, enrolment_id: UUID) -> bool:
    """Serialise use cases on one enrolment: concurrent requests wait here."""
    return conn.execute("SELECT id FROM enrolments WHERE id = %s FOR UPDATE", (enrolment_id,)).fetchone() is not None


def get_enrolment(conn: Conn, enrolment_id: UUID) -> Row | None:
    return conn.execute(f"{ENROLMENT_VIEW} WHERE e.id = %s", (enrolment_id,)).fetchone()


def list_enrolments(conn: Conn, filters: dict[str, Any], regions: list[str] | None,
                    limit: int, offset: int) -> tuple[list[Row], int]:
    where = ("WHERE (%(programme_id)s::uuid IS NULL OR e.programme_id = %(programme_id)s)"
             " AND (%(company_id)s::uuid IS NULL OR e.company_id = %(company_id)s)"
             " AND (%(state)s::text IS NULL OR e.state = %(state)s)"
             " AND (%(region)s::text IS NULL OR c.region = %(region)s)"
             " AND (%(regions)s::text[] IS NULL OR c.region = ANY(%(regions)s))")
    params = {k: filters.get(k) for k in ("programme_id", "company_id", "state", "region")}
    params.update(regions=regions, limit=limit, offset=offset)
    rows = conn.execute(f"{ENROLMENT_VIEW} {where} ORDER BY c.name, e.id LIMIT %(limit)s OFFSET %(offset)s",
                        params).fetchall()
    total = conn.execute(f"SELECT count(*) AS n FROM enrolments e JOIN companies c ON c.id = e.company_id {where}",
                         params).fetchone()
    return rows, int(total["n"]) if total else 0


def insert_intake(conn: Conn, intake_id: UUID, enrolment_id: UUID, scheduled_at: Any, location: str) -> Row:
    row = conn.execute("INSERT INTO intakes (id, enrolment_id, scheduled_at, location) VALUES (%s, %s, %s, %s)"
                       " RETURNING *", (intake_id, enrolment_id, scheduled_at, location)).fetchone()
    assert row is not None
    return row


def get_intake(conn: Conn, enrolment_id: UUID, intake_id: UUID) -> Row | None:
    return conn.execute("SELECT * FROM intakes WHERE id = %s AND enrolment_id = %s",
                        (intake_id, enrolment_id)).fetchone()


def latest_held_intake(conn: Conn, enrolment_id: UUID) -> Row | None:
    # The most recently created interview that was held: a redo is always created after the one it
    # redoes, whatever dates were entered.
    return conn.execute("SELECT * FROM intakes WHERE enrolment_id = %s AND status = 'held'"
                        " ORDER BY created_at DESC, id LIMIT 1", (enrolment_id,)).fetchone()


def list_intakes(conn: Conn, enrolment_id: UUID, limit: int, offset: int) -> tuple[list[Row], int]:
    rows = conn.execute("SELECT * FROM intakes WHERE enrolment_id = %s ORDER BY created_at, id LIMIT %s OFFSET %s",
                        (enrolment_id, limit, offset)).fetchall()
    total = conn.execute("SELECT count(*) AS n FROM intakes WHERE enrolment_id = %s", (enrolment_id,)).fetchone()
    return rows, int(total["n"]) if total else 0


def funnel(conn: Conn, programme_id: UUID, regions: list[str] | None) -> Row:
    """A programme's funnel: how many companies reached each stage, and how many are in each state now.

    `intake_held` and `admitted` count every company that got that far (also when it later withdrew);
    declined, withdrawn and completed are where companies ended up.
    """
    row = conn.execute(
        "SELECT count(*) AS registered,"
        " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM intakes i WHERE i.enrolment_id = e.id"
        "   AND i.status = 'held')) AS intake_held,"
        " count(*) FILTER (WHERE e.admitted_on IS NOT NULL) AS admitted,"
        " count(*) FILTER (WHERE e.state = 'declined') AS declined,"
        " count(*) FILTER (WHERE e.state = 'withdrawn') AS withdrawn,"
        " count(*) FILTER (WHERE e.state = 'completed') AS completed"
        " FROM enrolments e JOIN companies c ON c.id = e.company_id"
        " WHERE e.programme_id = %(p)s AND (%(regions)s::text[] IS NULL OR c.region = ANY(%(regions)s))",
        {"p": programme_id, "regions": regions}).fetchone()
    states = conn.execute(
        "SELECT e.state, count(*) AS n FROM enrolments e JOIN companies c ON c.id = e.company_id"
        " WHERE e.programme_id = %(p)s AND (%(regions)s::text[] IS NULL OR c.region = ANY(%(regions)s))"
        " GROUP BY e.state", {"p": programme_id, "regions": regions}).fetchall()
    return {**(row or {}), "by_state": {r["state"]: int(r["n"]) for r in states}}
