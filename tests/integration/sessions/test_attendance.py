"""Attendance, closing, evaluations and the two alerts, with the service's clock moved forward."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg
import pytest

from services.common.consumer import EventConsumer
from services.common.signed_links import sign
from services.sessions.handlers import handlers
from tests.integration.sessions.world import World, enrolment_event, future

pytestmark = pytest.mark.integration


def _registered(world: World, n: int, **session: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    pid = world.programme()
    people = world.company(pid, "Noord", delegates=n).people
    s = world.schedule(pid, **session)
    return s, [world.register(s["id"], p).get_json() for p in people]


def test_attendance_closing_and_session_held(world: World) -> None:
    s, regs = _registered(world, 3, facilitator_ids=["fenna"], capacity_min=1)
    url = f"/api/v1/sessions/{s['id']}/attendance"
    records = [{"registration_id": regs[0]["id"], "attendance": "attended"},
               {"registration_id": regs[1]["id"], "attendance": "no_show"}]
    early = world.client.post(url, json={"records": records}, headers=world.admin)
    assert early.status_code == 409  # not started yet
    world.set_clock(future() + timedelta(hours=3))
    stranger = world.client.post(url, json={"records": records}, headers=world.facilitator("someone-else"))
    assert stranger.status_code == 404
    r = world.client.post(url, json={"records": records}, headers=world.facilitator("fenna"))
    assert r.status_code == 200, r.get_json()
    assert [x["attendance"] for x in r.get_json()["records"]] == ["attended", "no_show"]
    bad = world.client.post(url, headers=world.admin, json={"records": [
        {"registration_id": regs[2]["id"], "attendance": "maybe"}]})
    assert bad.status_code == 422
    missing = world.client.post(f"/api/v1/sessions/{s['id']}/closing", headers=world.admin)
    assert missing.status_code == 409 and missing.get_json()["unrecorded"] == 1
    assert world.client.post(f"/api/v1/sessions/{s['id']}/closing", headers=world.facilitator("fenna")).status_code \
        == 403
    world.client.post(url, headers=world.admin, json={"records": [
        {"registration_id": regs[2]["id"], "attendance": "excused"}]})
    closed = world.client.post(f"/api/v1/sessions/{s['id']}/closing", headers=world.admin)
    assert closed.status_code == 200 and closed.get_json()["status"] == "held"
    [held] = world.events("SessionHeld")
    assert (held["data"]["attended"], held["data"]["no_shows"], held["data"]["excused"]) == (1, 1, 1)
    assert len(world.events("AttendanceRecorded")) == 3
    after = world.client.post(url, json={"records": records}, headers=world.admin)
    assert after.status_code == 409 and after.get_json()["current_state"] == "held"


def test_one_registration_twice_in_one_attendance_list_is_refused(world: World) -> None:
    s, regs = _registered(world, 2, capacity_min=1)
    world.set_clock(future() + timedelta(hours=3))
    r = world.client.post(f"/api/v1/sessions/{s['id']}/attendance", headers=world.admin, json={"records": [
        {"registration_id": regs[0]["id"], "attendance": "attended"},
        {"registration_id": regs[1]["id"], "attendance": "attended"},
        {"registration_id": regs[0]["id"], "attendance": "no_show"}]})
    assert r.status_code == 422, r.get_json()
    assert [p["name"] for p in r.get_json()["invalid_params"]] == ["records.2.registration_id"]
    assert world.events("AttendanceRecorded") == []  # nothing changed
    listing = world.client.get(f"/api/v1/sessions/{s['id']}/registrations", headers=world.admin).get_json()
    assert {x["attendance"] for x in listing["items"]} == {None}


def test_two_consecutive_no_shows_raise_one_alert(world: World) -> None:
    pid = world.programme()
    person = world.company(pid, "Noord", delegates=1).people[0]
    sessions = [world.schedule(pid, starts_at=future(10 + 7 * i).isoformat(), capacity_min=1) for i in range(4)]
    regs = [world.register(s["id"], person).get_json() for s in sessions]
    world.set_clock(future(40))

    def record(i: int, attendance: str) -> None:
        r = world.client.post(f"/api/v1/sessions/{sessions[i]['id']}/attendance", headers=world.admin,
                              json={"records": [{"registration_id": regs[i]["id"], "attendance": attendance}]})
        assert r.status_code == 200

    record(0, "no_show")
    record(1, "attended")
    record(2, "no_show")
    assert world.events("RepeatedNoShow") == []
    record(3, "no_show")
    record(3, "no_show")  # recorded twice: still one alert
    [alert] = world.events("RepeatedNoShow")
    assert alert["subject"] == person and alert["data"]["session_ids"] == [sessions[2]["id"], sessions[3]["id"]]


def test_below_minimum_alert_once_per_session_n_days_before(world: World) -> None:
    pid = world.programme(below_minimum_days=5)
    people = world.company(pid, "Noord", delegates=3).people
    low = world.schedule(pid, starts_at=future(10).isoformat(), capacity_min=3, capacity_max=12)
    full = world.schedule(pid, starts_at=future(10, hour=14).isoformat(), capacity_min=2, capacity_max=12)
    world.register(low["id"], people[0])
    for p in people[:2]:
        world.register(full["id"], p)
    service = world.app.extensions["sessions"]
    assert service.decisions.check_below_minimum(now=future(4)) == []  # six days ahead: not yet
    assert [str(x) for x in service.decisions.check_below_minimum(now=future(6))] == [low["id"]]
    assert service.decisions.check_below_minimum(now=future(7)) == []  # once per session
    [alert] = world.events("SessionBelowMinimum")
    assert alert["data"]["registered"] == 1 and alert["data"]["capacity_min"] == 3
    assert alert["data"]["region"] == "Noord"
    # A new date deserves a new check.
    world.client.post(f"/api/v1/sessions/{low['id']}/rescheduling", json={"starts_at": future(20).isoformat()},
                      headers=world.admin)
    assert [str(x) for x in service.decisions.check_below_minimum(now=future(16))] == [low["id"]]


def test_evaluations_only_by_attendees_once_within_the_window(world: World) -> None:
    s, regs = _registered(world, 6, capacity_min=1)
    url = f"/api/v1/sessions/{s['id']}/evaluations"
    body = {"person_id": regs[0]["person_id"], "score": 8, "comment": "Leerzaam"}
    assert world.client.post(url, json=body, headers=world.admin).status_code == 409  # not yet held
    world.set_clock(future() + timedelta(hours=3))
    world.client.post(f"/api/v1/sessions/{s['id']}/attendance", headers=world.admin, json={"records": [
        {"registration_id": r["id"], "attendance": "attended" if i < 5 else "no_show"} for i, r in enumerate(regs)]})
    r = world.client.post(url, json=body, headers=world.admin)
    assert r.status_code == 201 and r.get_json()["has_comment"] is True
    assert world.client.post(url, json=body, headers=world.admin).status_code == 409
    no_show = world.client.post(url, json={"person_id": regs[5]["person_id"], "score": 2}, headers=world.admin)
    assert no_show.status_code == 409 and "attended" in no_show.get_json()["detail"]
    out_of_range = world.client.post(url, json={"person_id": regs[1]["person_id"], "score": 11}, headers=world.admin)
    assert out_of_range.status_code == 422
    summary = world.client.get(f"/api/v1/sessions/{s['id']}/evaluation-summary", headers=world.admin).get_json()
    assert summary["count"] == 1 and summary["average"] is None and summary["comments"] == []  # too few to show
    for reg, score in zip(regs[1:5], (7, 7, 8, 8), strict=True):
        assert world.client.post(url, json={"person_id": reg["person_id"], "score": score},
                                 headers=world.admin).status_code == 201
    summary = world.client.get(f"/api/v1/sessions/{s['id']}/evaluation-summary", headers=world.admin).get_json()
    assert summary["count"] == 5 and summary["average"] == 7.6 and summary["comments"] == ["Leerzaam"]
    [first, *_] = world.events("EvaluationSubmitted")
    assert first["data"]["score"] == 8 and first["data"]["has_comment"] is True and "comment" not in first["data"]
    world.set_clock(future() + timedelta(days=15))
    closed = world.client.post(url, json={"person_id": regs[0]["person_id"], "score": 5}, headers=world.admin)
    assert closed.status_code == 409 and "closes_at" in closed.get_json()


def test_an_erased_person_cannot_evaluate_afterwards(world: World) -> None:
    """An evaluation link minted before the erasure must not collect new data about the person after it."""
    s, regs = _registered(world, 1, capacity_min=1)
    person = regs[0]["person_id"]
    world.set_clock(future() + timedelta(hours=3))
    recorded = world.client.post(f"/api/v1/sessions/{s['id']}/attendance", headers=world.admin, json={"records": [
        {"registration_id": regs[0]["id"], "attendance": "attended"}]})
    assert recorded.status_code == 200
    # The erasure is handled after the session (the handler's clock agrees with the service's).
    late = EventConsumer(world.settings, world.pool, "test-sessions", [],
                         handlers(world.settings, clock=lambda: future() + timedelta(hours=3)))
    late.apply(enrolment_event("PersonErased", person, {"person_id": person, "erased_on": "2026-01-01"}))
    token = sign(world.settings.link_secret, "evaluate", {"session_id": s["id"], "person_id": person}, 3600)
    r = world.client.post(f"/api/v1/links/evaluate?token={token}", json={"score": 9, "comment": "Mijn naam is Piet"})
    assert r.status_code == 409 and "erased" in r.get_json()["detail"], r.get_json()
    with psycopg.connect(world.settings.database_url) as conn:
        row = conn.execute("SELECT count(*) FROM evaluations WHERE person_id = %s", (person,)).fetchone()
    assert row is not None and row[0] == 0
    assert world.events("EvaluationSubmitted") == []


def test_signed_links_confirm_cancel_evaluate_and_refuse_tampered_expired_reused(world: World) -> None:
    s, _ = _registered(world, 0, capacity_min=1, capacity_max=1)
    pid = s["programme_id"]
    people = world.company(pid, "Noord", delegates=2).people
    secret = world.settings.link_secret

    def link(action: str, person: str, ttl: int = 3600, **kw: Any) -> str:
        return sign(secret, action, {"session_id": s["id"], "person_id": person}, ttl, **kw)

    token = link("confirm", people[0])
    page = world.client.get(f"/api/v1/links/confirm?token={token}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Aanmelden" in html and "Register" in html and html.index("Aanmelden") < html.index("Register")
    assert world.events("ParticipantRegistered") == []  # GET never acts
    done = world.client.post(f"/api/v1/links/confirm?token={token}", data={})
    assert done.status_code == 200 and "U bent aangemeld" in done.get_data(as_text=True)
    reused = world.client.post(f"/api/v1/links/confirm?token={token}", data={})
    assert reused.status_code == 410 and "al gebruikt" in reused.get_data(as_text=True)
    assert world.client.get(f"/api/v1/links/confirm?token={token}").status_code == 410

    # JSON in, JSON out; the second person lands on the waiting list.
    second = world.client.post("/api/v1/links/confirm", json={"token": link("confirm", people[1])},
                               headers={"Accept": "application/json"})
    assert second.get_json()["status"] == "waitlisted" and second.get_json()["position"] == 1

    payload, _, signature = link("cancel", people[0]).partition(".")
    forged = sign("not-the-secret", "cancel", {"session_id": s["id"], "person_id": people[0]}, 3600)
    tampered = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    for bad in (tampered, forged, link("confirm", people[0])):  # wrong action counts as forged
        r = world.client.post(f"/api/v1/links/cancel?token={bad}")
        assert r.status_code == 403 and "ongeldig" in r.get_data(as_text=True)
    expired = link("cancel", people[0], ttl=-10)
    r = world.client.post(f"/api/v1/links/cancel?token={expired}", headers={"Accept": "application/json"})
    assert r.status_code == 410 and r.get_json()["type"].endswith("link-expired")
    assert world.events("RegistrationCancelled") == []

    r = world.client.post(f"/api/v1/links/cancel?token={link('cancel', people[0])}")
    assert r.status_code == 200 and "afgezegd" in r.get_data(as_text=True)
    assert [e["data"]["person_id"] for e in world.events("WaitlistPromoted")] == [people[1]]

    # Evaluate: a refused action (not attended) leaves the link usable.
    world.set_clock(future() + timedelta(hours=3))
    world.client.post(f"/api/v1/sessions/{s['id']}/attendance", headers=world.admin, json={"records": [
        {"registration_id": second.get_json()["registration_id"], "attendance": "attended"}]})
    evaluate = link("evaluate", people[1])
    form = world.client.get(f"/api/v1/links/evaluate?token={evaluate}").get_data(as_text=True)
    assert 'name="score"' in form and 'method="post"' in form
    bad_score = world.client.post(f"/api/v1/links/evaluate?token={evaluate}", data={"score": "12"})
    assert bad_score.status_code == 422
    ok = world.client.post(f"/api/v1/links/evaluate?token={evaluate}", data={"score": "8", "comment": "Top"})
    assert ok.status_code == 200 and "Dank" in ok.get_data(as_text=True)
    not_attended = world.client.post(f"/api/v1/links/evaluate?token={link('evaluate', people[0])}",
                                     data={"score": "3"})
    assert not_attended.status_code == 409
    with psycopg.connect(world.settings.database_url) as conn:
        used = conn.execute("SELECT count(*) FROM used_links").fetchone()
        actors = [r[0] for r in conn.execute("SELECT actor FROM audit_log WHERE action LIKE 'registration.%'")]
    assert used is not None and used[0] == 4  # confirm x2, cancel, evaluate: the refused ones were not spent
    assert actors[0] == f"participant:{people[0]}"
