"""Projections against the final report's scripted programme, on a real database:
exact figures, and the same figures whatever the order or number of deliveries."""

from __future__ import annotations

import random
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.common.config import Settings
from services.common.events import Event
from services.reporting import figures
from services.reporting.handlers import handlers
from services.reporting.rebuild import apply_event
from tests.integration.reporting.scripted import EXPECTED, PROGRAMME_ID, build
from tests.integration.reporting.support import GROUP, apply_all, final_report

pytestmark = pytest.mark.integration
SCRIPT = build()


def project(conn: psycopg.Connection[Any], settings: Settings, events: list[Event]) -> dict[str, Any]:
    apply_all(conn, settings, events)
    return figures.plain(final_report(conn, settings))


def test_the_scripted_programme_gives_exactly_the_final_reports_figures(
        conn: psycopg.Connection[Any], reporting_settings: Settings) -> None:
    report = project(conn, reporting_settings, SCRIPT.events)
    assert report["sessions"]["held_by_type"] == EXPECTED["sessions_held_by_type"]
    assert report["sessions"]["held_by_type_and_region"] == EXPECTED["sessions_held_by_type_and_region"]
    assert report["sessions"]["held_total"] == 15
    assert report["sessions"]["by_status"] == {"held": 15, "cancelled": 1}
    assert report["sessions"]["by_format"] == {"regional_venue": 9, "on_site": 3, "online": 3}
    assert {k: report["companies"][k] for k in ("started", "withdrawn", "completed")} == EXPECTED["companies"]
    assert report["companies"]["by_region"] == {
        "Midden": {"started": 4, "withdrawn": 1, "completed": 3},
        "Noord": {"started": 4, "withdrawn": 0, "completed": 4},
        "Zuid": {"started": 4, "withdrawn": 1, "completed": 3}}
    assert report["funnel"] == {
        "interested": 13, "intake_held": 13, "admitted": 12, "declined": 1, "started": 12, "withdrawn": 2,
        "completed": 10, "active": 0, "withdrawal_reasons": {"no_director_support": 1, "understaffing": 1},
        "current": {"completed": 10, "declined": 1, "withdrawn": 2}}
    assert report["participants_per_session"] == EXPECTED["participants_per_session"]
    follow = report["follow_up"]
    assert {k: follow[k] for k in ("adopted", "of", "label_nl")} == EXPECTED["follow_up"]
    assert follow["by_level"] == {"none": 1, "occasional": 4, "structural": 4, "unknown": 1}
    evaluations = report["evaluations"]
    assert evaluations["programme"] == EXPECTED["evaluation_programme"]
    assert evaluations["by_type"] == EXPECTED["evaluation_by_type"]
    assert evaluations["by_facilitator"]["begeleider-anna"] == {"responses": 27, "average": 7.67, "shown": True}
    # An intervision session with 2 responses shows no average (fewer than 3).
    suppressed = [s for s in report["session_list"] if s["evaluation"]["responses"] == 2]
    assert len(suppressed) == 3 and all(s["evaluation"] == {"responses": 2, "average": None, "shown": False}
                                        for s in suppressed)
    assert report["attendance"] == {"registrations": 36 * 3 + 18 * 2, "attended": 132, "no_shows": 12, "excused": 0,
                                    "cancellations": 0, "late_cancellations": 0, "attendance_rate": 0.917}
    trend = report["attendance_trend"]
    assert [t["month"] for t in trend] == ["2021-03", "2021-04", "2021-05", "2021-06", "2021-07", "2021-10",
                                                  "2022-01"]
    assert sum(t["sessions"] for t in trend) == 15 and sum(t["attended"] for t in trend) == 132
    assert trend[-1] == {"month": "2022-01", "sessions": 3, "attended": 15, "no_shows": 3, "attendance_rate": 0.833,
                         "average_group_size": 5.0}
    assert report["delegates"] == {"delegated": 36, "current": 36, "below_management": 3}
    assert report["programme"]["closed_on"] == "2022-07-01"


def test_the_evaluation_threshold_is_configurable(conn: psycopg.Connection[Any], reporting_settings: Settings) -> None:
    report = project(conn, reporting_settings.with_(evaluation_min_group=5), SCRIPT.events)
    assert report["evaluations"]["by_type"]["dialogue"] == {"responses": 27, "average": 7.67, "shown": True}
    assert all(not s["evaluation"]["shown"] for s in report["session_list"])  # 3 or 4 responses each


def test_coordinators_see_their_regions_only(conn: psycopg.Connection[Any], reporting_settings: Settings) -> None:
    project(conn, reporting_settings, SCRIPT.events)
    noord = figures.plain(figures.final_report(conn, PROGRAMME_ID, ["Noord"], 3))  # type: ignore[arg-type]
    assert noord["sessions"]["held_by_type"] == {"dialogue": 3, "intervision": 2}
    assert {k: noord["companies"][k] for k in ("started", "withdrawn", "completed")} == {
        "started": 4, "withdrawn": 0, "completed": 4}
    assert noord["evaluations"]["programme"]["responses"] == 9 + 4 + 2


_in_order: dict[str, Any] = {}


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), duplicates=st.integers(min_value=0, max_value=80))
def test_any_order_and_any_duplicates_give_the_same_report(
        conn: psycopg.Connection[Any], reporting_settings: Settings, seed: int, duplicates: int) -> None:
    if "report" not in _in_order:
        _in_order["report"] = project(conn, reporting_settings, SCRIPT.events)
        conn.rollback()
        conn.execute("BEGIN")
    expected = _in_order["report"]
    rng = random.Random(seed)
    shuffled = SCRIPT.events + rng.sample(SCRIPT.events, duplicates)
    rng.shuffle(shuffled)
    # Duplicates are redeliveries of the same event (a relay resending after a crash).
    assert project(conn, reporting_settings, shuffled) == expected
    conn.rollback()
    conn.execute("BEGIN")


def test_projections_are_idempotent_even_without_the_dedupe(
        conn: psycopg.Connection[Any], reporting_settings: Settings) -> None:
    """A rebuild next to a live consumer may apply an event twice under different claims: no double counting."""
    once = project(conn, reporting_settings, SCRIPT.events)
    table = handlers(reporting_settings)
    for event in reversed(SCRIPT.events):
        apply_event(conn, "another-claim", table, event)
    twice = figures.final_report(conn, PROGRAMME_ID, None, 3)  # type: ignore[arg-type]
    assert figures.plain(twice) == once
    published = conn.execute("SELECT count(*) AS n, count(DISTINCT cause_id) AS causes FROM external_events").fetchone()
    assert published is not None and published["n"] == published["causes"]


def test_newer_snapshots_win_and_late_old_ones_change_nothing(
        conn: psycopg.Connection[Any], reporting_settings: Settings) -> None:
    first = next(e for e in SCRIPT.events if e["type"].endswith("SessionRescheduled.v1"))
    older = next(e for e in SCRIPT.events
                 if e["type"].endswith("SessionScheduled.v1") and e["subject"] == first["subject"])
    table = handlers(reporting_settings)
    apply_event(conn, GROUP, table, first)
    apply_event(conn, GROUP, table, older)
    row = conn.execute("SELECT snapshot_status, snapshot_version FROM sessions WHERE session_id = %s",
                       (first["subject"],)).fetchone()
    assert row == {"snapshot_status": "confirmed", "snapshot_version": 2}
