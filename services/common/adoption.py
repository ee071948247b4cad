"""Follow-up adoption ("borging"): the one rule enrolment and reporting share. Pure, no I/O.

A company's adoption level is the level of its latest follow-up: the one that
occurred last (`occurred_on`), and of several on that same day the one
recorded last. It is not the highest level ever recorded: a company that
recorded "structural" and later "none" has stopped, and no longer counts as
adopted. A follow-up recorded late about an earlier date (or an older
FollowUpRecorded event that reaches reporting after a newer one) does not
replace the latest.

A company counts as adopted while that level is "occasional" or
"structural".

Enrolment applies `latest_level` to an enrolment's follow-ups when one is
recorded (its `adoption_level`); reporting's company figures ask the same in
SQL with `LATEST_FIRST_SQL` (checked against `latest_level` in
tests/integration/reporting/test_adoption.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

LEVELS = ("none", "occasional", "structural")
ADOPTED_LEVELS = frozenset({"occasional", "structural"})

# ORDER BY for a company's follow-ups, latest first, in a table with `occurred_on`,
# `recorded_at` (when it was recorded; NULL counts as earliest) and `follow_up_id`
# (the last tie-break, as the identifier of a row recorded in the same instant).
LATEST_FIRST_SQL = "occurred_on DESC, recorded_at DESC NULLS LAST, follow_up_id DESC"


def supersedes(occurred_on: Any, latest_occurred_on: Any) -> bool:
    """Whether a follow-up recorded now replaces the latest one so far: it occurred no earlier."""
    return bool(occurred_on >= latest_occurred_on)


def latest(follow_ups: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The latest follow-up of those given in the order they were recorded (None for none)."""
    current: Mapping[str, Any] | None = None
    for follow_up in follow_ups:
        if current is None or supersedes(follow_up["occurred_on"], current["occurred_on"]):
            current = follow_up
    return current


def latest_level(follow_ups: Iterable[Mapping[str, Any]]) -> str | None:
    """The company's adoption level: that of its latest follow-up, given in recording order (None if none)."""
    found = latest(follow_ups)
    return None if found is None else str(found["adoption_level"])


def is_adopted(level: str | None) -> bool:
    """Whether a company at this (latest) level counts as having adopted the approach."""
    return level in ADOPTED_LEVELS
