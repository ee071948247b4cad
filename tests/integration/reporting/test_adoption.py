"""Follow-up adoption in reporting's figures (issue 15): each company counts by its latest follow-up,
the one rule of `services.common.adoption`, whatever order the events arrive in."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.common import adoption
from services.common.config import Settings
from services.common.events import Event
from services.reporting import figures
from tests.integration.reporting.scripted import PROGRAMME_ID, Script, build, uid
from tests.integration.reporting.support import apply_all, final_report

pytestmark = pytest.mark.integration
COMPANY = 0  # recorded "structural" on 2022-04-15 in the scripted programme


def follow_up(sc: Script, key: object, occurred_on: str, level: str, n: int = COMPANY) -> Event:
    """A FollowUpRecorded event, recorded after everything before it in the script."""
    return sc.emit("enrolment", "FollowUpRecorded", uid("enrolment", n), {
        "enrolment_id": uid("enrolment", n), "company_id": uid("company", n), "programme_id": PROGRAMME_ID,
        "follow_up_id": uid("extra-follow-up", n, key), "activity": "own_intervision",
        "occurred_on": occurred_on, "adoption_level": level})


def project(conn: psycopg.Connection[Any], settings: Settings, events: list[Event]) -> tuple[dict[str, Any], str]:
    apply_all(conn, settings, events)
    report = final_report(conn, settings)
    rows, _ = figures.company_rows(conn, PROGRAMME_ID, None, uid("company", COMPANY))  # type: ignore[arg-type]
    return report["follow_up"], rows[0]["follow_up_level"]


def test_a_company_that_stopped_no_longer_counts_as_adopted(
        conn: psycopg.Connection[Any], reporting_settings: Settings) -> None:
    sc = build()
    follow_up(sc, "stopped", "2022-09-01", "none")
    follow, level = project(conn, reporting_settings, sc.events)
    assert level == "none"  # it was "structural": the highest ever recorded no longer counts
    assert (follow["adopted"], follow["of"], follow["label_nl"]) == (7, 10, "7 van 10")
    assert follow["by_level"] == {"none": 2, "occasional": 4, "structural": 3, "unknown": 1}


def test_an_older_follow_up_arriving_late_does_not_replace_the_latest(
        conn: psycopg.Connection[Any], reporting_settings: Settings) -> None:
    sc = build()
    stopped = follow_up(sc, "stopped", "2022-09-01", "none")
    # Recorded after the stop, about an earlier date: the stop is still the latest.
    backfilled = follow_up(sc, "backfilled", "2022-06-01", "structural")
    follow, level = project(conn, reporting_settings, sc.events)
    assert level == "none" and follow["adopted"] == 7
    conn.rollback()
    conn.execute("BEGIN")
    # The same facts delivered out of order (the stop last, the scripted "structural" first or last).
    events = [e for e in sc.events if e not in (stopped, backfilled)]
    scripted = next(e for e in events if e["type"].endswith("FollowUpRecorded.v1")
                    and e["subject"] == uid("enrolment", COMPANY))
    events.remove(scripted)
    follow, level = project(conn, reporting_settings, [*events, stopped, backfilled, scripted])
    assert level == "none" and follow["adopted"] == 7


def test_of_one_days_follow_ups_the_one_recorded_last_counts_whatever_the_delivery_order(
        conn: psycopg.Connection[Any], reporting_settings: Settings) -> None:
    sc = build()
    first = follow_up(sc, "first", "2022-09-01", "none")
    second = follow_up(sc, "second", "2022-09-01", "occasional")
    events = [e for e in sc.events if e not in (first, second)]
    _, level = project(conn, reporting_settings, [*events, second, first])
    assert level == "occasional"


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(st.tuples(st.integers(min_value=0, max_value=3), st.sampled_from(adoption.LEVELS)),
                        min_size=1, max_size=6),
       seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_reporting_gives_the_level_the_shared_rule_gives(
        conn: psycopg.Connection[Any], reporting_settings: Settings, history: list[tuple[int, str]],
        seed: int) -> None:
    """Random follow-up histories for one company, delivered in any order: the SQL agrees with `latest_level`."""
    n = 9  # recorded nothing in the script
    sc = build()
    recorded = [{"occurred_on": date(2022, 9, 1) + timedelta(days=day), "adoption_level": level}
                for day, level in history]
    extra = [follow_up(sc, k, f["occurred_on"].isoformat(), f["adoption_level"], n) for k, f in enumerate(recorded)]
    rng = random.Random(seed)
    rng.shuffle(extra)
    apply_all(conn, reporting_settings, [e for e in sc.events if e not in extra] + extra)
    rows, _ = figures.company_rows(conn, PROGRAMME_ID, None, uid("company", n))  # type: ignore[arg-type]
    try:
        assert rows[0]["follow_up_level"] == adoption.latest_level(recorded)
    finally:
        conn.rollback()
        conn.execute("BEGIN")
