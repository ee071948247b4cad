"""Sessions' rules without I/O: time zones, plan checks, windows, no-show pairs, averages, calendar."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar

from services.sessions import domain
from services.sessions.calendar import render
from services.sessions.roster import gate_refusal

RULES = domain.SessionRules(60, 210, 2)
START = datetime(2031, 5, 1, 8, tzinfo=UTC)


def plan(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = dict(
        rules=RULES, programme_regions=["Noord"], region="Noord", format_="regional_venue", starts_at=START,
        duration_minutes=120, capacity_min=10, capacity_max=12, facilitator_ids=["a"],
        venue_address="Markt 1", online_url=None)
    values.update(overrides)
    return values


@pytest.mark.parametrize(("naive", "utc"), [
    (datetime(2031, 10, 25, 10), datetime(2031, 10, 25, 8, tzinfo=UTC)),  # Saturday before the change: CEST
    (datetime(2031, 10, 27, 10), datetime(2031, 10, 27, 9, tzinfo=UTC)),  # Monday after: CET
    (datetime(2031, 3, 29, 10), datetime(2031, 3, 29, 9, tzinfo=UTC)),
    (datetime(2031, 3, 31, 10), datetime(2031, 3, 31, 8, tzinfo=UTC)),
])
def test_local_wall_clock_times_convert_to_utc_across_dst(naive: datetime, utc: datetime) -> None:
    assert domain.to_utc(naive) == utc
    assert domain.local(utc).replace(tzinfo=None) == naive


def test_times_in_the_dst_gap_or_overlap_need_an_offset() -> None:
    with pytest.raises(ValueError, match="does not exist"):
        domain.to_utc(datetime(2031, 3, 30, 2, 30))
    with pytest.raises(ValueError, match="occurs twice"):
        domain.to_utc(datetime(2031, 10, 26, 2, 30))
    explicit = datetime.fromisoformat("2031-10-26T02:30:00+01:00")
    assert domain.to_utc(explicit) == datetime(2031, 10, 26, 1, 30, tzinfo=UTC)


def test_a_good_plan_has_no_problems() -> None:
    assert domain.schedule_problems(**plan()) == {}  # type: ignore[arg-type]
    online = plan(format_="online", online_url="https://x", venue_address=None, facilitator_ids=["a", "b"])
    assert domain.schedule_problems(**online) == {}  # type: ignore[arg-type]


@pytest.mark.parametrize(("overrides", "field", "fragment"), [
    ({"duration_minutes": 0}, "ends_at", "end after it starts"),
    ({"duration_minutes": -30}, "ends_at", "end after it starts"),
    ({"duration_minutes": 59}, "duration_minutes", "between 60 and 210"),
    ({"duration_minutes": 211}, "duration_minutes", "between 60 and 210"),
    ({"capacity_min": 13}, "capacity_min", "greater than capacity_max"),
    ({"format_": "online", "online_url": "https://x", "venue_address": None}, "facilitator_ids", "at least 2"),
    ({"format_": "online", "facilitator_ids": ["a", "b"]}, "online_url", "meeting URL"),
    ({"venue_address": None}, "venue_address", "address"),
    ({"facilitator_ids": ["a", "a"]}, "facilitator_ids", "twice"),
    ({"region": "Zuid"}, "region", "does not run"),
])
def test_each_rule_names_its_field(overrides: dict[str, object], field: str, fragment: str) -> None:
    problems = domain.schedule_problems(**plan(**overrides))  # type: ignore[arg-type]
    assert fragment in str(problems[field])


def test_overlap_is_half_open_and_late_cancellation_threshold() -> None:
    end = START + timedelta(hours=2)
    assert domain.overlaps(START, end, end - timedelta(minutes=1), end + timedelta(hours=1))
    assert not domain.overlaps(START, end, end, end + timedelta(hours=1))
    assert domain.is_late_cancellation(START, START - timedelta(hours=47), 48)
    assert not domain.is_late_cancellation(START, START - timedelta(hours=48), 48)


def test_below_minimum_due_only_within_the_horizon_and_before_start() -> None:
    assert domain.below_minimum_due(START, START - timedelta(days=7), 7)
    assert not domain.below_minimum_due(START, START - timedelta(days=7, seconds=1), 7)
    assert not domain.below_minimum_due(START, START, 7)


def test_consecutive_no_shows_skip_excused_and_pair_each_run() -> None:
    history = [("s1", "no_show"), ("s2", "excused"), ("s3", "no_show"), ("s4", "no_show"), ("s5", "attended"),
               ("s6", "no_show")]
    assert domain.consecutive_no_shows(history) == [("s1", "s3"), ("s3", "s4")]
    assert domain.consecutive_no_shows([("s1", "no_show"), ("s2", "attended"), ("s3", "no_show")]) == []


@given(st.lists(st.sampled_from(domain.ATTENDANCE), max_size=20))
def test_no_show_pairs_are_exactly_adjacent_no_shows(attendance: list[str]) -> None:
    history = [(f"s{i}", a) for i, a in enumerate(attendance)]
    pairs = domain.consecutive_no_shows(history)
    shown = [s for s, a in history if a != "excused"]
    for earlier, later in pairs:
        assert dict(history)[earlier] == dict(history)[later] == "no_show"
        assert shown.index(later) == shown.index(earlier) + 1
    runs = sum(1 for i in range(len(shown) - 1) if dict(history)[shown[i]] == dict(history)[shown[i + 1]] == "no_show")
    assert len(pairs) == runs


def test_average_is_hidden_for_small_groups() -> None:
    assert domain.average([8, 7], 3) is None
    assert domain.average([8, 7, 8], 3) == 7.67
    assert domain.average([8, 7, 8, 7], 5) is None
    assert domain.average([8, 7, 8, 7, 8], 5) == 7.6


def test_gate_refusal_reasons() -> None:
    base = {"erased_on": None, "removed_on": None, "withdrawn_on": None, "admitted_on": "2026-01-01"}
    assert gate_refusal(base) is None
    assert gate_refusal(None) == "not a delegate of this programme"
    assert "not been admitted" in str(gate_refusal({**base, "admitted_on": None}))
    assert "withdrew" in str(gate_refusal({**base, "withdrawn_on": "2026-02-01"}))
    assert "removed" in str(gate_refusal({**base, "removed_on": "2026-02-01"}))
    assert "erased" in str(gate_refusal({**base, "erased_on": "2026-02-01", "withdrawn_on": "2026-02-01"}))


def test_calendar_renders_local_time_with_tzid_and_cancelled_status() -> None:
    sid = uuid.uuid4()
    session = {"id": sid, "starts_at": datetime(2031, 10, 27, 9, tzinfo=UTC), "duration_minutes": 90,
               "type": "intervision", "sequence_number": 2, "region": "Zuid", "version": 3, "status": "cancelled",
               "format": "online", "online_url": "https://teams.example/x", "venue_address": None,
               "working_method": None}
    raw = render([session], "Regio Zuid")
    cal = Calendar.from_ical(raw)
    [event] = cal.walk("VEVENT")
    assert b"DTSTART;TZID=Europe/Amsterdam:20311027T100000" in raw
    assert str(event["UID"]) == f"{sid}@progadmin" and str(event["SEQUENCE"]) == "3"
    assert str(event["STATUS"]) == "CANCELLED" and str(event["SUMMARY"]) == "Intervisiesessie 2 (Zuid)"
    assert cal.walk("VTIMEZONE") and b"\r\n" in raw  # RFC 5545 line endings


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2036, 12, 31)))
def test_every_local_time_round_trips_or_is_refused_as_ambiguous(naive: datetime) -> None:
    try:
        utc = domain.to_utc(naive)
    except ValueError:
        # Only the hour after 02:00 on the last Sunday of March or October can be refused.
        assert naive.month in (3, 10) and naive.weekday() == 6 and naive.day > 24 and naive.hour == 2
        return
    assert utc.tzinfo is UTC and domain.local(utc).replace(tzinfo=None) == naive
