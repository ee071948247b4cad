"""The public contract: schemas generated and closed, pseudonyms stable and opaque, charts drawn."""

from __future__ import annotations

import json
import uuid

from services.common import asyncapi
from services.common.events import EVENT_SCHEMA_DIR
from services.reporting import public_events
from services.reporting.charts import bar_chart
from services.reporting.pseudonyms import pseudonym


def test_public_schemas_are_up_to_date_closed_and_in_the_asyncapi_document() -> None:
    assert public_events.main(["--check"]) == 0, "run: python -m services.reporting.public_events"
    doc = asyncapi.document()
    channel = doc["channels"]["reporting"]
    assert channel["address"] == "progadmin.reporting.events"
    for name in public_events.public_type_names():
        schema = json.loads((EVENT_SCHEMA_DIR / f"{name}.json").read_text())
        assert schema["additionalProperties"] is False
        assert not {"name", "email", "contact", "director", "reason_text", "kvk_number"} & set(schema["properties"]) \
            or name.endswith(("ProgrammeOpened.v1", "ProgrammeUpdated.v1"))
        key = name.split(".")[2] + "V1"
        assert key in channel["messages"]


def test_every_id_field_but_programme_and_session_is_pseudonymised_in_the_schemas() -> None:
    for name in public_events.public_type_names():
        properties = json.loads((EVENT_SCHEMA_DIR / f"{name}.json").read_text())["properties"]
        for field, spec in properties.items():
            if field.endswith(("_id", "_ids")) and field not in ("programme_id", "session_id"):
                assert "Pseudonymous" in spec.get("description", ""), (name, field)


def test_pseudonyms_are_stable_distinct_per_kind_and_secret_and_uuid_shaped() -> None:
    person = str(uuid.uuid4())
    a = pseudonym("secret-1", "person", person)
    assert a == pseudonym("secret-1", "person", person)
    assert a != pseudonym("secret-2", "person", person)
    assert a != pseudonym("secret-1", "company", person)
    assert uuid.UUID(a).version == 8 and a != person


def test_bar_chart_is_svg_with_a_bar_per_value_and_escaped_labels() -> None:
    svg = bar_chart("Sessies <per> type", [("dialoog", 9), ("intervisie", 6), ("leeg", 0)])
    assert svg.startswith("<svg") and svg.count("<rect") == 3 and "&lt;per&gt;" in svg
    widths = [int(part.split('"')[0]) for part in svg.split('width="')[2:]]
    assert widths[0] > widths[1] > widths[2] == 0
    assert "geen gegevens" in bar_chart("leeg", [])
