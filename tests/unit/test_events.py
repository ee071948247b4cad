"""CloudEvents envelope and schema validation (no I/O)."""

from __future__ import annotations

import json

import pytest

from services.common import context
from services.common.events import InvalidEvent, decode, encode, new_event, parse_type, validate_event


def sample() -> dict:
    return new_event("enrolment", "CompanyRegistered", "c1",
                     {"company_id": "6a1f8e9e-2d47-4b8f-9a43-6f9e1b0c2d11", "name": "X", "kvk_number": "12345678",
                      "region": "Noord"})


def test_new_event_has_a_complete_cloudevents_envelope() -> None:
    with context.caused_by("corr-1", "cause-1"):
        event = sample()
    assert event["specversion"] == "1.0"
    assert event["source"] == "/progadmin/enrolment"
    assert event["type"] == "progadmin.enrolment.CompanyRegistered.v1"
    assert event["subject"] == "c1"
    assert event["correlationid"] == "corr-1" and event["causationid"] == "cause-1"
    assert event["time"].endswith("Z")
    validate_event(event)


def test_a_new_correlation_id_is_made_when_there_is_none() -> None:
    with context.caused_by(None, None):
        event = sample()
    assert len(event["correlationid"]) == 36 and "causationid" not in event


@pytest.mark.parametrize(("path", "value", "message"), [
    (("data", "kvk_number"), "123", "data kvk_number"),
    (("data", "region"), "", "data region"),  # any region name, but not blank
    (("source",), "enrolment", "envelope source"),
    (("specversion",), "0.3", "envelope specversion"),
])
def test_invalid_events_are_refused_naming_the_field(path: tuple[str, ...], value: str, message: str) -> None:
    event = sample()
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(InvalidEvent, match=message):
        validate_event(event)


def test_missing_data_fields_are_all_listed() -> None:
    event = sample()
    event["data"] = {}
    with pytest.raises(InvalidEvent) as info:
        validate_event(event)
    for field in ("company_id", "name", "kvk_number", "region"):
        assert field in str(info.value)


def test_an_event_type_without_a_schema_is_refused() -> None:
    event = new_event("enrolment", "SomethingUndocumented", "x", {})
    with pytest.raises(InvalidEvent, match="no schema"):
        validate_event(event)


def test_encode_decode_round_trip_and_garbage() -> None:
    event = sample()
    assert decode(encode(event)) == event
    for raw in (b"{oops", b"[1,2]", None, json.dumps({"id": "x"}).encode(), b"\xff\xfe"):
        with pytest.raises(InvalidEvent):
            decode(raw)


def test_type_names_are_parsed_strictly() -> None:
    assert parse_type("progadmin.sessions.SessionHeld.v2") == ("sessions", "SessionHeld", 2)
    for bad in ("progadmin.sessions.sessionHeld.v1", "progadmin.Sessions.SessionHeld.v1", "x.y.Z.v1",
                "progadmin.sessions.SessionHeld"):
        with pytest.raises(InvalidEvent):
            parse_type(bad)
