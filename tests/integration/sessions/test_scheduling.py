"""Scheduling, rescheduling, confirming and cancelling sessions over HTTP on a real database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from tests.integration.sessions.world import World, future
from tests.support import bearer

pytestmark = pytest.mark.integration


def test_schedule_stores_utc_answers_with_location_and_emits_a_valid_snapshot(world: World) -> None:
    pid = world.programme()
    noord = world.coordinator("Noord")
    body = world.session_body(pid, starts_at="2031-03-20T10:00:00+01:00", facilitator_ids=["anna"])
    r = world.client.post("/api/v1/sessions", json=body, headers={**noord, "X-Correlation-ID": "plan-1"})
    assert r.status_code == 201, r.get_json()
    s = r.get_json()
    assert r.headers["Location"] == f"/api/v1/sessions/{s['id']}"
    # 10:00 in Amsterdam in March (CET, +01:00) is 09:00 UTC.
    assert s["starts_at"].startswith("2031-03-20T09:00:00") and s["starts_at_local"] == "2031-03-20T10:00:00+01:00"
    assert s["ends_at"].startswith("2031-03-20T11:30:00") and s["status"] == "planned" and s["version"] == 0
    [event] = world.events()
    assert event["type"] == "progadmin.sessions.SessionScheduled.v1" and event["subject"] == s["id"]
    assert event["correlationid"] == "plan-1"
    assert event["data"]["starts_at"] == "2031-03-20T09:00:00+00:00"
    assert event["data"]["facilitator_ids"] == ["anna"] and event["data"]["capacity_max"] == 12
    with psycopg.connect(world.settings.database_url) as conn:
        audit = conn.execute("SELECT actor, action FROM audit_log").fetchall()
    assert audit == [("coordinator", "session.schedule")]


def test_every_broken_rule_is_named_in_one_422_and_nothing_is_stored(world: World) -> None:
    pid = world.programme(regions=("Noord", "Midden"))
    body = world.session_body(pid, region="Noord", format="online", venue_address=None, online_url=None,
                              facilitator_ids=["solo"], duration_minutes=240, capacity_min=9, capacity_max=8)
    r = world.client.post("/api/v1/sessions", json=body, headers=world.admin)
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    names = {p["name"]: p["reason"] for p in r.get_json()["invalid_params"]}
    assert set(names) == {"duration_minutes", "capacity_min", "facilitator_ids", "online_url"}
    assert "between 60 and 210" in names["duration_minutes"]
    assert "at least 2 facilitators" in names["facilitator_ids"]
    body = world.session_body(pid, region="Zuid", starts_at=future(-1).isoformat(), ends_at=future(-1).isoformat())
    del body["duration_minutes"]
    r = world.client.post("/api/v1/sessions", headers=world.admin, json=body)
    assert r.status_code == 422
    assert {p["name"] for p in r.get_json()["invalid_params"]} == {"region", "ends_at", "starts_at"}
    assert world.events() == []


def test_end_time_instead_of_duration_and_end_before_start(world: World) -> None:
    pid = world.programme()
    start = future()
    body = world.session_body(pid, starts_at=start.isoformat(), ends_at=(start + timedelta(minutes=90)).isoformat())
    del body["duration_minutes"]
    r = world.client.post("/api/v1/sessions", json=body, headers=world.admin)
    assert r.status_code == 201 and r.get_json()["duration_minutes"] == 90
    body = world.session_body(pid, starts_at=start.isoformat(), ends_at=(start - timedelta(minutes=5)).isoformat())
    del body["duration_minutes"]
    r = world.client.post("/api/v1/sessions", json=body, headers=world.admin)
    assert r.status_code == 422
    assert r.get_json()["invalid_params"] == [{"name": "ends_at", "reason": "the session must end after it starts"}]


def test_unknown_programme_is_refused_clearly(world: World) -> None:
    r = world.client.post("/api/v1/sessions", json=world.session_body(str(uuid.uuid4())), headers=world.admin)
    assert r.status_code == 422
    assert r.get_json()["invalid_params"][0]["name"] == "programme_id"
    assert "unknown programme" in r.get_json()["invalid_params"][0]["reason"]


def test_online_facilitator_count_is_configurable_per_programme(world: World) -> None:
    relaxed = world.programme(online_facilitators=1)
    s = world.schedule(relaxed, format="online", online_url="https://teams.example/m/1", venue_address=None,
                       facilitator_ids=["solo"], capacity_min=4, capacity_max=8)
    assert s["format"] == "online"


def test_a_facilitator_cannot_be_in_two_overlapping_sessions(world: World) -> None:
    pid = world.programme()
    start = future()
    first = world.schedule(pid, starts_at=start.isoformat(), facilitator_ids=["anna", "bert"])
    r = world.client.post("/api/v1/sessions", headers=world.admin, json=world.session_body(
        pid, region="Zuid", starts_at=(start + timedelta(minutes=149)).isoformat(), facilitator_ids=["bert"]))
    assert r.status_code == 409
    assert r.get_json()["clashing_sessions"] == [first["id"]] and "bert" in r.get_json()["detail"]
    # Back to back is fine (half-open intervals), and so is a cancelled clash.
    world.schedule(pid, starts_at=(start + timedelta(minutes=150)).isoformat(), facilitator_ids=["bert"])
    assert world.client.post(f"/api/v1/sessions/{first['id']}/cancellation", json={"reason": "ziek"},
                             headers=world.admin).status_code == 200
    world.schedule(pid, starts_at=start.isoformat(), facilitator_ids=["anna"])


def test_reschedule_confirm_cancel_and_the_state_machine(world: World) -> None:
    pid = world.programme()
    s = world.schedule(pid)
    later = future(40)
    r = world.client.post(f"/api/v1/sessions/{s['id']}/rescheduling", headers=world.admin,
                          json={"starts_at": later.isoformat(), "venue_address": "Markt 2, Assen"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["version"] == 1 and r.get_json()["venue_address"] == "Markt 2, Assen"
    bad = world.client.post(f"/api/v1/sessions/{s['id']}/rescheduling", headers=world.admin,
                            json={"duration_minutes": 30})
    assert bad.status_code == 422
    assert world.client.post(f"/api/v1/sessions/{s['id']}/confirmation", headers=world.admin).get_json()[
        "status"] == "confirmed"
    again = world.client.post(f"/api/v1/sessions/{s['id']}/confirmation", headers=world.admin)
    assert again.status_code == 409
    assert again.get_json()["current_state"] == "confirmed"
    assert again.get_json()["allowed_transitions"] == ["held", "cancelled"]
    no_reason = world.client.post(f"/api/v1/sessions/{s['id']}/cancellation", json={}, headers=world.admin)
    assert no_reason.status_code == 422
    done = world.client.post(f"/api/v1/sessions/{s['id']}/cancellation", json={"reason": "te weinig aanmeldingen"},
                             headers=world.admin)
    assert done.get_json()["status"] == "cancelled" and done.get_json()["cancel_reason"] == "te weinig aanmeldingen"
    late = world.client.post(f"/api/v1/sessions/{s['id']}/rescheduling", json={"capacity_max": 11},
                             headers=world.admin)
    assert late.status_code == 409 and late.get_json()["allowed_transitions"] == []
    types = [e["type"].split(".")[2] for e in world.events()]
    assert types == ["SessionScheduled", "SessionRescheduled", "SessionRescheduled", "SessionCancelled"]
    rescheduled = world.events("SessionRescheduled")[0]["data"]
    assert rescheduled["changed_fields"] == ["starts_at", "venue_address"] and rescheduled["version"] == 1


def test_dst_change_local_ten_oclock_on_both_sides_of_the_last_sunday_of_october(world: World) -> None:
    pid = world.programme()
    before = world.schedule(pid, starts_at="2031-10-25T10:00:00+02:00", facilitator_ids=["f1"])  # Saturday, CEST
    after = world.schedule(pid, starts_at="2031-10-27T10:00:00+01:00", facilitator_ids=["f1"])  # Monday, CET
    assert before["starts_at"].startswith("2031-10-25T08:00:00")
    assert after["starts_at"].startswith("2031-10-27T09:00:00")
    assert before["starts_at_local"] == "2031-10-25T10:00:00+02:00"
    assert after["starts_at_local"] == "2031-10-27T10:00:00+01:00"
    with psycopg.connect(world.settings.database_url) as conn:
        stored = [r[0] for r in conn.execute("SELECT starts_at FROM sessions ORDER BY starts_at")]
    assert [s.astimezone(UTC) for s in stored] == [datetime(2031, 10, 25, 8, tzinfo=UTC),
                                                     datetime(2031, 10, 27, 9, tzinfo=UTC)]
    # 02:30 on the night of the change happens twice: the API takes only times with an offset (RFC 3339).
    r = world.client.post("/api/v1/sessions", headers=world.admin,
                          json=world.session_body(pid, starts_at="2031-10-26T02:30:00"))
    assert r.status_code == 422 and "UTC offset" in r.get_json()["invalid_params"][0]["reason"]


def test_coordinators_are_confined_to_their_regions_and_facilitators_to_their_sessions(world: World) -> None:
    pid = world.programme()
    zuid = world.schedule(pid, region="Zuid", facilitator_ids=["zoe"])
    noord = world.coordinator("Noord")
    refused = world.client.post("/api/v1/sessions", json=world.session_body(pid, region="Zuid"), headers=noord)
    assert refused.status_code == 403
    assert world.client.get(f"/api/v1/sessions/{zuid['id']}", headers=noord).status_code == 404
    assert world.client.post(f"/api/v1/sessions/{zuid['id']}/cancellation", json={"reason": "x"},
                             headers=noord).status_code == 404
    listing = world.client.get("/api/v1/sessions", headers=noord).get_json()
    assert listing["total"] == 0
    zoe = world.facilitator("zoe")
    assert world.client.get(f"/api/v1/sessions/{zuid['id']}", headers=zoe).status_code == 200
    assert world.client.get("/api/v1/sessions", headers=zoe).get_json()["total"] == 1
    assert world.client.get("/api/v1/sessions", headers=world.facilitator("other")).get_json()["total"] == 0
    # A facilitator sees the session but may not change it.
    assert world.client.post(f"/api/v1/sessions/{zuid['id']}/cancellation", json={"reason": "x"},
                             headers=zoe).status_code == 403
    reporting = bearer(world.settings, "reporting_consumer")
    assert world.client.get("/api/v1/sessions", headers=reporting).status_code == 403


def test_list_paginates_and_filters(world: World) -> None:
    pid = world.programme()
    for day in range(5):
        world.schedule(pid, starts_at=future(20 + day).isoformat(), type="intervision" if day % 2 else "dialogue")
    page = world.client.get("/api/v1/sessions?page_size=2&type=dialogue", headers=world.admin).get_json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["links"]["next"].endswith("page=2&page_size=2")
    assert "type=dialogue" in page["links"]["next"]
    assert world.client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/sessions/{session_id}/registrations"]
