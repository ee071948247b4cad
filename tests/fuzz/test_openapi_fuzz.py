"""Schemathesis against every service's OpenAPI document: no 5xx, and every answer as documented
(status code, content type, body schema).

Per operation the examples, coverage (boundaries and the documented negative
cases) and fuzzing phases run; the stateful phase chains operations through
the links schemathesis infers from the documents (Location headers, ids in
bodies). Budget: PROGADMIN_FUZZ_PROFILE (tests/fuzz/budget.py).
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck

from services.common.config import SERVICES
from tests.fuzz.budget import budget
from tests.fuzz.conftest import FuzzApps
from tests.fuzz.targets import load_schemas

pytestmark = pytest.mark.integration

LOADED = {name: load_schemas(name) for name in SERVICES}
SCHEMAS = {name: schemas[0] for name, schemas in LOADED.items()}
# The signed-link routes (security: []) once more without any token, as participants call them.
PUBLIC = {name: schemas[1] for name, schemas in LOADED.items() if name != "enrolment"}
RELAXED = hypothesis.settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)


@schemathesis.pytest.parametrize(**SCHEMAS)
@RELAXED
def test_operation(case: schemathesis.Case, fuzz_apps: FuzzApps) -> None:
    case.call_and_validate()


@schemathesis.pytest.parametrize(**PUBLIC)
@RELAXED
def test_public_operation(case: schemathesis.Case, fuzz_apps: FuzzApps) -> None:
    case.call_and_validate()


@pytest.mark.parametrize("service", SERVICES)
def test_stateful(service: str, fuzz_apps: FuzzApps) -> None:
    plan = budget()
    SCHEMAS[service].as_state_machine().run(settings=hypothesis.settings(
        RELAXED, max_examples=plan.stateful_examples, stateful_step_count=plan.stateful_steps))
