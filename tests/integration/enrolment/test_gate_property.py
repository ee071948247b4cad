"""The gate end to end: random sequences of HTTP calls on one enrolment, on the real database.
Whatever the order, no enrolment is admitted without a held interview that satisfies the programme's
rule, every refusal is a 409 that changes nothing, and withdrawn stays withdrawn."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.enrolment.domain import STANDARD_COMMITMENTS
from tests.integration.enrolment.support import PASSING_INTAKE, Api

pytestmark = pytest.mark.integration

outcomes = st.builds(lambda commitments, level: {**PASSING_INTAKE, "commitments": commitments,
                                                 "assessed_level": level},
                     st.fixed_dictionaries({item: st.booleans() for item in STANDARD_COMMITMENTS}),
                     st.integers(min_value=1, max_value=5))
calls = st.lists(st.one_of(
    st.just(("schedule", None)), st.just(("admit", None)), st.just(("decline", None)),
    st.just(("withdraw", None)), st.just(("delegate", None)), st.just(("complete", None)),
    st.tuples(st.just("outcome"), outcomes)), max_size=12)


def qualifying(outcome: dict[str, Any]) -> bool:
    return outcome["assessed_level"] >= 3 and all(outcome["commitments"].values())


@pytest.fixture(scope="module")
def programme(module_app: Flask) -> dict[str, Any]:
    return Api(module_app, module_app.test_client()).programme(max_delegates_per_company=20)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=calls)
def test_no_sequence_of_calls_admits_without_a_qualifying_interview(api: Api, programme: dict[str, Any],
                                                                    steps: list[tuple[str, Any]]) -> None:
    e = api.enrolment("interested", programme=programme)
    path = f"/api/v1/enrolments/{e['id']}"
    latest_intake: str | None = None
    latest_outcome: dict[str, Any] | None = None
    for n, (step, outcome) in enumerate(steps):
        before = api.ok(api.get(path))["state"]
        if step == "schedule":
            response = api.post(f"{path}/intakes", {"scheduled_at": "2026-02-01T10:00:00+01:00"})
            if response.status_code == 201:
                latest_intake = response.get_json()["id"]
        elif step == "outcome":
            if latest_intake is None:
                continue
            response = api.post(f"{path}/intakes/{latest_intake}/outcome", outcome)
            if response.status_code == 201:
                latest_outcome = outcome
        else:
            response = api.post(f"{path}/{step_path(step)}", step_body(step, n))
        after = api.ok(api.get(path))["state"]
        if response.status_code == 409:
            assert after == before, (step, response.get_json())
        else:
            assert response.status_code in (200, 201), response.get_json()
        if after == "admitted" and before != "admitted":
            assert latest_outcome is not None and qualifying(latest_outcome)
        if before in ("withdrawn", "completed"):
            assert response.status_code == 409 and after == before
    with psycopg.connect(api.settings.database_url) as conn:
        admitted = conn.execute("SELECT admitted_on IS NOT NULL FROM enrolments WHERE id = %s", (e["id"],)).fetchone()
        held = conn.execute("SELECT bool_or(meets_admission_rule) FROM intakes WHERE enrolment_id = %s",
                            (e["id"],)).fetchone()
    assert admitted is not None and held is not None
    if admitted[0]:
        assert held[0] is True


def step_path(step: str) -> str:
    return {"admit": "admission", "decline": "declination", "withdraw": "withdrawal", "delegate": "delegates",
            "complete": "completion"}[step]


def step_body(step: str, n: int) -> dict[str, Any]:
    return {"admit": {}, "decline": {"reason": "r"}, "withdraw": {"reason_code": "understaffing"},
            "delegate": {"name": "D", "email": f"d{n}@example.nl", "job_level": "manager"},
            "complete": {}}[step]
