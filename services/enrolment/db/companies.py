"""Companies, their directors, and the enrolments a company has."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

from services.enrolment.db.base import Conn, Row


def company_insert(conn: Conn, company_id: UUID, data: dict[str, Any]) -> psycopg.Cursor[Any]:
    """Insert, the row not yet read; no row when the KvK number is already registered."""
    address = data.get("address") or {}
    return conn.execute(
        "INSERT INTO companies (id, name, kvk_number, region, street, postal_code, city, size, contact_person_id)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (kvk_number) DO NOTHING RETURNING *",
        (company_id, data["name"], data["kvk_number"], data["region"], address.get("street", ""),
         address.get("postal_code", ""), address.get("city", ""), data.get("size"),
         data.get("contact_person_id")))


def get_company(conn: Conn, company_id: UUID, *, lock: bool = False) -> Row | None:
    suffix = " FOR UPDATE" if lock else ""
    return conn.execute(f"SELECT * FROM companies WHERE id = %s{suffix}", (company_id,)).fetchone()


def set_directors(conn: Conn, company_id: UUID, directors: list[tuple[UUID, str]], *, new: bool = False) -> None:
    """Replace the company's directors (a `new` company has none to delete); one INSERT for all of them."""
    if not new:
        conn.execute("DELETE FROM company_directors WHERE company_id = %s", (company_id,))
    if directors:
        conn.execute("INSERT INTO company_directors (company_id, person_id, role, position) SELECT %s, t.person_id,"
                     " t.role, t.n - 1 FROM unnest(%s::uuid[], %s::text[]) WITH ORDINALITY AS t(person_id, role, n)",
                     (company_id, [p for p, _ in directors], [r for _, r in directors]))


def directors_of(conn: Conn, company_ids: list[UUID], *, share: bool = False) -> list[Row]:
    """Directors with their person fields, in the order they were given.

    `share` holds their person rows still until commit: an event about to
    carry a director's contact data then cannot interleave with that
    director's erasure (which takes the row FOR UPDATE, then scrubs the outbox).
    """
    return conn.execute(
        "SELECT d.company_id, d.role, p.* FROM company_directors d JOIN persons p ON p.id = d.person_id"
        " WHERE d.company_id = ANY(%s) ORDER BY d.company_id, d.position" + (" FOR SHARE OF p" if share else ""),
        (company_ids,)).fetchall()


def enrolments_of(conn: Conn, company_ids: list[UUID]) -> list[Row]:
    return conn.execute("SELECT id, company_id, programme_id, state FROM enrolments WHERE company_id = ANY(%s)"
                        " ORDER BY created_at, id", (company_ids,)).fetchall()


def list_companies(conn: Conn, filters: dict[str, Any], regions: list[str] | None,
                   limit: int, offset: int) -> tuple[list[Row], int]:
    """Companies by region / enrolment state / programme / name or KvK; coordinators limited to `regions`."""
    where = ("WHERE (%(region)s::text IS NULL OR c.region = %(region)s)"
             " AND (%(regions)s::text[] IS NULL OR c.region = ANY(%(regions)s))"
             " AND (%(q)s::text IS NULL OR c.name ILIKE '%%' || %(q)s || '%%' OR c.kvk_number = %(q)s)"
             " AND (%(status)s::text IS NULL AND %(programme_id)s::uuid IS NULL OR EXISTS ("
             "   SELECT 1 FROM enrolments e WHERE e.company_id = c.id"
             "   AND (%(status)s::text IS NULL OR e.state = %(status)s)"
             "   AND (%(programme_id)s::uuid IS NULL OR e.programme_id = %(programme_id)s)))")
    params = {"region": filters.get("region"), "regions": regions, "q": filters.get("q"),
              "status": filters.get("status"), "programme_id": filters.get("programme_id"),
              "limit": limit, "offset": offset}
    rows = conn.execute(f"SELECT c.* FROM companies c {where} ORDER BY c.name, c.id"
                        " LIMIT %(limit)s OFFSET %(offset)s", params).fetchall()
    total = conn.execute(f"SELECT count(*) AS n FROM companies c {where}", params).fetchone()
    return rows, int(total["n"]) if total else 0
