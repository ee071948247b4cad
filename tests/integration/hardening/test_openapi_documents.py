"""Every service's OpenAPI document says what the service does: errors are problem+json, and the
rules a schema can state (KvK format, distinct regions, a coordinator's regions, bounds) are in it."""

from __future__ import annotations

from typing import Any

import pytest

from services.common.config import SERVICES
from tests.integration.hardening.conftest import Service

pytestmark = pytest.mark.integration


def spec(service: Service) -> dict[str, Any]:
    document: dict[str, Any] = service.client.get("/api/v1/openapi.json").get_json()
    return document


@pytest.mark.parametrize("name", SERVICES)
def test_every_error_is_documented_as_problem_json(services: dict[str, Service], name: str) -> None:
    document = spec(services[name])
    documented = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict):  # path-level "parameters"
                continue
            for status, response in operation.get("responses", {}).items():
                if status == "default" or status[0] in "45":
                    documented.append((path, method, status))
                    assert "application/json" not in response.get("content", {}), (path, method, status)
    assert documented
    for response_name, response in document["components"]["responses"].items():
        content = response.get("content", {})
        assert "application/json" not in content, response_name
        if content:
            assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    problem = document["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "instance", "invalid_params"} <= set(problem)


def test_business_rules_are_in_the_schemas(services: dict[str, Service]) -> None:
    enrolment = spec(services["enrolment"])["components"]["schemas"]
    assert enrolment["CompanyIn"]["properties"]["kvk_number"]["pattern"] == "^[0-9]{8}$"
    regions = enrolment["ProgrammeIn"]["properties"]["regions"]
    assert regions["uniqueItems"] is True and regions["minItems"] == 1
    assert "enum" not in regions["items"] and regions["items"]["maxLength"] == 100  # regions are data
    assert enrolment["ProgrammeIn"]["properties"]["max_delegates_per_company"]["type"] == "integer"
    staff = spec(services["notifications"])["components"]["schemas"]["StaffIn"]
    assert staff["if"]["properties"]["role"] == {"const": "coordinator"}
    assert staff["then"]["properties"]["regions"]["minItems"] == 1 and staff["properties"]["regions"]["uniqueItems"]
    session = spec(services["sessions"])["components"]["schemas"]["SessionIn"]["properties"]
    assert session["facilitator_ids"]["maxItems"] == 10
    assert "offset" in session["starts_at"]["description"]
    feed = spec(services["reporting"])["paths"]["/api/v1/feed"]["get"]["parameters"]
    after = next(p for p in feed if p["name"] == "after")
    assert after["schema"]["maximum"] == 2**63 - 1


@pytest.mark.parametrize("name", SERVICES)
def test_page_numbers_are_bounded_in_the_documents(services: dict[str, Service], name: str) -> None:
    pages = [p for item in spec(services[name])["paths"].values() for op in item.values() if isinstance(op, dict)
             for p in op.get("parameters", []) if p.get("name") == "page"]
    assert pages and all(p["schema"]["maximum"] == 1_000_000 for p in pages)
