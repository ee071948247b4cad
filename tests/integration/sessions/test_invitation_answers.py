"""Issue 15: invitation links answer until the session starts (not a fixed 14 days); answers are events."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.common.events import validate_event
from services.common.signed_links import sign
from tests.integration.sessions.world import World, future

pytestmark = pytest.mark.integration
JSON = {"Accept": "application/json"}


def _token(world: World, action: str, session_id: str, person: str, ttl: int) -> str:
    return sign(world.settings.link_secret, action, {"session_id": session_id, "person_id": person}, ttl)


def test_links_answer_until_the_start_and_expire_at_it(world: World) -> None:
    pid = world.programme()
    c = world.company(pid, "Noord", delegates=2)
    s = world.schedule(pid, starts_at=future(3).isoformat())
    long_ttl = 30 * 86400  # the token itself would live a month: the start still ends it
    confirm = _token(world, "confirm", s["id"], c.people[0], long_ttl)
    world.set_clock(future(3) - timedelta(minutes=1))  # a minute before the start: still an answer
    r = world.client.post(f"/api/v1/links/confirm?token={confirm}", headers=JSON)
    assert r.status_code == 200 and r.get_json()["status"] == "registered"
    world.set_clock(future(3))  # at the start
    late = _token(world, "confirm", s["id"], c.people[1], long_ttl)
    page = world.client.get(f"/api/v1/links/confirm?token={late}")
    assert page.status_code == 410 and "Link verlopen" in page.get_data(as_text=True)
    assert page.get_data(as_text=True).index("Link verlopen") < page.get_data(as_text=True).index("Link expired")
    r = world.client.post(f"/api/v1/links/confirm?token={late}", headers=JSON)
    assert r.status_code == 410 and r.get_json()["type"] == "urn:progadmin:problem:link-expired"
    cancel = _token(world, "cancel", s["id"], c.people[0], long_ttl)
    assert world.client.post(f"/api/v1/links/cancel?token={cancel}", headers=JSON).status_code == 410
    # Nothing changed: still registered, no new registration.
    regs = world.client.get(f"/api/v1/sessions/{s['id']}/registrations", headers=world.admin).get_json()["items"]
    assert [(r["person_id"], r["status"]) for r in regs] == [(c.people[0], "registered")]
    # An evaluation link is not an answer to the invitation: it works after the session.
    world.set_clock(future(3) + timedelta(hours=4))
    evaluate = _token(world, "evaluate", s["id"], c.people[0], long_ttl)
    assert world.client.get(f"/api/v1/links/evaluate?token={evaluate}").status_code == 200


def test_a_link_minted_until_the_start_expires_by_its_own_time_too(world: World) -> None:
    pid = world.programme()
    c = world.company(pid, "Noord", delegates=1)
    s = world.schedule(pid, starts_at=future(3).isoformat())
    expired = sign(world.settings.link_secret, "confirm", {"session_id": s["id"], "person_id": c.people[0]}, 60,
                   now=(future(3) - timedelta(days=20)).timestamp())
    assert world.client.get(f"/api/v1/links/confirm?token={expired}").status_code == 410


def test_answers_to_an_invitation_are_events_for_reminders(world: World) -> None:
    pid = world.programme()
    c = world.company(pid, "Noord", delegates=3)
    s = world.schedule(pid, capacity_max=1, capacity_min=0)
    r = world.client.post(f"/api/v1/sessions/{s['id']}/invitations", json={}, headers=world.admin)
    assert r.status_code == 201 and r.get_json()["count"] == 3
    for e in world.events("ParticipantInvited"):
        validate_event(e)
        assert datetime.fromisoformat(e["data"]["expires_at"]) == datetime.fromisoformat(s["starts_at"])
    a, b, n = c.people
    assert world.client.post(f"/api/v1/links/confirm?token={_token(world, 'confirm', s['id'], a, 3600)}",
                             headers=JSON).get_json()["status"] == "registered"
    assert world.client.post(f"/api/v1/links/confirm?token={_token(world, 'confirm', s['id'], b, 3600)}",
                             headers=JSON).get_json()["status"] == "waitlisted"
    # The cancel link of someone invited but not registered is a "no" to the invitation.
    r = world.client.post(f"/api/v1/links/cancel?token={_token(world, 'cancel', s['id'], n, 3600)}", headers=JSON)
    assert r.status_code == 200 and r.get_json()["status"] == "declined"
    # a cancels: their answer becomes declined; b moves up (no new answer from b: b did not act).
    reg_a = world.client.get(f"/api/v1/sessions/{s['id']}/registrations?status=registered",
                             headers=world.admin).get_json()["items"][0]
    r = world.client.post(f"/api/v1/registrations/{reg_a['id']}/cancellation", headers=world.admin)
    assert r.status_code == 200
    answers = world.events("InvitationResponded")
    for e in answers:
        validate_event(e)
    assert [(e["data"]["person_id"], e["data"]["response"]) for e in answers] == [
        (a, "registered"), (b, "waitlisted"), (n, "declined"), (a, "declined")]
    [cancelled] = world.events("RegistrationCancelled")
    assert cancelled["data"]["cancelled_by"] == "staff" and cancelled["data"]["person_id"] == a
    # Someone never invited and not registered: the cancel link still says "not registered" (409).
    outsider = world.company(pid, "Noord", delegates=1).people[0]
    r = world.client.post(f"/api/v1/links/cancel?token={_token(world, 'cancel', s['id'], outsider, 3600)}",
                          headers=JSON)
    assert r.status_code == 409


def test_a_participant_cancelling_through_the_link_is_named_as_such(world: World) -> None:
    pid = world.programme()
    c = world.company(pid, "Noord", delegates=1)
    s = world.schedule(pid)
    assert world.register(s["id"], c.people[0]).status_code == 201
    r = world.client.post(f"/api/v1/links/cancel?token={_token(world, 'cancel', s['id'], c.people[0], 3600)}",
                          headers=JSON)
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    [e] = world.events("RegistrationCancelled")
    assert e["data"]["cancelled_by"] == "participant" and e["data"]["cause"] == "participant"
