"""People taking attendance see names, not ids: sessions keeps the delegate's name, and forgets it on erasure."""

from __future__ import annotations

import re

from tests.integration.sessions.test_pages import html, started_session
from tests.integration.sessions.world import World, enrolment_event


def test_the_attendance_sheet_names_people_and_an_erasure_removes_the_name(world: World) -> None:
    pid = world.programme()
    company = world.company(pid, "Noord", delegates=0)
    anna, bert = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
    world.apply(world.admitted_event(company))
    world.apply(world.delegated_event(company, anna, name="Anna de Wit"))
    world.apply(world.delegated_event(company, bert, name="Bert Kramer"))
    s = started_session(world, pid, [anna, bert], facilitator_ids=["fac-names"])
    sheet = html(world.client.get(f"/sessions/{s['id']}/attendance", headers=world.facilitator("fac-names")))
    assert "Anna de Wit" in sheet and "Bert Kramer" in sheet
    listed = world.client.get(f"/api/v1/delegates?programme_id={pid}", headers=world.admin).get_json()["items"]
    assert {d["name"] for d in listed} == {"Anna de Wit", "Bert Kramer"}

    world.apply(enrolment_event("PersonErased", anna, {"person_id": anna, "erased_on": "2026-01-01"}))
    sheet = html(world.client.get(f"/sessions/{s['id']}/attendance", headers=world.facilitator("fac-names")))
    assert "Anna de Wit" not in sheet and "Bert Kramer" in sheet
    assert re.search(r"deelnemer 11111111", sheet, re.I)
    with world.pool.connection() as conn:
        row = conn.execute("SELECT name FROM delegates WHERE person_id = %s", (anna,)).fetchone()
    assert row["name"] is None
