"""One input policy for every service, applied before a service's own validation.

Every refusal is a 4xx `application/problem+json` naming the field:

- the body is at most `PROGADMIN_MAX_BODY_BYTES` (default 1 MiB): 413;
- a JSON body is strict: at most `MAX_JSON_DEPTH` levels of nesting, no
  duplicate keys, no NaN/Infinity (400);
- text (JSON strings and keys, query and form parameters, path segments)
  holds no NUL and no lone surrogate: PostgreSQL cannot store either (422);
- an integer field takes a JSON integer (never 2.5, never "2", never true)
  or a plain decimal query parameter, within its column's range: its own
  `Range(max=...)` or else a PostgreSQL `integer` (422);
- a date or date-time lies between `DATE_MIN` and `DATE_MAX`, and a
  date-time in a JSON body or query carries a UTC offset (RFC 3339) (422);
- a PATCH must change something: an empty body is refused (422).

The schema-aware rules run as webargs' `pre_load` hook of the one parser
flask-smorest shares, so they see exactly the schema a route declares.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from flask import Flask, request
from flask_smorest import Api
from flask_smorest.arguments import ArgumentsMixin
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.exceptions import RequestEntityTooLarge

from services.common import openapi_policy
from services.common.problems import InvalidInput, Problem

MAX_JSON_DEPTH = 32
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
DATE_MIN, DATE_MAX = date(1900, 1, 1), date(2199, 12, 31)

_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"')
_BRACKET = re.compile(rb"[\[\]{}]")
_DECIMAL = re.compile(r"-?[0-9]{1,20}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class MalformedJson(Problem):
    def __init__(self, detail: str, name: str = "(body)") -> None:
        super().__init__(400, "Bad Request", detail, kind="malformed-json",
                         invalid_params=[{"name": name, "reason": detail}])


# -- raw request checks (every route) -----------------------------------------------------
def text_problem(value: str) -> str | None:
    """Why PostgreSQL could not store this text, or None."""
    if "\x00" in value:
        return "must not contain the NUL character"
    if _LONE_SURROGATE.search(value):
        return "must be valid Unicode text (no lone surrogates)"
    return None


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every (dotted name, text) in a parsed JSON value, keys included."""
    if isinstance(value, str):
        yield path or "(body)", value
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            yield name, str(key)
            yield from _strings(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}" if path else str(index))


def json_depth(raw: bytes, limit: int = MAX_JSON_DEPTH) -> int:
    """Nesting depth of a JSON text (strings skipped), counting no further than limit + 1."""
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        if bracket.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        else:
            depth -= 1
    return deepest


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise MalformedJson(f"duplicate key {key!r}", key)
        seen[key] = value
    return seen


def _no_constant(name: str) -> Any:
    raise MalformedJson(f"{name} is not a JSON number")


