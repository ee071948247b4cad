"""Reporting's queries over its projections."""

from __future__ import annotations

from psycopg_pool import ConnectionPool

from services.reporting import db


class Reporting:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def company_counts(self, regions: list[str] | None) -> dict[str, object]:
        with self.pool.connection() as conn:
            by_region = db.company_counts(conn, regions)
        return {"total": sum(by_region.values()), "by_region": by_region}
