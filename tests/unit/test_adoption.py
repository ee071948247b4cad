"""The follow-up adoption rule enrolment and reporting share: the latest level, not the highest."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from services.common import adoption


def f(day: int, level: str) -> dict[str, Any]:
    return {"occurred_on": date(2026, 9, day), "adoption_level": level}


def test_the_latest_level_counts_not_the_highest() -> None:
    stopped = [f(1, "structural"), f(20, "none")]
    assert adoption.latest_level(stopped) == "none"
    assert not adoption.is_adopted(adoption.latest_level(stopped))
    assert adoption.latest_level([f(1, "none"), f(2, "occasional")]) == "occasional"


def test_a_late_recorded_older_follow_up_does_not_replace_the_latest() -> None:
    # Recorded in this order: the September 1 follow-up is entered after the one of September 20.
    assert adoption.latest_level([f(20, "none"), f(1, "structural")]) == "none"
    assert adoption.latest([f(20, "none"), f(1, "structural")]) == f(20, "none")


def test_of_one_day_the_one_recorded_last_counts() -> None:
    assert adoption.latest_level([f(5, "structural"), f(5, "none")]) == "none"
    assert adoption.latest_level([f(5, "none"), f(5, "occasional")]) == "occasional"
    assert adoption.supersedes(date(2026, 9, 5), date(2026, 9, 5))
    assert not adoption.supersedes(date(2026, 9, 4), date(2026, 9, 5))


def test_no_follow_up_is_no_level_and_not_adopted() -> None:
    assert adoption.latest_level([]) is None and adoption.latest([]) is None
    assert not adoption.is_adopted(None)


def test_adopted_means_occasional_or_structural() -> None:
    assert [level for level in adoption.LEVELS if adoption.is_adopted(level)] == ["occasional", "structural"]


@given(st.lists(st.tuples(st.integers(min_value=1, max_value=5), st.sampled_from(adoption.LEVELS)), min_size=1))
def test_the_latest_is_the_last_recorded_of_the_latest_day(history: list[tuple[int, str]]) -> None:
    follow_ups = [f(day, level) for day, level in history]
    last_day = max(day for day, _ in history)
    assert adoption.latest_level(follow_ups) == [level for day, level in history if day == last_day][-1]
