"""Schemas and helpers every service's API shares: pagination."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

MAX_PAGE_SIZE = 100
# (page - 1) * page_size must fit the database's offset; no list is anywhere near this long.
MAX_PAGE = 1_000_000
# Regions are data: whatever a programme defines (Noord, Utrecht, Den Haag ...), never a fixed list.
REGION_MAX_LENGTH = 100
MAX_REGIONS = 50
# Single-line text (names) must not hold control characters: they break mail headers and XLSX cells.
SINGLE_LINE = validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="must not contain control characters (one line of text)")


class Region(fields.String):
    """A region name: non-empty text, trimmed of surrounding spaces, one line, at most 100 characters."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {}).setdefault(
            "description", "a region as the programme defines it (e.g. Noord, Utrecht, Den Haag)")
        super().__init__(validate=[validate.Length(min=1, max=REGION_MAX_LENGTH), SINGLE_LINE], **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        return text.strip() if isinstance(text, str) else text


def region_list(**kwargs: Any) -> fields.List:
    """A programme's or a person's regions: 1..50 distinct region names (uniqueItems in the OpenAPI document)."""
    metadata = {"uniqueItems": True, **kwargs.pop("metadata", {})}
    return fields.List(Region(), validate=[validate.Length(min=kwargs.pop("min_items", 1), max=MAX_REGIONS),
                                           _distinct], metadata=metadata, **kwargs)


def _distinct(value: list[str]) -> None:
    if len(set(value)) != len(value):
        raise ValidationError("regions must be unique")


class EventData(Schema):
    """Base for a consumer's own copy of an event payload: unknown fields are ignored.

    Producers may add fields without a new type; a consumer reads what it
    needs and must not fail on the rest.
    """

    class Meta:
        unknown = EXCLUDE


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
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
