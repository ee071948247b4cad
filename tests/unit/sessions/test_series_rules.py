"""A series' dates and local times (issue 15): every occurrence keeps its wall-clock time across DST."""

from __future__ import annotations

from datetime import date, time

from services.sessions import domain


def test_every_second_tuesday_four_times() -> None:
    days = domain.series_dates(date(2031, 3, 11), 2, 4)
    assert days == [date(2031, 3, 11), date(2031, 3, 25), date(2031, 4, 8), date(2031, 4, 22)]
    assert {d.weekday() for d in days} == {1}


def test_the_local_time_holds_across_the_change_to_summer_time() -> None:
    # Summer time starts on 30 March 2031: 14:00 is 13:00 UTC before and 12:00 UTC after.
    before, after = (domain.to_utc(domain.wall_clock(d, time(14, 0))) for d in (date(2031, 3, 25), date(2031, 4, 8)))
    assert (before.hour, after.hour) == (13, 12)
    assert domain.local(before).hour == domain.local(after).hour == 14


def test_a_slot_ends_after_it_starts() -> None:
    assert domain.minutes_between(time(14, 0), time(16, 30)) == 150
    assert domain.minutes_between(time(14, 0), time(13, 30)) < 0
    assert domain.minutes_between(time(14, 0), time(14, 0)) == 0
