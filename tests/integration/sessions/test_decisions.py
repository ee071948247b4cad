"""Issue 15: go/no-go for a session below its minimum shortly before its date; who decided, when, and the outcome."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest

from services.common.events import validate_event
from services.common.problems import Conflict
from tests.integration.sessions.world import World, future

pytestmark = pytest.mark.integration


def _low(world: World, pid: str, days: int = 5, **overrides: object) -> dict[str, object]:
    return world.schedule(pid, **{"starts_at": future(days).isoformat(), "capacity_min": 4, "capacity_max": 12,
                                  **overrides})


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


def _decide(world: World, session_id: object, headers: dict[str, object] | None = None,
            **body: object) -> Any:
    return world.client.post(f"/api/v1/sessions/{session_id}/decisions", json=body, headers=headers or world.admin)


def test_only_a_session_that_still_needs_a_decision_takes_one(world: World) -> None:
    pid = world.programme()
    s = _low(world, pid)
    assert _decide(world, s["id"], decision="go").status_code == 201
    # Decided for this date: a second decision (any) is a 409 naming why and the decision there is.
    first = world.client.get(f"/api/v1/sessions/{s['id']}/decisions", headers=world.admin).get_json()["items"][0]
    for body in ({"decision": "go"}, {"decision": "cancel", "reason": "toch niet"}):
        r = _decide(world, s["id"], **body)
        assert r.status_code == 409, r.get_json()
        problem = r.get_json()
        assert problem["reason"] == "already_decided" and problem["decision_id"] == first["id"]
        assert "already recorded for this date" in problem["detail"] and problem["current_state"] == "confirmed"
    assert len(world.events("SessionDecisionRecorded")) == 1
    # A session that reached its minimum meanwhile: cancel and merge lost their ground (409); go still goes.
    full = _low(world, pid, 6, capacity_min=2, facilitator_ids=["fac-vol"])
    other = _low(world, pid, 7, facilitator_ids=["fac-ander"])
    c = world.company(pid, "Noord", delegates=2)
    for p in c.people:
        world.register(str(full["id"]), p)
    for body in ({"decision": "cancel", "reason": "te weinig"}, {"decision": "merge",
                                                                 "merge_into_session_id": other["id"]}):
        r = _decide(world, full["id"], **body)
        assert r.status_code == 409 and r.get_json()["reason"] == "not_below_minimum", r.get_json()
        assert "2 registered, not below its minimum of 2" in r.get_json()["detail"]
    assert world.client.get(f"/api/v1/sessions/{full['id']}", headers=world.admin).get_json()["status"] == "planned"
    r = _decide(world, full["id"], decision="go")
    assert r.status_code == 201 and r.get_json()["outcome"]["status"] == "confirmed"
    assert len(world.events("SessionDecisionRecorded")) == 2


def test_people_deciding_at_the_same_moment_record_one_decision(world: World) -> None:
    pid = world.programme()
    s = _low(world, pid)
    decisions = world.app.extensions["sessions"].decisions
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def decide(n: int) -> None:
        barrier.wait()
        try:
            decisions.decide(uuid.UUID(s["id"]), "go" if n % 2 else "cancel", f"coord-{n}", reason="te weinig")
            outcomes.append("decided")
        except Conflict as error:
            outcomes.append(str(error.extra["reason"]))

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("decided") == 1 and len(outcomes) == 4
    # The others were told it was decided (or, after a cancel, that the session is cancelled).
    assert set(outcomes) - {"decided"} <= {"already_decided", "not_open"}
    assert len(world.client.get(f"/api/v1/sessions/{s['id']}/decisions", headers=world.admin).get_json()[
        "items"]) == 1
    assert len(world.events("SessionDecisionRecorded")) == 1


def test_a_merge_target_is_an_open_session_of_the_same_programme_type_and_region(world: World) -> None:
    pid = world.programme()
    source = _low(world, pid, 5)
    c = world.company(pid, "Noord", delegates=3)
    for p in c.people:
        world.register(str(source["id"]), p)
    elsewhere = _low(world, pid, 6, region="Zuid", venue_address="Markt 1, Maastricht", facilitator_ids=["fac-z"])
    cancelled = _low(world, pid, 6, facilitator_ids=["fac-c"])
    world.client.post(f"/api/v1/sessions/{cancelled['id']}/cancellation", json={"reason": "zaal weg"},
                      headers=world.admin)
    other_programme = _low(world, world.programme(), 6, facilitator_ids=["fac-p"])
    soon = _low(world, pid, 1, facilitator_ids=["fac-s"])
    cases = {elsewhere["id"]: "another region (Zuid, this one Noord)", cancelled["id"]: "is cancelled",
             other_programme["id"]: "another programme", source["id"]: "merged into itself"}
    for target, reason in cases.items():
        r = _decide(world, source["id"], decision="merge", merge_into_session_id=target)
        assert r.status_code == 422, r.get_json()
        [problem] = r.get_json()["invalid_params"]
        assert problem["name"] == "merge_into_session_id" and reason in problem["reason"]
    world.set_clock(future(1) + timedelta(minutes=1))  # `soon` has started
    r = _decide(world, source["id"], decision="merge", merge_into_session_id=soon["id"])
    assert r.status_code == 422 and "has started" in r.get_json()["invalid_params"][0]["reason"]
    # Nothing was decided or moved by any of them.
    assert world.events("SessionDecisionRecorded") == [] and world.events("SessionsMerged") == []
    assert world.client.get(f"/api/v1/sessions/{source['id']}", headers=world.admin).get_json()["registered"] == 3
