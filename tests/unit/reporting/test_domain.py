"""Figure rules without I/O: the evaluation threshold, follow-up adoption, group sizes, trends."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from services.reporting import domain


def test_an_average_is_shown_only_from_the_minimum_number_of_responses() -> None:
    assert domain.evaluation(2, 9.5, 3) == {"responses": 2, "average": None, "shown": False}
    assert domain.evaluation(3, 23 / 3, 3) == {"responses": 3, "average": 7.67, "shown": True}
    assert domain.evaluation(0, None, 3) == {"responses": 0, "average": None, "shown": False}


def company(level: str, *, withdrawn: bool = False, started: bool = True) -> dict[str, Any]:
    return {"activated_on": date(2021, 2, 1) if started else None, "withdrawn_on": date(2021, 9, 1) if withdrawn
            else None, "follow_up_level": level, "follow_up_activities": [] if level in ("none", "unknown")
            else ["whiteboard_meetings"]}


def test_follow_up_counts_adoption_among_companies_that_stayed_in() -> None:
    companies = [company("structural")] * 4 + [company("occasional")] * 4 + [company("none"), company("unknown"),
                 company("structural", withdrawn=True), company("unknown", started=False)]
    follow = domain.follow_up(companies)
    assert (follow["adopted"], follow["of"], follow["label_nl"], follow["label_en"]) == (8, 10, "8 van 10", "8 of 10")
    assert follow["by_activity"] == {"whiteboard_meetings": 8} and follow["rate"] == 0.8


def session(kind: str, attended: int, no_shows: int, month: int, status: str = "held") -> dict[str, Any]:
    return {"type": kind, "status": status, "attended": attended, "no_shows": no_shows, "excused": 0,
            "registrations": attended + no_shows, "cancellations": 0, "late_cancellations": 0,
            "starts_at": datetime(2021, month, 3, tzinfo=UTC), "region": "Noord", "format": "online"}


def test_group_sizes_per_type_and_the_monthly_trend_count_held_sessions_only() -> None:
    sessions = [session("dialogue", 12, 0, 3), session("dialogue", 10, 2, 3), session("intervision", 5, 1, 10),
                session("intervision", 0, 0, 11, status="cancelled")]
    cells = domain.session_cells(sessions)  # what db.figures.session_cells reads grouped in SQL
    assert sorted(c["sessions"] for c in cells) == [1, 1, 2]
    assert domain.participants_per_session(cells) == {
        "dialogue": {"sessions": 2, "participants": 22, "average": 11.0, "min": 10, "max": 12},
        "intervision": {"sessions": 1, "participants": 5, "average": 5.0, "min": 5, "max": 5}}
    assert domain.attendance_trend(cells) == [
        {"month": "2021-03", "sessions": 2, "attended": 22, "no_shows": 2, "attendance_rate": 0.917,
         "average_group_size": 11.0},
        {"month": "2021-10", "sessions": 1, "attended": 5, "no_shows": 1, "attendance_rate": 0.833,
         "average_group_size": 5.0}]
    assert domain.session_figures(cells)["by_status"] == {"held": 3, "cancelled": 1}
    assert domain.attendance(cells)["attendance_rate"] == round(27 / 30, 3)
