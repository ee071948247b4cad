"""A list of sessions (the API, the calendar) carries each session's registered and waitlisted counts, read for
the whole page in one statement (bench/national.py: a national calendar month made one query per session)."""

from __future__ import annotations

import pytest

from tests.integration.sessions.world import World

pytestmark = pytest.mark.integration


def test_each_listed_session_has_its_own_counts(world: World) -> None:
    pid = world.programme()
    people = world.company(pid, "Noord", delegates=3).people
    full = world.schedule(pid, capacity_min=1, capacity_max=2)
    empty = world.schedule(pid, capacity_min=1, capacity_max=5)
    for p in people:
        world.register(full["id"], p)
    r = world.client.get(f"/api/v1/sessions?programme_id={pid}", headers=world.admin)
    assert r.status_code == 200
    counts = {s["id"]: (s["registered"], s["waitlisted"]) for s in r.get_json()["items"]}
    assert counts == {full["id"]: (2, 1), empty["id"]: (0, 0)}
    assert world.client.get("/api/v1/sessions?region=Nergens", headers=world.admin).get_json()["items"] == []
