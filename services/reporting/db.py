"""Reporting's projection queries (plain SQL, bound parameters)."""

from __future__ import annotations

from typing import Any

import psycopg


def upsert_company(conn: psycopg.Connection[Any], company_id: str, region: str, registered_at: str) -> None:
    conn.execute(
        "INSERT INTO companies (company_id, region, registered_at) VALUES (%s, %s, %s)"
        " ON CONFLICT (company_id) DO UPDATE SET region = EXCLUDED.region",
        (company_id, region, registered_at))


def company_counts(conn: psycopg.Connection[Any], regions: list[str] | None) -> dict[str, int]:
    rows = conn.execute(
        "SELECT region, count(*) AS n FROM companies"
        " WHERE %(regions)s::text[] IS NULL OR region = ANY(%(regions)s) GROUP BY region",
        {"regions": regions}).fetchall()
    return {r["region"]: int(r["n"]) for r in rows}
