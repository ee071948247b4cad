"""Issue 15: a recurring series in one step; move or cancel one occurrence or this one and the rest."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.common.events import validate_event
from tests.integration.sessions.world import World

pytestmark = pytest.mark.integration
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def next_tuesday(weeks: int = 3) -> date:
    day = date.today() + timedelta(weeks=weeks)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def series_body(pid: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "programme_id": pid, "type": "intervision", "region": "Noord", "format": "regional_venue",
        "venue_address": "Stationsplein 1, Groningen", "capacity_min": 4, "capacity_max": 6,
        "facilitator_ids": ["fac-reeks"], "working_method": "Keukentafelgesprek",
        "start_date": next_tuesday().isoformat(), "start_time": "14:00", "end_time": "16:30",
        "interval_weeks": 2, "count": 4}
    body.update(overrides)
    return body


def local(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(AMSTERDAM)


def test_every_second_tuesday_four_times_in_one_step(world: World) -> None:
    pid = world.programme()
    r = world.client.post("/api/v1/session-series", json=series_body(pid), headers=world.coordinator("Noord"))
    assert r.status_code == 201, r.get_json()
    series = r.get_json()
    sessions = series["sessions"]
    assert [s["sequence_number"] for s in sessions] == [1, 2, 3, 4]
    starts = [local(s["starts_at"]) for s in sessions]
    assert [s.weekday() for s in starts] == [1] * 4  # Tuesdays
    assert [(b.date() - a.date()).days for a, b in zip(starts, starts[1:], strict=False)] == [14, 14, 14]
    # 14:00-16:30 local on every date, summer or winter time alike.
    assert {(s.hour, s.minute) for s in starts} == {(14, 0)}
    assert {x["duration_minutes"] for x in sessions} == {150}
    assert {x["series_id"] for x in sessions} == {series["id"]}
    # Each occurrence is a session of its own: own capacity, own registrations.
    c = world.company(pid, "Noord", delegates=2)
    assert world.register(sessions[0]["id"], c.people[0]).status_code == 201
    assert world.client.get(f"/api/v1/sessions/{sessions[1]['id']}", headers=world.admin).get_json()["registered"] == 0
    got = world.client.get(series["id"] and f"/api/v1/session-series/{series['id']}", headers=world.admin).get_json()
    assert [s["registered"] for s in got["sessions"]] == [1, 0, 0, 0]
    [made] = world.events("SessionSeriesScheduled")
    validate_event(made)
    assert made["data"]["session_ids"] == [s["id"] for s in sessions] and made["subject"] == series["id"]
    scheduled = [e for e in world.events("SessionScheduled") if e["data"].get("series_id") == series["id"]]
    assert len(scheduled) == 4
    for e in scheduled:
        validate_event(e)


def test_a_bad_series_names_field_and_reason_and_plans_nothing(world: World) -> None:
    pid = world.programme()
    body = series_body(pid, end_time="13:00")
    r = world.client.post("/api/v1/session-series", json=body, headers=world.admin)
    assert r.status_code == 422
    assert {p["name"] for p in r.get_json()["invalid_params"]} == {"end_time"}
    r = world.client.post("/api/v1/session-series", json=series_body(pid, count=1, interval_weeks=0,
                                                                     start_time="25:00"), headers=world.admin)
    assert r.status_code == 422
    assert {"count", "interval_weeks", "start_time"} <= {p["name"] for p in r.get_json()["invalid_params"]}
    past = (date.today() - timedelta(days=1)).isoformat()
    r = world.client.post("/api/v1/session-series", json=series_body(pid, start_date=past), headers=world.admin)
    assert r.status_code == 422
    [problem] = r.get_json()["invalid_params"]
    assert problem["name"] == "start_date" and "future" in problem["reason"]
    # Too long for the programme's rules (max 210 minutes): named at end_time.
    r = world.client.post("/api/v1/session-series", json=series_body(pid, end_time="18:00"), headers=world.admin)
    assert r.status_code == 422 and r.get_json()["invalid_params"][0]["name"] == "end_time"
    # Another region than the coordinator's: 403, nothing planned.
    r = world.client.post("/api/v1/session-series", json=series_body(pid, region="Zuid"),
                          headers=world.coordinator("Noord"))
    assert r.status_code == 403
    assert world.events("SessionSeriesScheduled") == [] and world.events("SessionScheduled") == []


def test_a_clash_of_one_occurrence_refuses_the_whole_series(world: World) -> None:
    pid = world.programme()
    body = series_body(pid)
    third = datetime.combine(date.fromisoformat(body["start_date"]) + timedelta(weeks=4),
                             datetime.strptime("15:00", "%H:%M").time(), AMSTERDAM)
    world.schedule(pid, starts_at=third.isoformat(), facilitator_ids=["fac-reeks"], duration_minutes=60)
    r = world.client.post("/api/v1/session-series", json=body, headers=world.admin)
    assert r.status_code == 409 and r.get_json()["clashing_sessions"]
    assert world.events("SessionSeriesScheduled") == []
    assert len(world.events("SessionScheduled")) == 1  # only the one that was there


def _series(world: World, pid: str) -> list[dict[str, Any]]:
    r = world.client.post("/api/v1/session-series", json=series_body(pid), headers=world.admin)
    assert r.status_code == 201, r.get_json()
    sessions: list[dict[str, Any]] = r.get_json()["sessions"]
    return sessions


def test_move_one_occurrence_or_this_and_the_rest(world: World) -> None:
    pid = world.programme()
    sessions = _series(world, pid)
    coordinator = world.coordinator("Noord")
    # One occurrence: an ordinary rescheduling.
    one = local(sessions[0]["starts_at"]) + timedelta(days=1)
    r = world.client.post(f"/api/v1/sessions/{sessions[0]['id']}/rescheduling",
                          json={"starts_at": one.isoformat()}, headers=coordinator)
    assert r.status_code == 200, r.get_json()
    after = [world.client.get(f"/api/v1/sessions/{s['id']}", headers=world.admin).get_json() for s in sessions]
    assert local(after[0]["starts_at"]).weekday() == 2 and local(after[1]["starts_at"]).weekday() == 1
    # The second and the rest: one day later (Wednesday), 15:00.
    target = local(sessions[1]["starts_at"]).replace(hour=15) + timedelta(days=1)
    r = world.client.post(f"/api/v1/sessions/{sessions[1]['id']}/rescheduling",
                          json={"starts_at": target.isoformat(), "scope": "this_and_following",
                                "capacity_max": 8}, headers=coordinator)
    assert r.status_code == 200, r.get_json()
    moved = [world.client.get(f"/api/v1/sessions/{s['id']}", headers=world.admin).get_json() for s in sessions]
    assert local(moved[0]["starts_at"]) == one  # the earlier one stays where it was
    for before, now in zip(sessions[1:], moved[1:], strict=True):
        assert local(now["starts_at"]).date() == local(before["starts_at"]).date() + timedelta(days=1)
        assert (local(now["starts_at"]).hour, local(now["starts_at"]).minute) == (15, 0)
        assert now["capacity_max"] == 8 and now["duration_minutes"] == 150
    # Each keeps its own number, also when the body names this one's (as a form does).
    r = world.client.post(f"/api/v1/sessions/{sessions[1]['id']}/rescheduling",
                          json={"capacity_max": 9, "sequence_number": 2, "scope": "this_and_following"},
                          headers=coordinator)
    assert r.status_code == 200, r.get_json()
    numbers = [world.client.get(f"/api/v1/sessions/{s['id']}", headers=world.admin).get_json()["sequence_number"]
               for s in sessions]
    assert numbers == [1, 2, 3, 4]
    change = world.events("SessionSeriesChanged")[0]
    validate_event(change)
    assert change["data"]["change"] == "moved" and change["data"]["session_ids"] == [s["id"] for s in sessions[1:]]
    # scope on a session outside any series: 422 naming scope.
    single = world.schedule(pid)
    r = world.client.post(f"/api/v1/sessions/{single['id']}/rescheduling",
                          json={"capacity_max": 11, "scope": "this_and_following"}, headers=coordinator)
    assert r.status_code == 422 and r.get_json()["invalid_params"][0]["name"] == "scope"


def test_cancel_this_and_the_rest_cancels_their_registrations(world: World) -> None:
    pid = world.programme()
    sessions = _series(world, pid)
    c = world.company(pid, "Noord", delegates=1)
    for s in sessions:
        assert world.register(s["id"], c.people[0]).status_code == 201
    r = world.client.post(f"/api/v1/sessions/{sessions[2]['id']}/cancellation",
                          json={"reason": "zaal niet beschikbaar", "scope": "this_and_following"},
                          headers=world.coordinator("Noord"))
    assert r.status_code == 200, r.get_json()
    statuses = [world.client.get(f"/api/v1/sessions/{s['id']}", headers=world.admin).get_json()["status"]
                for s in sessions]
    assert statuses == ["planned", "planned", "cancelled", "cancelled"]
    cancelled = world.events("RegistrationCancelled")
    assert sorted(e["data"]["session_id"] for e in cancelled) == sorted(s["id"] for s in sessions[2:])
    assert {e["data"]["cancelled_by"] for e in cancelled} == {"staff"}
    [change] = world.events("SessionSeriesChanged")
    assert change["data"]["change"] == "cancelled" and change["data"]["reason"] == "zaal niet beschikbaar"
    # Once cancelled, the rest cannot be cancelled again from there: 409.
    r = world.client.post(f"/api/v1/sessions/{sessions[3]['id']}/cancellation",
                          json={"reason": "x", "scope": "this_and_following"}, headers=world.admin)
    assert r.status_code == 409
