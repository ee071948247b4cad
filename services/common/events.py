"""CloudEvents 1.0 envelope (structured JSON mode) and the event-type registry.

Type names follow `progadmin.<service>.<PastTenseName>.v<major>`. Every type
a service produces has a JSON Schema in `schemas/events/<type>.json`; the
outbox refuses an event whose envelope or data does not validate, so nothing
malformed ever reaches a topic. Consumers validate with their own copy of
what they need (marshmallow, unknown fields ignored).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator

from services.common import context

ROOT = Path(__file__).resolve().parent.parent.parent
SCHEMA_DIR = ROOT / "schemas"
EVENT_SCHEMA_DIR = SCHEMA_DIR / "events"
SPECVERSION = "1.0"
_TYPE = re.compile(r"^progadmin\.(?P<service>[a-z]+)\.(?P<name>[A-Z][A-Za-z]+)\.v(?P<major>\d+)$")

Event = dict[str, Any]


class InvalidEvent(ValueError):
    """An event that does not satisfy its envelope or data schema."""


def event_type(service: str, name: str, major: int = 1) -> str:
    return f"progadmin.{service}.{name}.v{major}"


def parse_type(type_: str) -> tuple[str, str, int]:
    """Split a type into (service, name, major); raise InvalidEvent if malformed."""
    match = _TYPE.match(type_)
    if not match:
        raise InvalidEvent(f"event type {type_!r} is not progadmin.<service>.<Name>.v<major>")
    return match["service"], match["name"], int(match["major"])


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_event(service: str, name: str, subject: str, data: dict[str, Any], *, major: int = 1,
              event_id: str | None = None, time: str | None = None) -> Event:
    """Build an envelope; correlation and causation come from the current context."""
    type_ = event_type(service, name, major)
    event: Event = {
        "specversion": SPECVERSION,
        "id": event_id or str(uuid.uuid4()),
        "source": f"/progadmin/{service}",
        "type": type_,
        "subject": str(subject),
        "time": time or utc_now_iso(),
        "datacontenttype": "application/json",
        "dataschema": f"urn:progadmin:schema:{type_}",
        "correlationid": context.current_correlation_id(),
        "data": data,
    }
    cause = context.causation_id.get()
    if cause:
        event["causationid"] = cause
    return event


@cache
def _validator(path: Path) -> Draft202012Validator:
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@cache
def _compiled(path: Path) -> jsonschema_rs.Validator:
    """The same schema compiled (Rust): ~20 µs per event instead of ~1 ms (issue 14)."""
    return jsonschema_rs.validator_for(json.loads(path.read_text()), validate_formats=True)


def _problems(path: Path, instance: Any, where: str) -> list[str]:
    """Validate with the compiled schema; only a refusal asks jsonschema, which stays the judge.

    jsonschema decides and words every refusal, so what is accepted or refused and why
    is exactly as before; the compiled validator checks formats at least as strictly
    (date-time too), so an event it accepts, jsonschema accepts.
    """
    if _compiled(path).is_valid(instance):
        return []
    return _errors(_validator(path), instance, where)


def schema_path(type_: str) -> Path:
    return EVENT_SCHEMA_DIR / f"{type_}.json"


def known_types() -> list[str]:
    return sorted(p.name[: -len(".json")] for p in EVENT_SCHEMA_DIR.glob("progadmin.*.json"))


def _errors(validator: Draft202012Validator, instance: Any, where: str) -> list[str]:
    return [f"{where}{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))]


ENVELOPE_SCHEMA = SCHEMA_DIR / "cloudevent.json"
# Type -> its schema file, once found: building and stat-ing a Path per event was a tenth of a
# rebuild's validation (issue 14).
_schema_files: dict[str, Path] = {}


def _schema_file(type_: str) -> Path:
    path = _schema_files.get(type_)
    if path is None:
        parse_type(type_)
        path = schema_path(type_)
        if not path.exists():
            raise InvalidEvent(f"no schema for event type {type_} (expected {path})")
        _schema_files[type_] = path
    return path


def validate_event(event: Event) -> None:
    """Check envelope and data against their schemas; raise InvalidEvent listing every problem."""
    problems = _problems(ENVELOPE_SCHEMA, event, "envelope ")
    if not problems:
        problems = _problems(_schema_file(event["type"]), event["data"], "data ")
    if problems:
        raise InvalidEvent(f"{event.get('type')}: " + "; ".join(problems))


def encode(event: Event) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()


def decode(raw: bytes | None) -> Event:
    """Parse a structured-mode CloudEvent; raise InvalidEvent for anything else."""
    if raw is None:
        raise InvalidEvent("empty message (tombstone)")
    try:
        event = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidEvent(f"not JSON: {exc}") from exc
    if not isinstance(event, dict):
        raise InvalidEvent("not a JSON object")
    problems = _problems(ENVELOPE_SCHEMA, event, "envelope ")
    if problems:
        raise InvalidEvent("; ".join(problems))
    return event
