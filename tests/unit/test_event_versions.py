"""Nothing personal on the long-lived events topics, and every consumer reads v1 and v2 side by side."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.common.config import Settings
from services.common.contacts import CONTACT_DETAILS_CHANGED
from services.common.events import known_types, schema_path
from services.notifications.handlers import handlers as notification_handlers
from services.reporting.handlers import PROJECTIONS
from services.reporting.public_events import PUBLIC_TYPES, SAME_PUBLIC_TYPE
from services.sessions.handlers import handlers as session_handlers

PERSONAL = {"name", "email", "contact", "director", "reason_text", "phone"}
V2 = [t for t in known_types() if t.endswith(".v2")]


def properties(schema: dict[str, Any], prefix: str = "") -> set[str]:
    out = set()
    for key, value in schema.get("properties", {}).items():
        out.add(key)
        if isinstance(value, dict):
            out |= properties(value, f"{prefix}{key}.")
    return out


def test_enrolment_now_produces_only_types_without_contact_data_on_its_events_topic() -> None:
    assert sorted(t.split(".")[2] for t in V2) == ["CompanyAdmitted", "CompanyDeclined", "CompanyWithdrew",
                                                    "IntakeScheduled", "ParticipantDelegated"]
    for type_ in V2:
        fields = properties(json.loads(schema_path(type_).read_text()))
        assert not fields & PERSONAL, (type_, fields & PERSONAL)
    # The one type with contact data lives on the compacted contacts topic, not the events topic.
    assert {"name", "email"} <= properties(json.loads(schema_path(CONTACT_DETAILS_CHANGED).read_text()))


@pytest.mark.parametrize("service", ["sessions", "notifications", "reporting"])
def test_each_consumer_handles_v1_and_v2_alike(service: str) -> None:
    settings = Settings.from_env(service)
    table: dict[str, Any] = dict(PROJECTIONS)
    if service == "sessions":
        table = session_handlers(settings)
    elif service == "notifications":
        table = notification_handlers(settings)
    for v2 in V2:
        v1 = v2[:-1] + "1"
        assert (v1 in table) == (v2 in table), (service, v1, v2)
        if service == "reporting" and v1 in table:
            assert table[v1] is table[v2]


def test_v2_maps_to_the_same_public_type_as_v1() -> None:
    for v2, v1 in SAME_PUBLIC_TYPE.items():
        assert v2 in V2 and v1 in PUBLIC_TYPES
    assert {v2[:-1] + "1" for v2 in V2 if v2[:-1] + "1" in PUBLIC_TYPES} == set(SAME_PUBLIC_TYPE.values())
