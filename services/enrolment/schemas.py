"""Marshmallow schemas: HTTP bodies in and out, and event payloads."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from services.common.schemas import PageQuery, page_schema
from services.enrolment.domain import REGIONS, kvk_number_problem

__all__ = ["CompanyIn", "CompanyOut", "CompanyQuery", "CompanyPage", "PageQuery"]


class CompanyIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kvk_number = fields.String(required=True)
    region = fields.String(required=True, validate=validate.OneOf(REGIONS))

    @validates("kvk_number")
    def check_kvk(self, value: str, **_: Any) -> None:
        problem = kvk_number_problem(value)
        if problem:
            raise ValidationError(problem)


class CompanyOut(Schema):
    id = fields.UUID()
    name = fields.String()
    kvk_number = fields.String()
    region = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CompanyQuery(PageQuery):
    region = fields.String(validate=validate.OneOf(REGIONS))


CompanyPage = page_schema(CompanyOut)