def strict_json(raw: bytes) -> Any:
    """Parse a request body under the policy; raise a 400 problem otherwise."""
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise MalformedJson(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(raw, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise MalformedJson("the body is not valid JSON (UTF-8)") from exc


def _check_request(max_body: int) -> None:
    too_large = RequestEntityTooLarge(f"the body may hold at most {max_body} bytes")
    if request.content_length is not None and request.content_length > max_body:
        raise too_large
    # A chunked body (no Content-Length) is cut off at the limit by werkzeug without an error: a
    # body that fills the limit is taken as one that went over it.
    if request.content_length is None and request.headers.get("Transfer-Encoding", "").lower() == "chunked" \
            and len(request.get_data(cache=True)) >= max_body:
        raise too_large
    problems: dict[str, str | list[str]] = {}
    for source in (request.args, request.form if request.mimetype != "application/json" else {}):
        for key, values in getattr(source, "lists", lambda: [])():
            for text in (key, *values):
                reason = text_problem(text)
                if reason:
                    problems[key] = reason
    for key, value in (request.view_args or {}).items():
        reason = text_problem(value) if isinstance(value, str) else None
        if reason:
            problems[key] = reason
    if request.is_json and request.content_length != 0:
        raw = request.get_data(cache=True)
        if raw.strip():
            for name, text in _strings(strict_json(raw), ""):
                reason = text_problem(text)
                if reason:
                    problems[name] = reason
    if problems:
        raise InvalidInput(problems)


# -- schema-aware checks (webargs pre_load) ----------------------------------------------
def _range(field: fields.Field) -> tuple[int, int] | None:
    for validator in field.validators:
        if isinstance(validator, validate.Range) and validator.max is not None:
            return None  # the field states its own range; marshmallow checks it
    return INT32


def _integer_problem(field: fields.Integer, value: Any, location: str) -> str | None:
    if location == "json":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a JSON integer"
        if isinstance(value, float):
            if not value.is_integer():
                return "must be a whole number"
            value = int(value)
    else:
        if not isinstance(value, str) or not _DECIMAL.fullmatch(value.strip()):
            return "must be a whole number"
        value = int(value)
    bounds = _range(field)
    if bounds and not bounds[0] <= value <= bounds[1]:
        return f"must be between {bounds[0]} and {bounds[1]}"
    return None


def _date_problem(field: fields.Field, value: Any, location: str) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(field, fields.DateTime) \
            else date.fromisoformat(value)
    except ValueError:
        return None  # not a date at all: the field's own message says so
    day = parsed.date() if isinstance(parsed, datetime) else parsed
    if not DATE_MIN <= day <= DATE_MAX:
        return f"must lie between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}"
    aware_required = isinstance(field, fields.DateTime) and not isinstance(field, fields.NaiveDateTime)
    if aware_required and location in ("json", "query", "querystring") and isinstance(parsed, datetime) \
            and parsed.tzinfo is None:
        return "must include a UTC offset (RFC 3339), e.g. 2031-03-20T10:00:00+01:00"
    return None


def _check_value(field: fields.Field, value: Any, name: str, location: str, out: dict[str, Any]) -> None:
    if value is None:
        return
    if isinstance(field, fields.Integer):
        reason = _integer_problem(field, value, location)
    elif isinstance(field, fields.DateTime | fields.Date):
        reason = _date_problem(field, value, location)
    else:
        reason = None
        if isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
            items = value if field.many and isinstance(value, list) else [value] if not field.many else []
            for index, item in enumerate(items):
                _check_schema(field.schema, item, f"{name}.{index}" if field.many else name, location, out)
        elif isinstance(field, fields.List) and isinstance(value, list):
            for index, item in enumerate(value):
                _check_value(field.inner, item, f"{name}.{index}", location, out)
        elif isinstance(field, fields.Dict) and isinstance(value, dict) and field.value_field is not None:
            for key, item in value.items():
                _check_value(field.value_field, item, f"{name}.{key}", location, out)
    if reason:
        out[name] = [reason]


def _check_schema(schema: Schema, data: Any, prefix: str, location: str, out: dict[str, Any]) -> None:
    if not isinstance(data, Mapping):
        return
    for attr, field in schema.load_fields.items():
        key = field.data_key or attr
        if key in data:
            _check_value(field, data[key], f"{prefix}.{key}" if prefix else key, location, out)


def pre_load(location_data: Mapping[str, Any], *, schema: Schema, req: Any, location: str) -> Mapping[str, Any]:
    """webargs' hook: refuse what the policy refuses before the schema loads the data."""
    problems: dict[str, Any] = {}
    if location == "json" and req.method == "PATCH" and not location_data:
        problems["(body)"] = ["nothing to change: give at least one field"]
    _check_schema(schema, location_data, "", location, problems)
    if problems:
        raise ValidationError(problems)
    return location_data


def install(app: Flask, api: Api) -> None:
    """Apply the policy to a service's app (called once by web.create_service_app)."""
    from services.common import idempotency

    max_body = app.config["SETTINGS"].max_body_bytes
    # Werkzeug also stops a chunked body (no Content-Length) at this size.
    app.config["MAX_CONTENT_LENGTH"] = max_body
    check: Callable[[], None] = lambda: _check_request(max_body)  # noqa: E731
    # Before the idempotency claim, so a refused request claims no key and opens no transaction.
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.insert(hooks.index(idempotency._begin) if idempotency._begin in hooks else len(hooks), check)
    # flask-smorest binds its one parser when a route is declared (at import), so the policy hooks
    # that parser's documented pre_load extension point instead of replacing the parser.
    setattr(ArgumentsMixin.ARGUMENTS_PARSER, "pre_load", pre_load)  # noqa: B010
    openapi_policy.install(api)
