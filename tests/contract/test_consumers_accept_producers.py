"""Every consumer accepts every event its producer's schema allows.

For each consuming service and each event type it handles, a minimal
payload (required fields only, nulls where allowed) and a full payload are
made from the producer's JSON Schema, checked against it, and applied
through the consumer's real handler on its own real database. A consumer
that chokes on a valid event would dead-letter it in production; here it
fails the build. The same run proves each handled type exists in the
catalogue (a misspelt type would never be delivered).
"""

from __future__ import annotations

import importlib
import json
import uuid
from typing import Any

import pytest

from services.common.consumer import EventConsumer
from services.common.contacts import TOMBSTONE_PREFIX
from services.common.db import open_pool
from services.common.events import known_types, new_event, parse_type, schema_path, validate_event
from tests.conftest import Platform
from tests.contract.samples import sample

CONSUMERS = ("sessions", "notifications", "reporting")


def handled_types(service: str, platform: Platform) -> dict[str, Any]:
    """The handlers of event types (tombstone handlers are keyed by topic, not type: see test_tombstones)."""
    module = importlib.import_module(f"services.{service}.handlers")
    table = module.handlers(platform.settings(service))
    return {t: h for t, h in table.items() if not t.startswith(TOMBSTONE_PREFIX)}


@pytest.mark.parametrize("service", CONSUMERS)
def test_every_handled_type_is_in_the_catalogue(service: str, db_only: Platform) -> None:
    unknown = set(handled_types(service, db_only)) - set(known_types())
    assert not unknown, f"{service} handles types no producer documents: {sorted(unknown)}"


@pytest.mark.parametrize("service", CONSUMERS)
def test_minimal_and_full_events_of_every_handled_type_apply(service: str, db_only: Platform) -> None:
    settings = db_only.settings(service)
    handlers = handled_types(service, db_only)
    assert handlers, f"{service} handles no events"
    pool = open_pool(settings)
    consumer = EventConsumer(settings, pool, f"contract-{service}", [], handlers)
    failures = []
    try:
        for type_ in sorted(handlers):
            producer, name, major = parse_type(type_)
            schema = json.loads(schema_path(type_).read_text())
            for full in (False, True):
                data = sample(schema, full=full)
                if full and schema.get("additionalProperties", True) is not False:
                    data["a_future_field"] = {"added": "later, additively"}  # consumers ignore unknown fields
                event = new_event(producer, name, str(uuid.uuid4()), data, major=major)
                validate_event(event)  # the sample is something the producer may really send
                try:
                    assert consumer.apply(event) is True
                except Exception as exc:
                    failures.append(f"{type_} ({'full' if full else 'minimal'}): {type(exc).__name__}: {exc}")
    finally:
        pool.close()
    assert not failures, "\n".join(failures)
