"""Enrolment's queries (plain SQL, bound parameters)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

Row = dict[str, Any]


def insert_company(conn: psycopg.Connection[Any], company_id: UUID, name: str, kvk: str, region: str) -> Row | None:
    """Insert; None when the KvK number is already registered."""
    return conn.execute(
        "INSERT INTO companies (id, name, kvk_number, region) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (kvk_number) DO NOTHING RETURNING *", (company_id, name, kvk, region)).fetchone()


def get_company(conn: psycopg.Connection[Any], company_id: UUID) -> Row | None:
    return conn.execute("SELECT * FROM companies WHERE id = %s", (company_id,)).fetchone()


def list_companies(conn: psycopg.Connection[Any], region: str | None, regions: list[str] | None,
                   limit: int, offset: int) -> tuple[list[Row], int]:
    """Companies filtered by region and (for coordinators) the regions they may see."""
    where = "WHERE (%(region)s::text IS NULL OR region = %(region)s)" \
            " AND (%(regions)s::text[] IS NULL OR region = ANY(%(regions)s))"
    params = {"region": region, "regions": regions, "limit": limit, "offset": offset}
    rows = conn.execute(f"SELECT * FROM companies {where} ORDER BY name, id LIMIT %(limit)s OFFSET %(offset)s",
                        params).fetchall()
    total = conn.execute(f"SELECT count(*) AS n FROM companies {where}", params).fetchone()
    return rows, int(total["n"]) if total else 0
