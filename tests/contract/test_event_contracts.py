"""Event contracts: schemas, the AsyncAPI document, and consumers' own copies."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from services.common import asyncapi
from services.common.events import EVENT_SCHEMA_DIR, SCHEMA_DIR, known_types, new_event, validate_event
from services.reporting.schemas import CompanyRegisteredV1 as ReportingCompanyRegistered
from services.sessions.handlers import CompanyRegisteredV1 as SessionsCompanyRegistered


def test_every_schema_is_a_valid_json_schema_named_after_its_type() -> None:
    assert known_types(), "no event schemas found"
    for path in [SCHEMA_DIR / "cloudevent.json", *EVENT_SCHEMA_DIR.glob("*.json")]:
        schema = json.loads(path.read_text())
        Draft202012Validator.check_schema(schema)
        if path.parent == EVENT_SCHEMA_DIR:
            assert schema["$id"] == f"urn:progadmin:schema:{path.stem}"


def test_the_asyncapi_document_is_generated_from_the_schemas() -> None:
    assert asyncapi.main(["--check"]) == 0, "run: python -m services.common.asyncapi"
    doc = asyncapi.document()
    names = {m["name"] for m in doc["components"]["messages"].values()}
    assert names == set(known_types())


SAMPLE_COMPANY = {"company_id": "6a1f8e9e-2d47-4b8f-9a43-6f9e1b0c2d11", "name": "Bouw BV",
                  "kvk_number": "12345678", "region": "Midden", "a_future_field": {"nested": True}}


def test_consumers_read_what_enrolment_produces_and_ignore_unknown_fields() -> None:
    event = new_event("enrolment", "CompanyRegistered", SAMPLE_COMPANY["company_id"], SAMPLE_COMPANY)
    validate_event(event)  # additive fields keep the type valid
    for schema in (ReportingCompanyRegistered(), SessionsCompanyRegistered()):
        loaded = schema.load(event["data"])
        assert str(loaded["company_id"]) == SAMPLE_COMPANY["company_id"] and loaded["region"] == "Midden"
