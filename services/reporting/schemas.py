"""Reporting's schemas: its own copy of the event payloads it reads, and HTTP bodies."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields


class CompanyRegisteredV1(Schema):
    """What reporting needs of progadmin.enrolment.CompanyRegistered.v1 (unknown fields ignored)."""

    class Meta:
        unknown = EXCLUDE

    company_id = fields.UUID(required=True)
    region = fields.String(required=True)


class CompanyCounts(Schema):
    total = fields.Integer()
    by_region = fields.Dict(keys=fields.String(), values=fields.Integer())
