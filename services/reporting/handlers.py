"""How reporting projects the events it consumes."""

from __future__ import annotations

from typing import Any

import psycopg

from services.common.config import Settings
from services.common.consumer import Handler
from services.common.events import Event
from services.reporting import db
from services.reporting.schemas import CompanyRegisteredV1


def on_company_registered(conn: psycopg.Connection[Any], event: Event) -> None:
    data = CompanyRegisteredV1().load(event["data"])
    db.upsert_company(conn, str(data["company_id"]), data["region"], event["time"])


def handlers(settings: Settings) -> dict[str, Handler]:
    return {"progadmin.enrolment.CompanyRegistered.v1": on_company_registered}
