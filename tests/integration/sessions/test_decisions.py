"""Issue 15: go/no-go for a session below its minimum shortly before its date; who decided, when, and the outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.common.events import validate_event
from tests.integration.sessions.world import World, future

pytestmark = pytest.mark.integration


def _low(world: World, pid: str, days: int = 5, **overrides: object) -> dict[str, object]:
    return world.schedule(pid, starts_at=future(days).isoformat(), capacity_min=4, capacity_max=12, **overrides)


def test_only_sessions_below_minimum_within_the_horizon_need_a_decision(world: World) -> None:
    pid = world.programme(below_minimum_days=7)
    c = world.company(pid, "Noord", delegates=4)
    soon = _low(world, pid, 5)
    later = _low(world, pid, 20)
    full = _low(world, pid, 6, facilitator_ids=["fac-full"])
    for p in c.people:
        world.register(str(full["id"]), p)
    coordinator = world.coordinator("Noord")
    r = world.client.get("/api/v1/sessions/needing-decision", headers=coordinator)
    assert r.status_code == 200
    assert [s["id"] for s in r.get_json()["items"]] == [soon["id"]]
    assert r.get_json()["items"][0]["horizon_days"] == 7
    assert later["id"] not in str(r.get_json())
    # Another region's coordinator does not see it; asking for that region is 403.
    assert world.client.get("/api/v1/sessions/needing-decision", headers=world.coordinator("Zuid")).get_json()[
        "items"] == []
    assert world.client.get("/api/v1/sessions/needing-decision?region=Noord",
                            headers=world.coordinator("Zuid")).status_code == 403


def test_go_confirms_and_is_recorded_with_who_and_when(world: World) -> None:
    pid = world.programme()
    s = _low(world, pid)
    coordinator = world.coordinator("Noord", sub="coord-noord")
    r = world.client.post(f"/api/v1/sessions/{s['id']}/decisions", json={"decision": "go"}, headers=coordinator)
    assert r.status_code == 201, r.get_json()
    decision = r.get_json()
    assert decision["decided_by"] == "coord-noord" and decision["decided_at"] and decision["registered"] == 0
    assert decision["decided_by_name"] == "coord-noord"  # the token's name, for the pages; the event keeps the id only
    assert decision["outcome"]["status"] == "confirmed"
    assert world.client.get(f"/api/v1/sessions/{s['id']}", headers=world.admin).get_json()["status"] == "confirmed"
    [recorded] = world.events("SessionDecisionRecorded")
    validate_event(recorded)
    assert recorded["data"]["decision"] == "go" and recorded["data"]["decided_by"] == "coord-noord"
    assert recorded["data"]["outcome"] == "confirmed"
    assert world.events("SessionRescheduled")[-1]["data"]["changed_fields"] == ["status"]
    # Decided for this date: no longer listed; the list of decisions shows it.
    assert world.client.get("/api/v1/sessions/needing-decision", headers=coordinator).get_json()["items"] == []
    items = world.client.get(f"/api/v1/sessions/{s['id']}/decisions", headers=coordinator).get_json()["items"]
    assert [d["decision"] for d in items] == ["go"]
    # Moved to another date within the horizon: a new decision is needed.
    world.client.post(f"/api/v1/sessions/{s['id']}/rescheduling",
                      json={"starts_at": future(6).isoformat()}, headers=coordinator)
    assert [x["id"] for x in world.client.get("/api/v1/sessions/needing-decision",
                                              headers=coordinator).get_json()["items"]] == [s["id"]]


def test_cancel_needs_a_reason_and_cancels_registrations(world: World) -> None:
    pid = world.programme()
    s = _low(world, pid)
    c = world.company(pid, "Noord", delegates=2)
    for p in c.people:
        world.register(str(s["id"]), p)
    r = world.client.post(f"/api/v1/sessions/{s['id']}/decisions", json={"decision": "cancel"}, headers=world.admin)
    assert r.status_code == 422 and r.get_json()["invalid_params"][0]["name"] == "reason"
    assert world.events("SessionDecisionRecorded") == []
    r = world.client.post(f"/api/v1/sessions/{s['id']}/decisions",
                          json={"decision": "cancel", "reason": "te weinig aanmeldingen"}, headers=world.admin)
    assert r.status_code == 201, r.get_json()
    assert world.client.get(f"/api/v1/sessions/{s['id']}", headers=world.admin).get_json()["status"] == "cancelled"
    assert len(world.events("RegistrationCancelled")) == 2
    assert world.events("SessionDecisionRecorded")[0]["data"]["outcome"] == "cancelled"
    # Nothing left to decide on a cancelled session.
    r = world.client.post(f"/api/v1/sessions/{s['id']}/decisions", json={"decision": "go"}, headers=world.admin)
    assert r.status_code == 409


def test_merge_moves_registrations_by_the_capacity_and_waitlist_rules(world: World) -> None:
    pid = world.programme()
    c = world.company(pid, "Noord", delegates=4)
    source = _low(world, pid, 5)
    target = world.schedule(pid, starts_at=future(6).isoformat(), capacity_min=2, capacity_max=3,
                            facilitator_ids=["fac-target"])
    world.register(str(target["id"]), c.people[0])
    world.register(str(target["id"]), c.people[1])
    for p in c.people[1:]:  # people[1] is in both: not moved twice
        world.register(str(source["id"]), p)
    # The target must be the same programme and type; a 422 names the field and changes nothing.
    other = world.schedule(pid, type="intervision", starts_at=future(7).isoformat(), facilitator_ids=["fac-o"])
    r = world.client.post(f"/api/v1/sessions/{source['id']}/decisions",
                          json={"decision": "merge", "merge_into_session_id": other["id"]}, headers=world.admin)
    assert r.status_code == 422 and r.get_json()["invalid_params"][0]["name"] == "merge_into_session_id"
    r = world.client.post(f"/api/v1/sessions/{source['id']}/decisions",
                          json={"decision": "merge"}, headers=world.admin)
    assert r.status_code == 422 and r.get_json()["invalid_params"][0]["name"] == "merge_into_session_id"
    # Another region's coordinator may not merge into (or from) a session they cannot see.
    r = world.client.post(f"/api/v1/sessions/{source['id']}/decisions",
                          json={"decision": "merge", "merge_into_session_id": target["id"]},
                          headers=world.coordinator("Zuid"))
    assert r.status_code == 404
    r = world.client.post(f"/api/v1/sessions/{source['id']}/decisions",
                          json={"decision": "merge", "merge_into_session_id": target["id"]},
                          headers=world.coordinator("Noord"))
    assert r.status_code == 201, r.get_json()
    outcome = r.get_json()["outcome"]
    assert outcome["status"] == "merged"
    # One place was left in the target: people[2] takes it, people[3] waits; people[1] was there already.
    assert [(m["person_id"], m["status"]) for m in outcome["moved"]] == [(c.people[2], "registered"),
                                                                          (c.people[3], "waitlisted")]
    assert [m["person_id"] for m in outcome["not_moved"]] == [c.people[1]]
    counts = world.client.get(f"/api/v1/sessions/{target['id']}", headers=world.admin).get_json()
    assert (counts["registered"], counts["waitlisted"]) == (3, 1)
    merged_from = world.client.get(f"/api/v1/sessions/{source['id']}", headers=world.admin).get_json()
    assert merged_from["status"] == "cancelled" and merged_from["registered"] == 0
    [merged] = world.events("SessionsMerged")
    validate_event(merged)
    assert merged["data"]["target_session_id"] == target["id"]
    for e in world.events("RegistrationCancelled"):
        validate_event(e)
        assert e["data"]["merged_into_session_id"] == target["id"] and e["data"]["cause"] == "session_cancelled"
    moved_in = [e for e in world.events("ParticipantWaitlisted") + world.events("ParticipantRegistered")
                if e["data"].get("moved_from_session_id") == source["id"]]
    assert len(moved_in) == 2
    [recorded] = world.events("SessionDecisionRecorded")
    assert recorded["data"]["merge_into_session_id"] == target["id"] and recorded["data"]["outcome"] == "merged"


def test_a_started_session_takes_no_decision(world: World) -> None:
    pid = world.programme()
    s = _low(world, pid, 2)
    world.set_clock(future(2) + timedelta(minutes=5))
    r = world.client.post(f"/api/v1/sessions/{s['id']}/decisions", json={"decision": "go"}, headers=world.admin)
    assert r.status_code == 409
