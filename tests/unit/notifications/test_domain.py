"""Rules of notifications without I/O: kinds, reminder times, backoff, campaigns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notifications.clock import ManualClock
from services.notifications.domain import (
    CAMPAIGN_TRANSITIONS,
    KINDS,
    IllegalTransition,
    campaign_transition,
    in_audience,
    invitation_reminder_time,
    language_of,
    no_coordinator_reason,
    reminder_time,
    retry_delay,
    staff_recipient,
    step_times,
)

T0 = datetime(2026, 3, 16, 8, 0, tzinfo=UTC)


def test_only_digests_and_drips_are_optional() -> None:
    assert {k.name for k in KINDS.values() if k.optional} == {"progress_digest", "drip"}


def test_mails_about_a_session_carry_a_calendar_entry() -> None:
    with_calendar = {k.name: k.calendar for k in KINDS.values() if k.calendar}
    assert with_calendar == {"intake_invitation": "intake", "session_invitation": "session",
                             "facilitator_assignment": "session", "session_rescheduled": "session",
                             "session_cancelled": "session-cancel", "waitlist_promotion": "session",
                             "session_transfer": "session"}


def test_reminder_uses_the_programmes_lead_time_else_the_default() -> None:
    assert reminder_time(T0, None, 48) == T0 - timedelta(hours=48)
    assert reminder_time(T0, 24, 48) == T0 - timedelta(hours=24)


@given(st.integers(min_value=1, max_value=40), st.integers(min_value=1, max_value=600))
def test_backoff_grows_and_is_capped(attempts: int, base: int) -> None:
    delay = retry_delay(attempts, base)
    assert timedelta(seconds=base) <= delay <= timedelta(hours=6)
    assert retry_delay(attempts + 1, base) >= delay


def test_backoff_doubles() -> None:
    assert [retry_delay(a, 30).total_seconds() for a in (1, 2, 3, 4)] == [30, 60, 120, 240]


@pytest.mark.parametrize("current", sorted(CAMPAIGN_TRANSITIONS))
def test_campaign_transitions(current: str) -> None:
    for wanted in ("active", "paused", "stopped"):
        if wanted in CAMPAIGN_TRANSITIONS[current]:
            assert campaign_transition(current, wanted) == wanted
        else:
            with pytest.raises(IllegalTransition) as refused:
                campaign_transition(current, wanted)
            assert (refused.value.current, refused.value.allowed) == (current, list(CAMPAIGN_TRANSITIONS[current]))


@given(st.lists(st.integers(min_value=0, max_value=365), min_size=1, max_size=10))
def test_steps_go_out_at_their_offsets(offsets: list[int]) -> None:
    times = step_times(T0, [{"offset_days": d} for d in offsets])
    assert [t - T0 for t in times] == [timedelta(days=d) for d in offsets]


def test_audience_and_language_and_staff_ids() -> None:
    assert in_audience("manager", ["manager"]) and not in_audience("foreman", ["manager"])
    assert not in_audience(None, ["manager"])
    assert language_of("en") == "en" and language_of(None) == "nl" and language_of("de") == "nl"
    assert staff_recipient("fac-1") == "staff:fac-1"


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(T0)
    assert clock.now() == T0
    assert clock.advance(timedelta(days=7)) == T0 + timedelta(days=7)
    clock.set(T0)
    assert clock.now() == T0


def test_the_reason_an_alert_went_to_the_fund_administrators_names_the_region_dutch_first() -> None:
    assert no_coordinator_reason("Noord") == ("geen coördinator voor regio Noord in de personeelslijst",
                                              "no coordinator for region Noord in the staff directory")
    nl, en = no_coordinator_reason(None)
    assert "regio onbekend" in nl and "region unknown" in en


def test_domain_is_pure() -> None:
    """The rules import no web framework, database or service module: the API edge maps their errors."""
    import ast
    import inspect

    import services.notifications.domain as domain

    tree = ast.parse(inspect.getsource(domain))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported <= {"__future__", "dataclasses", "datetime", "typing"}, imported


def test_an_invitation_reminder_comes_after_the_delay_and_never_at_or_after_the_start() -> None:
    assert invitation_reminder_time(T0, 72, T0 + timedelta(days=10)) == T0 + timedelta(hours=72)
    assert invitation_reminder_time(T0, 72, None) == T0 + timedelta(hours=72)  # the session is still on its way
    assert invitation_reminder_time(T0, 72, T0 + timedelta(hours=72)) is None
    assert invitation_reminder_time(T0, 72, T0 + timedelta(hours=10)) is None
