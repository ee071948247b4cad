"""How sessions keeps its read model of enrolment's companies."""

from __future__ import annotations

from typing import Any

import psycopg
from marshmallow import EXCLUDE, Schema, fields

from services.common.config import Settings
from services.common.consumer import Handler
from services.common.events import Event


class CompanyRegisteredV1(Schema):
    """Sessions' own copy of what it reads from CompanyRegistered.v1."""

    class Meta:
        unknown = EXCLUDE

    company_id = fields.UUID(required=True)
    region = fields.String(required=True)


def on_company_registered(conn: psycopg.Connection[Any], event: Event) -> None:
    data = CompanyRegisteredV1().load(event["data"])
    conn.execute(
        "INSERT INTO known_companies (company_id, region) VALUES (%s, %s)"
        " ON CONFLICT (company_id) DO UPDATE SET region = EXCLUDED.region, updated_at = now()",
        (data["company_id"], data["region"]))


def handlers(settings: Settings) -> dict[str, Handler]:
    return {"progadmin.enrolment.CompanyRegistered.v1": on_company_registered}
