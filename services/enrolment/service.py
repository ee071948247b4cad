"""Enrolment use cases: each writes its state change and its events in one transaction."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg_pool import ConnectionPool

from services.common import audit
from services.common.config import Settings
from services.common.db import unit_of_work
from services.common.events import new_event
from services.common.outbox import Outbox
from services.common.problems import Conflict
from services.enrolment import db

SERVICE = "enrolment"


class Enrolment:
    """The enrolment service's use cases."""

    def __init__(self, settings: Settings, pool: ConnectionPool) -> None:
        self.pool = pool
        self.outbox = Outbox(settings)

    def register_company(self, data: dict[str, Any]) -> dict[str, Any]:
        with unit_of_work(self.pool) as conn:
            row = db.insert_company(conn, uuid.uuid4(), data["name"], data["kvk_number"], data["region"])
            if row is None:
                raise Conflict(f"a company with KvK number {data['kvk_number']} is already registered",
                               invalid_params=[{"name": "kvk_number", "reason": "already registered"}])
            self.outbox.add(conn, [new_event(SERVICE, "CompanyRegistered", str(row["id"]), {
                "company_id": str(row["id"]),
                "name": row["name"],
                "kvk_number": row["kvk_number"],
                "region": row["region"],
            })])
            audit.record(conn, "company.register", "company", str(row["id"]), {"kvk_number": row["kvk_number"]})
            return row

    def company(self, company_id: uuid.UUID) -> dict[str, Any] | None:
        with self.pool.connection() as conn:
            return db.get_company(conn, company_id)

    def companies(self, region: str | None, regions: list[str] | None, limit: int,
                  offset: int) -> tuple[list[dict[str, Any]], int]:
        with self.pool.connection() as conn:
            return db.list_companies(conn, region, regions, limit, offset)
