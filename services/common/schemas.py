"""Schemas and helpers every service's API shares: pagination."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from marshmallow import EXCLUDE, Schema, fields, validate

MAX_PAGE_SIZE = 100


class EventData(Schema):
    """Base for a consumer's own copy of an event payload: unknown fields are ignored.

    Producers may add fields without a new type; a consumer reads what it
    needs and must not fail on the rest.
    """

    class Meta:
        unknown = EXCLUDE


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class Links(Schema):
    self_ = fields.String(data_key="self")
    next = fields.String(allow_none=True)
    prev = fields.String(allow_none=True)


# Keyed by the item class itself: two services may both have a `ProgrammeOut`,
# and each must get a page of its own schema.
_page_schemas: dict[type[Schema], type[Schema]] = {}


def page_schema(item: type[Schema]) -> type[Schema]:
    """A list response schema: `items`, `total`, `page`, `page_size`, `links`."""
    name = f"{item.__name__}Page"
    if item not in _page_schemas:
        _page_schemas[item] = Schema.from_dict({
            "items": fields.List(fields.Nested(item)),
            "total": fields.Integer(),
            "page": fields.Integer(),
            "page_size": fields.Integer(),
            "links": fields.Nested(Links),
        }, name=name)
    return _page_schemas[item]


def offset_of(query: dict[str, Any]) -> tuple[int, int]:
    """(limit, offset) for a validated PageQuery."""
    return query["page_size"], (query["page"] - 1) * query["page_size"]


def page(items: list[Any], total: int, query: dict[str, Any]) -> dict[str, Any]:
    """Wrap a page of items with total and next/prev links that keep the filters."""
    number, size = query["page"], query["page_size"]
    args = {k: v for k, v in request.args.items() if k not in ("page", "page_size")}

    def link(n: int) -> str:
        values: dict[str, Any] = {**(request.view_args or {}), **args, "page": n, "page_size": size}
        return url_for(request.endpoint or "", **values)

    return {
        "items": items,
        "total": total,
        "page": number,
        "page_size": size,
        "links": {
            "self_": link(number),
            "next": link(number + 1) if number * size < total else None,
            "prev": link(number - 1) if number > 1 else None,
        },
    }
