"""Sample event payloads made from the producers' JSON Schemas.

`sample(schema, full=False)` gives the smallest payload the schema allows
(required fields only, nulls where allowed); `full=True` fills every
property. Consumers must accept both: what a producer may legally send is
defined by its schema, not by what today's producer happens to send.
"""

from __future__ import annotations

import itertools
import re
import uuid
from typing import Any

_counter = itertools.count(1)
_EXAMPLE_KEYS = {"integer": "dialogue", "boolean": "director_attends_kickoff_and_closing"}


def _string(schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    n = next(_counter)
    if fmt == "uuid":
        return str(uuid.uuid4())
    if fmt == "date":
        return f"2026-{(n % 12) + 1:02d}-{(n % 27) + 1:02d}"
    if fmt == "date-time":
        return f"2026-{(n % 12) + 1:02d}-{(n % 27) + 1:02d}T09:00:00+00:00"
    if fmt == "email":
        return f"persoon{n}@voorbeeld.nl"
    digits = re.fullmatch(r"\^\[0-9\]\{(\d+)\}\$", schema.get("pattern", ""))
    if digits:
        return f"{n:0{int(digits.group(1))}d}"[-int(digits.group(1)):]
    if "pattern" in schema:
        raise ValueError(f"no sample rule for pattern {schema['pattern']!r}: teach samples.py")
    return "x" * max(int(schema.get("minLength", 0)), 1) if schema.get("minLength") else f"tekst {n}"


def sample(schema: dict[str, Any], full: bool = False) -> Any:
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][-1] if full else schema["enum"][0]
    if "anyOf" in schema:
        options = schema["anyOf"]
        nullable = [o for o in options if o.get("type") == "null"]
        if nullable and not full:
            return None
        return sample(next(o for o in options if o.get("type") != "null"), full)
    kind = schema.get("type")
    if isinstance(kind, list):
        if "null" in kind and not full:
            return None
        kind = next(k for k in kind if k != "null")
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        low = int(schema.get("minimum", 1))
        high = int(schema.get("maximum", low + 5))
        return high if full else low
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return full
    if kind == "array":
        items = schema.get("items", {"type": "string"})
        count = max(int(schema.get("minItems", 0)), 1 if full else 0)
        if schema.get("uniqueItems") and "enum" in items:
            return items["enum"][:max(count, 1) if full else count]
        return [sample(items, full) for _ in range(count)]
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required", []))
        out = {name: sample(sub, full) for name, sub in schema.get("properties", {}).items()
               if full or name in required}
        extra = schema.get("additionalProperties")
        if full and isinstance(extra, dict) and extra.get("type") in _EXAMPLE_KEYS:
            out.setdefault(_EXAMPLE_KEYS[extra["type"]], sample(extra, full))
        return out
    return None
