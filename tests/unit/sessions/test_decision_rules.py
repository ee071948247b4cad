"""Go/no-go rules without I/O: when a session takes a decision, and which session a merge may go into."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.sessions.domain import decision_refusal, merge_target_problem

NOW = datetime(2031, 3, 10, 9, 0, tzinfo=UTC)


def refusal(**overrides: Any) -> str | None:
    facts: dict[str, Any] = {"status": "planned", "starts_at": NOW + timedelta(days=3), "now": NOW,
                             "decision": "cancel", "registered": 2, "capacity_min": 4, "decided": None}
    facts.update(overrides)
    found = decision_refusal(**facts)
    return found[0] if found else None


def test_a_session_below_its_minimum_without_a_decision_takes_any_decision() -> None:
    for decision in ("go", "merge", "cancel"):
        assert refusal(decision=decision) is None
    assert refusal(status="confirmed") is None
    assert refusal(starts_at=NOW + timedelta(days=60)) is None  # before the horizon: a coordinator may decide early


@pytest.mark.parametrize(("overrides", "code"), [
    ({"status": "cancelled"}, "not_open"), ({"status": "held"}, "not_open"),
    ({"starts_at": NOW}, "started"), ({"decided": "go"}, "already_decided"),
    ({"decided": "go", "decision": "go"}, "already_decided"),
    ({"registered": 4}, "not_below_minimum"), ({"registered": 5, "decision": "merge"}, "not_below_minimum"),
])
def test_refusals_say_why(overrides: dict[str, Any], code: str) -> None:
    assert refusal(**overrides) == code


def test_go_is_taken_when_the_minimum_was_reached_meanwhile() -> None:
    assert refusal(decision="go", registered=4) is None


def session(**overrides: Any) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "programme_id": "p", "type": "dialogue", "region": "Noord", "status": "planned",
            "starts_at": NOW + timedelta(days=5), **overrides}


def test_a_merge_goes_into_an_open_session_of_the_same_programme_type_and_region() -> None:
    source = session()
    assert merge_target_problem(source, session(status="confirmed", starts_at=NOW + timedelta(days=1)), NOW) is None
    assert "itself" in str(merge_target_problem(source, source, NOW))
    assert "another programme" in str(merge_target_problem(source, session(programme_id="q"), NOW))
    assert "another type (intervision" in str(merge_target_problem(source, session(type="intervision"), NOW))
    assert "another region (Zuid, this one Noord)" in str(merge_target_problem(source, session(region="Zuid"), NOW))
    assert "is cancelled" in str(merge_target_problem(source, session(status="cancelled"), NOW))
    assert "has started" in str(merge_target_problem(source, session(starts_at=NOW), NOW))
