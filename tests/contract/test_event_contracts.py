"""Event contracts: schemas, the AsyncAPI document, and consumers' own copies."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from services.common import asyncapi
from services.common.events import EVENT_SCHEMA_DIR, SCHEMA_DIR, known_types


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
