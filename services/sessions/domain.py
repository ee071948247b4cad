"""Session rules, free of I/O: scheduling checks, time zones, transitions, windows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TYPES = ("dialogue", "intervision", "workshop", "kick_off", "closing")
FORMATS = ("on_site", "regional_venue", "online")
STATUSES = ("planned", "confirmed", "held", "cancelled")
ATTENDANCE = ("attended", "no_show", "excused")
LOCAL_TZ = ZoneInfo("Europe/Amsterdam")
# Evaluation averages are shown only for groups at least this large, so a
# score cannot be traced to one person.

# Which status may follow which: the 409 answers list them.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "planned": ("confirmed", "held", "cancelled"),
    "confirmed": ("held", "cancelled"),
    "held": (),
    "cancelled": (),
}


@dataclass(frozen=True)
class SessionRules:
    """A programme's rules as enrolment published them."""

    min_duration_minutes: int
    max_duration_minutes: int
    online_facilitators: int


def to_utc(value: datetime) -> datetime:
    """Interpret a naive time as Europe/Amsterdam wall-clock time; return UTC.

    Raises ValueError for a wall-clock time that does not exist (the spring
    DST gap) or exists twice (the autumn overlap): the caller must then give
    an explicit offset.
    """
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    first = value.replace(tzinfo=LOCAL_TZ, fold=0)
    second = value.replace(tzinfo=LOCAL_TZ, fold=1)
    if first.utcoffset() != second.utcoffset():
        # zoneinfo gives different offsets for fold 0/1 both in the gap and
        # in the overlap; a round trip tells which one this is.
        if first.astimezone(UTC).astimezone(LOCAL_TZ).replace(tzinfo=None) != value:
            raise ValueError("this local time does not exist (daylight saving time starts); give an offset")
        raise ValueError("this local time occurs twice (daylight saving time ends); give an offset")
    return first.astimezone(UTC)


def local(value: datetime) -> datetime:
    """A UTC time as Europe/Amsterdam time (with its offset)."""
    return value.astimezone(LOCAL_TZ)


def schedule_problems(*, rules: SessionRules, programme_regions: Iterable[str], region: str, format_: str,
                      starts_at: datetime, duration_minutes: int, capacity_min: int, capacity_max: int,
                      facilitator_ids: list[str], venue_address: str | None,
                      online_url: str | None) -> dict[str, str | list[str]]:
    """Every reason a session's plan is unacceptable, by field; empty when fine."""
    problems: dict[str, str | list[str]] = {}
    if region not in set(programme_regions):
        problems["region"] = f"the programme does not run in region {region}"
    if duration_minutes <= 0:
        problems["ends_at"] = "the session must end after it starts"
    elif not rules.min_duration_minutes <= duration_minutes <= rules.max_duration_minutes:
        problems["duration_minutes"] = (f"must be between {rules.min_duration_minutes} and "
                                        f"{rules.max_duration_minutes} minutes for this programme")
    if capacity_min > capacity_max:
        problems["capacity_min"] = "must not be greater than capacity_max"
    if len(set(facilitator_ids)) != len(facilitator_ids):
        problems["facilitator_ids"] = "a facilitator is listed twice"
    elif format_ == "online" and len(facilitator_ids) < rules.online_facilitators:
        problems["facilitator_ids"] = (f"an online session needs at least {rules.online_facilitators} "
                                       "facilitators in this programme")
    if format_ == "online":
        if not online_url:
            problems["online_url"] = "an online session needs a meeting URL"
    elif not venue_address:
        problems["venue_address"] = "a session on site or at a regional venue needs an address"
    return problems


