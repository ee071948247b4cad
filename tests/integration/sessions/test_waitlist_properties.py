"""Property tests of the waiting list: the real use cases on PostgreSQL against a FIFO model."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException

from services.sessions import db
from tests.integration.sessions.world import World, future

pytestmark = pytest.mark.integration
PEOPLE = 7

operations = st.lists(st.tuples(st.sampled_from(["register", "cancel"]), st.integers(0, PEOPLE - 1)),
                      min_size=1, max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(capacity=st.integers(1, 4), ops=operations)
def test_waiting_list_is_fifo_and_capacity_always_holds(world: World, capacity: int, ops: list[tuple[str, int]]
                                                         ) -> None:
    service = world.app.extensions["sessions"]
    if not hasattr(world, "pid"):
        world.pid = world.programme()  # type: ignore[attr-defined]
        world.people = world.company(world.pid, "Noord", delegates=PEOPLE).people  # type: ignore[attr-defined]
    people: list[str] = world.people  # type: ignore[attr-defined]
    session = service.scheduling.schedule({
        "programme_id": uuid.UUID(world.pid), "type": "dialogue", "region": "Noord",  # type: ignore[attr-defined]
        "format": "online", "online_url": "https://teams.example/x", "starts_at": future(30) + timedelta(
            minutes=len(ops) * 7 + capacity), "duration_minutes": 60, "capacity_min": 0, "capacity_max": capacity,
        "facilitator_ids": [uuid.uuid4().hex, uuid.uuid4().hex]})
    registered: list[str] = []
    waiting: list[str] = []
    regs: dict[str, uuid.UUID] = {}
    for op, i in ops:
        person = people[i]
        live = person in registered or person in waiting
        if op == "register":
            try:
                reg = service.registrations.register(session["id"], uuid.UUID(person))
            except HTTPException as refused:
                assert live and refused.code == 409
                continue
            assert not live
            regs[person] = reg["id"]
            (registered if len(registered) < capacity else waiting).append(person)
            assert reg["status"] == ("registered" if person in registered else "waitlisted")
        elif live:
            service.registrations.cancel_registration(regs[person])
            if person in registered:
                registered.remove(person)
                if waiting:
                    registered.append(waiting.pop(0))
            else:
                waiting.remove(person)
        with world.pool.connection() as conn:
            rows, _ = db.list_registrations(conn, session["id"], None, 1000, 0)
        in_db = [r for r in rows if r["status"] == "registered"]
        assert len(in_db) <= capacity
        assert {str(r["person_id"]) for r in in_db} == set(registered)
        queue = [r for r in rows if r["status"] == "waitlisted"]
        assert [str(r["person_id"]) for r in queue] == waiting
        assert [r["position"] for r in queue] == list(range(1, len(queue) + 1))
