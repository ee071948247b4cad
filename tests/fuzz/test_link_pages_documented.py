"""The signed-link pages answer people with HTML; their OpenAPI operations must say so.

Found by the fuzzer: `GET/POST /api/v1/links/{action}` (sessions) and
`GET/POST /api/v1/unsubscribe` (notifications) documented only
problem+json errors while they answer text/html pages, for a good link and a
bad one alike; `GET /api/v1/company-reports/{token}` (reporting) was
documented as needing a bearer token, which it neither needs nor reads.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fuzz.conftest import FuzzApps

pytestmark = pytest.mark.integration

PAGES = [("sessions", "get", "/api/v1/links/{action}", "/api/v1/links/confirm"),
         ("sessions", "post", "/api/v1/links/{action}", "/api/v1/links/cancel"),
         ("notifications", "get", "/api/v1/unsubscribe", "/api/v1/unsubscribe"),
         ("notifications", "post", "/api/v1/unsubscribe", "/api/v1/unsubscribe"),
         ("reporting", "get", "/api/v1/company-reports/{token}", "/api/v1/company-reports/not.a-link")]


def documented_types(operation: dict[str, Any], document: dict[str, Any], status: int) -> set[str]:
    responses = operation["responses"]
    response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses["default"]
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return set(response.get("content", {}))


@pytest.mark.parametrize(("service", "method", "template", "path"), PAGES)
def test_a_link_page_answers_as_documented(fuzz_apps: FuzzApps, service: str, method: str, template: str,
                                           path: str) -> None:
    client = fuzz_apps.apps[service].test_client()
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"][template][method]
    assert operation["security"] == []  # the link is the credential; no bearer token
    response = client.open(path, method=method.upper(), query_string={"token": "not.a-link"},
                           headers={"Accept": "text/html"})
    assert response.status_code < 500
    assert response.mimetype in documented_types(operation, document, response.status_code), (
        response.status_code, response.mimetype)