def ends_at(starts_at: datetime, duration_minutes: int) -> datetime:
    return starts_at + timedelta(minutes=duration_minutes)


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open intervals: a session ending at 12:00 does not overlap one starting at 12:00."""
    return a_start < b_end and b_start < a_end


def is_late_cancellation(starts_at: datetime, now: datetime, late_hours: int) -> bool:
    """A cancellation within `late_hours` of the start is late ("laat afgezegd")."""
    return starts_at - now < timedelta(hours=late_hours)


def evaluation_window(session_end: datetime, days: int) -> tuple[datetime, datetime]:
    """Evaluations open when the session has ended and close `days` later."""
    return session_end, session_end + timedelta(days=days)


def below_minimum_due(starts_at: datetime, now: datetime, days: int) -> bool:
    """The session starts within `days` days from now (and has not started)."""
    return now < starts_at <= now + timedelta(days=days)


def consecutive_no_shows(history: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Pairs (earlier, later session id) of consecutive no-shows in a chronological attendance history.

    `history` lists (session_id, attendance) by session start. "Excused"
    breaks nothing: it is neither a show nor a no-show, so it is skipped.
    """
    relevant = [(s, a) for s, a in history if a in ("attended", "no_show")]
    return [(relevant[i][0], relevant[i + 1][0]) for i in range(len(relevant) - 1)
            if relevant[i][1] == "no_show" and relevant[i + 1][1] == "no_show"]


def average(scores: list[int], min_group: int) -> float | None:
    """Average rounded to two decimals, hidden (None) for groups too small to stay anonymous."""
    if len(scores) < min_group:
        return None
    return round(sum(scores) / len(scores), 2)


# -- recurring series and go/no-go -------------------------------------------------------------

DECISIONS = ("go", "merge", "cancel")
SERIES_SCOPES = ("this", "this_and_following")


def series_dates(start_date: date, interval_weeks: int, count: int) -> list[date]:
    """The days of a series: the start date and every `interval_weeks` weeks after it, `count` in all."""
    return [start_date + timedelta(weeks=interval_weeks * n) for n in range(count)]


def wall_clock(day: date, at: time) -> datetime:
    """A naive local (Europe/Amsterdam) date and time; `to_utc` places it (each occurrence keeps 14:00 local,
    whether summer or winter time)."""
    return datetime.combine(day, at)


def minutes_between(start: time, end: time) -> int:
    """Length of a same-day slot in minutes (<= 0 when the end is not after the start)."""
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)



# -- go/no-go ---------------------------------------------------------------------------------
OPEN = ("planned", "confirmed")


def decision_refusal(*, status: str, starts_at: datetime, now: datetime, decision: str, registered: int,
                     capacity_min: int, decided: str | None) -> tuple[str, str] | None:
    """Why a go/no-go decision cannot be taken now, as (code, reason), or None when it can.

    A decision is for an open session that has not started, below its minimum, without a decision for its
    current date (`decided`: the one recorded for that date, if any; a new date needs a new decision).
    `go` is also taken once the minimum was reached meanwhile: it goes ahead, which is what both wanted;
    merge and cancel are not, since their ground (too few people) has gone. It may be taken before the
    horizon in which the pages ask for it: a coordinator who knows early need not wait.
    """
    if status not in OPEN:
        return "not_open", f"cannot decide on: the session is {status}"
    if starts_at <= now:
        return "started", "the session has started; there is nothing left to decide"
    if decided is not None:
        return "already_decided", (f"a decision ({decided}) was already recorded for this date; "
                                   "a new date needs a new decision")
    if decision != "go" and registered >= capacity_min:
        return "not_below_minimum", (f"the session has {registered} registered, not below its minimum of "
                                     f"{capacity_min}: no go/no-go decision is needed; cancel it as usual if it "
                                     "must not go ahead")
    return None


def merge_target_problem(source: dict[str, object], target: dict[str, object], now: datetime) -> str | None:
    """Why `target` cannot take a merged session's registrations, or None.

    It must be another open session of the same programme, type and region that has not started. Its room is
    not a condition: whoever finds no free place there joins the end of its waiting list, in arrival order.
    """
    if target["id"] == source["id"]:
        return "a session cannot be merged into itself"
    if target["programme_id"] != source["programme_id"]:
        return "the session to merge into belongs to another programme"
    if target["type"] != source["type"]:
        return f"the session to merge into is of another type ({target['type']}, this one {source['type']})"
    if target["region"] != source["region"]:
        return f"the session to merge into is in another region ({target['region']}, this one {source['region']})"
    if target["status"] not in OPEN:
        return f"the session to merge into is {target['status']}"
    starts = target["starts_at"]
    if isinstance(starts, datetime) and starts <= now:
        return "the session to merge into has started"
    return None
