"""Invitations, registrations, the waiting list and the gate, on a real database."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from flask.testing import FlaskClient
from psycopg.rows import dict_row

from services.sessions.handlers import handlers
from tests.integration.sessions.world import World, enrolment_event, future
from tests.support import wait_until

pytestmark = pytest.mark.integration


def test_fifty_simultaneous_registrations_for_eight_places(world: World) -> None:
    pid = world.programme()
    people = [p for _ in range(10) for p in world.company(pid, "Noord", delegates=5).people]
    session = world.schedule(pid, capacity_min=4, capacity_max=8)
    barrier = threading.Barrier(len(people))
    answers: dict[str, Any] = {}

    def register(person: str, client: FlaskClient) -> None:
        barrier.wait()
        r = client.post(f"/api/v1/sessions/{session['id']}/registrations", json={"person_id": person},
                        headers=world.admin)
        answers[person] = (r.status_code, r.get_json())

    threads = [threading.Thread(target=register, args=(p, world.app.test_client())) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(code == 201 for code, _ in answers.values()), [b for c, b in answers.values() if c != 201][:3]
    regs = sorted((body for _, body in answers.values()), key=lambda b: b["created_at"])
    listing = world.client.get(f"/api/v1/sessions/{session['id']}/registrations?page_size=100",
                               headers=world.admin).get_json()["items"]
    assert len(listing) == 50
    # Arrival order (taken under the session lock) decides: the first 8 have a place, the rest wait in order.
    assert [r["status"] for r in listing] == ["registered"] * 8 + ["waitlisted"] * 42
    assert [r["position"] for r in listing[8:]] == list(range(1, 43))
    assert {r["id"]: r["status"] for r in listing} == {r["id"]: r["status"] for r in regs}
    waitlisted_events = world.events("ParticipantWaitlisted")
    assert len(world.events("ParticipantRegistered")) == 8 and len(waitlisted_events) == 42
    # Events leave in the order the places were decided, with the positions the people were told.
    assert [e["data"]["position"] for e in waitlisted_events] == list(range(1, 43))
    assert [e["data"]["registration_id"] for e in waitlisted_events] == [r["id"] for r in listing[8:]]

    # Three cancellations promote the first three waiting, in order.
    for reg in listing[:3]:
        r = world.client.post(f"/api/v1/registrations/{reg['id']}/cancellation", headers=world.admin)
        assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    promoted = [e["data"]["registration_id"] for e in world.events("WaitlistPromoted")]
    assert promoted == [r["id"] for r in listing[8:11]]
    after = world.client.get(f"/api/v1/sessions/{session['id']}", headers=world.admin).get_json()
    assert (after["registered"], after["waitlisted"]) == (8, 39)
    first_waiting = world.client.get(f"/api/v1/registrations/{listing[11]['id']}", headers=world.admin).get_json()
    assert first_waiting["position"] == 1


def test_register_cancel_late_and_conflicts(world: World) -> None:
    pid = world.programme()
    person = world.company(pid, "Noord", delegates=1).people[0]
    session = world.schedule(pid, starts_at=future(3).isoformat())
    r = world.register(session["id"], person)
    assert r.status_code == 201 and r.get_json()["status"] == "registered"
    assert r.headers["Location"] == f"/api/v1/registrations/{r.get_json()['id']}"
    twice = world.register(session["id"], person)
    assert twice.status_code == 409 and twice.get_json()["current_state"] == "registered"
    world.set_clock(future(3) - timedelta(hours=20))  # within 48 hours of the start
    cancelled = world.client.post(f"/api/v1/registrations/{r.get_json()['id']}/cancellation", headers=world.admin)
    assert cancelled.get_json()["cancel_late"] is True and cancelled.get_json()["cancel_cause"] == "participant"
    again = world.client.post(f"/api/v1/registrations/{r.get_json()['id']}/cancellation", headers=world.admin)
    assert again.status_code == 409
    [event] = world.events("RegistrationCancelled")
    assert event["data"]["late"] is True and event["data"]["cause"] == "participant"
    # Registering again after a cancellation is a new registration; after the start nothing changes any more.
    assert world.register(session["id"], person).status_code == 201
    world.set_clock(future(3) + timedelta(minutes=1))
    assert world.register(session["id"], world.company(pid, "Noord", delegates=1).people[0]).status_code == 409


def test_the_gate_refuses_non_admitted_and_withdrawn_companies(world: World) -> None:
    pid = world.programme()
    admitted = world.company(pid, "Noord", delegates=2)
    not_admitted = world.company(pid, "Noord", delegates=1, admitted=False)
    withdrawn = world.company(pid, "Noord", delegates=1)
    world.withdraw(withdrawn)
    session = world.schedule(pid)
    for person, reason in ((not_admitted.people[0], "has not been admitted"),
                           (withdrawn.people[0], "withdrew"), (str(uuid.uuid4()), "not a delegate")):
        r = world.register(session["id"], person)
        assert r.status_code == 409 and reason in r.get_json()["detail"], r.get_json()
    r = world.client.post(f"/api/v1/sessions/{session['id']}/invitations", headers=world.admin,
                          json={"person_ids": [admitted.people[0], not_admitted.people[0]]})
    assert r.status_code == 409 and [x["person_id"] for x in r.get_json()["refused"]] == [not_admitted.people[0]]
    assert world.events("ParticipantInvited") == []
    # Inviting the region invites exactly the eligible delegates, once.
    r = world.client.post(f"/api/v1/sessions/{session['id']}/invitations", json={}, headers=world.admin)
    assert r.status_code == 201 and {i["person_id"] for i in r.get_json()["invited"]} == set(admitted.people)
    again = world.client.post(f"/api/v1/sessions/{session['id']}/invitations", json={}, headers=world.admin)
    assert again.get_json()["count"] == 0
    assert len(world.events("ParticipantInvited")) == 2
    delegates = world.client.get(f"/api/v1/delegates?programme_id={pid}", headers=world.coordinator("Noord")).get_json()
    assert delegates["total"] == 4
    assert {d["person_id"] for d in delegates["items"] if d["eligible"]} == set(admitted.people)


def test_a_withdrawal_arriving_after_invitation_and_registration_cancels_and_blocks(world: World) -> None:
    pid = world.programme()
    leaving = world.company(pid, "Noord", delegates=2)
    staying = world.company(pid, "Noord", delegates=2)
    session = world.schedule(pid, capacity_min=1, capacity_max=2)
    other = world.schedule(pid, starts_at=future(50).isoformat())
    world.client.post(f"/api/v1/sessions/{session['id']}/invitations", json={}, headers=world.admin)
    regs = [world.register(session["id"], p).get_json() for p in leaving.people + staying.people]
    assert [r["status"] for r in regs] == ["registered", "registered", "waitlisted", "waitlisted"]
    assert world.register(other["id"], leaving.people[0]).status_code == 201

    world.withdraw(leaving)  # arrives late: after the invitation and the registrations

    cancelled = world.events("RegistrationCancelled")
    assert {e["data"]["registration_id"] for e in cancelled} >= {regs[0]["id"], regs[1]["id"]}
    assert {e["data"]["cause"] for e in cancelled} == {"company_withdrew"}
    assert len(cancelled) == 3 and all(e["data"]["late"] is False for e in cancelled)
    assert [e["data"]["registration_id"] for e in world.events("WaitlistPromoted")] == [regs[2]["id"], regs[3]["id"]]
    assert world.register(session["id"], leaving.people[0]).status_code == 409
    r = world.client.post(f"/api/v1/sessions/{session['id']}/invitations", json={"person_ids": leaving.people[:1]},
                          headers=world.admin)
    assert r.status_code == 409
    # A late admission event (redelivered out of order) does not undo the withdrawal.
    world.apply(world.admitted_event(leaving))
    assert world.register(session["id"], leaving.people[1]).status_code == 409


def test_delegation_seen_before_admission_becomes_eligible_on_admission(world: World) -> None:
    pid = world.programme()
    company = world.company(pid, "Midden", delegates=1, admitted=False)
    session = world.schedule(pid, region="Midden")
    assert world.register(session["id"], company.people[0]).status_code == 409
    world.apply(world.admitted_event(company))
    assert world.register(session["id"], company.people[0]).status_code == 201


def test_removal_and_erasure_cancel_future_places(world: World) -> None:
    from services.common.events import new_event

    pid = world.programme()
    c = world.company(pid, "Zuid", delegates=2)
    session = world.schedule(pid, region="Zuid")
    for p in c.people:
        assert world.register(session["id"], p).status_code == 201
    world.apply(new_event("enrolment", "ParticipantRemoved", c.enrolment_id, {
        "enrolment_id": c.enrolment_id, "company_id": c.company_id, "programme_id": pid, "person_id": c.people[0],
        "replaced_by": None, "removed_on": "2026-01-01"}))
    world.apply(new_event("enrolment", "PersonErased", c.people[1], {"person_id": c.people[1],
                                                                      "erased_on": "2026-01-01"}))
    causes = [e["data"]["cause"] for e in world.events("RegistrationCancelled")]
    assert causes == ["person_removed", "person_erased"]
    assert world.register(session["id"], c.people[0]).status_code == 409
    assert world.register(session["id"], c.people[1]).status_code == 409
    with psycopg.connect(world.settings.database_url) as conn:
        kept = conn.execute("SELECT job_level, erased_on IS NOT NULL FROM delegates WHERE person_id = %s",
                            (c.people[1],)).fetchone()
    assert kept == (None, True)  # only the pseudonymous id remains


def test_an_invitation_racing_a_withdrawal_does_not_invite_the_withdrawn_company(world: World) -> None:
    """Inviting the region while a withdrawal is being applied: wait for it, then leave that company out."""
    pid = world.programme()
    leaving = world.company(pid, "Noord", delegates=2)
    staying = world.company(pid, "Noord", delegates=1)
    session = world.schedule(pid)
    answer: dict[str, Any] = {}

    def invite() -> None:
        r = world.app.test_client().post(f"/api/v1/sessions/{session['id']}/invitations", json={},
                                         headers=world.admin)
        answer["status"], answer["body"] = r.status_code, r.get_json()

    with psycopg.connect(world.settings.database_url, row_factory=dict_row) as conn:
        handlers(world.settings)["progadmin.enrolment.CompanyWithdrew.v1"](conn, world.withdrew_event(leaving))
        racer = threading.Thread(target=invite)
        racer.start()
        wait_until(lambda: not racer.is_alive() or _waiting_for_a_lock(world), timeout=10)
        conn.commit()
    racer.join(10)
    assert answer["status"] == 201, answer
    assert {i["person_id"] for i in answer["body"]["invited"]} == set(staying.people)
    assert {e["data"]["person_id"] for e in world.events("ParticipantInvited")} == set(staying.people)


def _waiting_for_a_lock(world: World) -> bool:
    with psycopg.connect(world.settings.database_url) as probe:
        row = probe.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                            " AND wait_event_type = 'Lock'").fetchone()
    return bool(row and row[0])


def test_an_erasure_seen_before_the_delegation_still_holds(world: World) -> None:
    """PersonErased is keyed by person, ParticipantDelegated by enrolment: other partitions, any order."""
    pid = world.programme()
    c = world.company(pid, "Zuid", delegates=0)
    person = str(uuid.uuid4())
    session = world.schedule(pid, region="Zuid")
    world.apply(enrolment_event("PersonErased", person, {"person_id": person, "erased_on": "2026-01-01"}))
    world.apply(world.delegated_event(c, person, job_level="foreman"))
    assert world.register(session["id"], person).status_code == 409
    with psycopg.connect(world.settings.database_url) as conn:
        kept = conn.execute("SELECT job_level, erased_on IS NOT NULL FROM delegates WHERE person_id = %s",
                            (person,)).fetchone()
    assert kept == (None, True)  # the late delegation brings back neither the person nor their job level


def test_programme_rules_follow_updates_and_a_closed_programme_takes_no_sessions(world: World) -> None:
    from services.common.events import new_event

    pid = world.programme()
    world.apply(new_event("enrolment", "ProgrammeUpdated", pid, {
        "programme_id": pid, "name": "Vanzelfsprekend", "regions": ["Noord"], "planned_sessions": {},
        "max_delegates_per_company": 4, "session_rules": {"min_duration_minutes": 30, "max_duration_minutes": 60,
                                                          "online_facilitators": 1}}))
    r = world.client.post("/api/v1/sessions", json=world.session_body(pid, duration_minutes=150), headers=world.admin)
    assert r.status_code == 422 and "between 30 and 60" in r.get_json()["invalid_params"][0]["reason"]
    world.schedule(pid, duration_minutes=45)
    programmes = world.client.get("/api/v1/programmes", headers=world.admin).get_json()["items"]
    assert [(p["max_duration_minutes"], p["regions"]) for p in programmes] == [(60, ["Noord"])]
    world.apply(new_event("enrolment", "ProgrammeClosed", pid, {"programme_id": pid, "closed_on": "2031-01-01"}))
    r = world.client.post("/api/v1/sessions", json=world.session_body(pid, duration_minutes=45), headers=world.admin)
    assert r.status_code == 409


def test_raising_capacity_promotes_and_lowering_below_registered_is_refused(world: World) -> None:
    pid = world.programme()
    people = world.company(pid, "Noord", delegates=4).people
    session = world.schedule(pid, capacity_min=1, capacity_max=2)
    for p in people:
        world.register(session["id"], p)
    r = world.client.post(f"/api/v1/sessions/{session['id']}/rescheduling", json={"capacity_max": 3},
                          headers=world.admin)
    assert r.status_code == 200 and r.get_json()["registered"] == 3 and r.get_json()["waitlisted"] == 1
    r = world.client.post(f"/api/v1/sessions/{session['id']}/rescheduling", json={"capacity_max": 2},
                          headers=world.admin)
    assert r.status_code == 422 and r.get_json()["invalid_params"][0]["name"] == "capacity_max"


def test_cancelling_a_session_cancels_its_registrations(world: World) -> None:
    pid = world.programme()
    people = world.company(pid, "Noord", delegates=3).people
    session = world.schedule(pid, capacity_min=1, capacity_max=2)
    for p in people:
        world.register(session["id"], p)
    r = world.client.post(f"/api/v1/sessions/{session['id']}/cancellation", json={"reason": "storm"},
                          headers=world.admin)
    assert r.status_code == 200
    cancelled = world.events("RegistrationCancelled")
    assert len(cancelled) == 3 and {e["data"]["cause"] for e in cancelled} == {"session_cancelled"}
    assert world.events("WaitlistPromoted") == []


def test_an_idempotent_retry_is_replayed_not_registered_twice(world: World) -> None:
    pid = world.programme()
    person = world.company(pid, "Noord", delegates=1).people[0]
    session = world.schedule(pid)
    headers = {**world.admin, "Idempotency-Key": "reg-1"}
    url = f"/api/v1/sessions/{session['id']}/registrations"
    first = world.client.post(url, json={"person_id": person}, headers=headers)
    retry = world.client.post(url, json={"person_id": person}, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true" and retry.get_json() == first.get_json()
    assert len(world.events("ParticipantRegistered")) == 1


def test_openapi_documents_every_route(world: World) -> None:
    paths = world.client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/sessions", "/api/v1/sessions/{session_id}/rescheduling",
                 "/api/v1/sessions/{session_id}/attendance", "/api/v1/registrations/{registration_id}/cancellation",
                 "/api/v1/calendar-feeds", "/api/v1/calendars/{token}.ics", "/api/v1/links/{action}",
                 "/api/v1/delegates", "/api/v1/programmes"):
        assert path in paths, sorted(paths)


def test_a_registration_racing_a_withdrawal_never_outlives_it(world: World) -> None:
    """The withdrawal handler has found no registrations yet to cancel when a registration arrives.

    The registration must wait for the withdrawal (and then be refused), or the
    withdrawal must see it: a live place for a withdrawn company is the gate bypassed.
    """
    pid = world.programme()
    leaving = world.company(pid, "Noord", delegates=1)
    session = world.schedule(pid)
    event = world.withdrew_event(leaving)
    answer: dict[str, Any] = {}

    def register() -> None:
        r = world.app.test_client().post(f"/api/v1/sessions/{session['id']}/registrations",
                                         json={"person_id": leaving.people[0]}, headers=world.admin)
        answer["status"] = r.status_code

    with psycopg.connect(world.settings.database_url, row_factory=dict_row) as conn:
        # The withdrawal, applied but not committed yet (as the consumer does it, in one transaction).
        handlers(world.settings)["progadmin.enrolment.CompanyWithdrew.v1"](conn, event)
        racer = threading.Thread(target=register)
        racer.start()
        wait_until(lambda: not racer.is_alive() or _waiting_for_a_lock(world), timeout=10)
        conn.commit()
    racer.join(10)
    assert answer["status"] == 409, answer
    with psycopg.connect(world.settings.database_url) as conn:
        live = conn.execute("SELECT count(*) FROM registrations WHERE person_id = %s"
                            " AND status IN ('registered', 'waitlisted')", (leaving.people[0],)).fetchone()
    assert live is not None and live[0] == 0
