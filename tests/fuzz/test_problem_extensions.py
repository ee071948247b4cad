"""A problem may carry extension members (RFC 9457 section 3.2); the documented Problem schema must allow them.

Found by the fuzzer's stateful phase: pausing a stopped drip campaign answers
409 with `current_state` and `allowed_next_states`, which the documented
`Problem` schema refused (`additionalProperties: false`).
"""

from __future__ import annotations

import jsonschema
import pytest

from services.common.config import SERVICES
from tests.fuzz.conftest import FuzzApps

pytestmark = pytest.mark.integration

TEXT = {"nl": "Hallo", "en": "Hello"}


@pytest.mark.parametrize("service", SERVICES)
def test_the_problem_schema_allows_extension_members(fuzz_apps: FuzzApps, service: str) -> None:
    problem = fuzz_apps.apps[service].test_client().get("/api/v1/openapi.json").get_json()[
        "components"]["schemas"]["Problem"]
    assert problem.get("additionalProperties", True) is not False


def test_a_conflict_with_extension_members_matches_the_documented_problem(fuzz_apps: FuzzApps) -> None:
    client = fuzz_apps.apps["notifications"].test_client()
    made = client.post("/api/v1/campaigns", headers=fuzz_apps.headers,
                       json={"name": "Inspiratie", "steps": [{"offset_days": 0, "subject": TEXT, "body": TEXT}]})
    assert made.status_code == 201, made.get_json()
    path = f"/api/v1/campaigns/{made.get_json()['id']}"
    assert client.post(f"{path}/stop", headers=fuzz_apps.headers).status_code == 200
    conflict = client.post(f"{path}/pause", headers=fuzz_apps.headers)
    assert conflict.status_code == 409 and "allowed_next_states" in conflict.get_json()
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Problem"]
    jsonschema.validate(conflict.get_json(), schema)
