"""The series and go/no-go pages (issue 15): Dutch first, errors at their fields with nothing changed."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.integration.sessions.test_pages import count_sessions, field_error, html
from tests.integration.sessions.world import World, future

pytestmark = pytest.mark.integration
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def series_form(pid: str, **overrides: str) -> dict[str, str]:
    start = date.today() + timedelta(weeks=3)
    start += timedelta(days=(1 - start.weekday()) % 7)  # a Tuesday
    body = {"programme_id": pid, "type": "intervision", "region": "Noord", "format": "regional_venue",
            "venue_address": "Stationsplein 1, Groningen", "start_date": start.isoformat(), "start_time": "14:00",
            "end_time": "16:30", "interval_weeks": "2", "count": "4", "capacity_min": "4", "capacity_max": "8",
            "working_method": "Keukentafelgesprek", "facilitator_ids": "fac-reeks-pagina"}
    body.update(overrides)
    return body


def test_a_series_through_the_form_and_its_page(world: World) -> None:
    pid = world.programme()
    noord = world.coordinator("Noord")
    page = html(world.client.get("/sessions/series/new", headers=noord))
    assert "Reeks plannen" in page and "Elke 2 weken" in page
    # Wrong: end before start, a count of 1. Errors at the fields, in Dutch; nothing planned.
    r = world.client.post("/sessions/series/new", data=series_form(pid, end_time="13:00", count="1"), headers=noord)
    assert r.status_code == 422
    assert "2 tot 52" in field_error(html(r), "count")
    assert count_sessions(world) == 0
    r = world.client.post("/sessions/series/new", data=series_form(pid, end_time="13:00"), headers=noord)
    assert r.status_code == 422 and "na de begintijd" in field_error(html(r), "end_time")
    past = (date.today() - timedelta(days=7)).isoformat()
    r = world.client.post("/sessions/series/new", data=series_form(pid, start_date=past), headers=noord)
    assert r.status_code == 422 and "toekomst" in field_error(html(r), "start_date")
    assert count_sessions(world) == 0
    r = world.client.post("/sessions/series/new", data=series_form(pid), headers=noord)
    assert r.status_code == 303, html(r)
    series_page = html(world.client.get(r.headers["Location"], headers=noord))
    assert "elke 2 weken" in series_page and series_page.count("Gepland") == 4
    assert count_sessions(world) == 4


def _series(world: World, pid: str) -> list[dict[str, Any]]:
    r = world.client.post("/api/v1/session-series", headers=world.admin, json={
        "programme_id": pid, "type": "intervision", "region": "Noord", "format": "online",
        "online_url": "https://teams.example/reeks", "capacity_min": 4, "capacity_max": 8,
        "facilitator_ids": ["fac-a", "fac-b"], "start_date": (date.today() + timedelta(days=21)).isoformat(),
        "start_time": "14:00", "end_time": "16:30", "interval_weeks": 1, "count": 3})
    assert r.status_code == 201, r.get_json()
    sessions: list[dict[str, Any]] = r.get_json()["sessions"]
    return sessions


def test_cancel_the_rest_of_a_series_from_the_page(world: World) -> None:
    pid = world.programme()
    sessions = _series(world, pid)
    noord = world.coordinator("Noord")
    page = html(world.client.get(f"/sessions/{sessions[1]['id']}/cancel", headers=noord))
    assert "Deze en alle volgende sessies van de reeks" in page
    r = world.client.post(f"/sessions/{sessions[1]['id']}/cancel",
                          data={"reason": "Begeleider ziek", "scope": "this_and_following"}, headers=noord)
    assert r.status_code == 303
    statuses = [world.client.get(f"/api/v1/sessions/{s['id']}", headers=world.admin).get_json()["status"]
                for s in sessions]
    assert statuses == ["planned", "cancelled", "cancelled"]


def test_go_no_go_from_the_pages(world: World) -> None:
    pid = world.programme()
    noord = world.coordinator("Noord", sub="coord-noord")
    low = world.schedule(pid, starts_at=future(4).isoformat(), capacity_min=4)
    other = world.schedule(pid, starts_at=future(5).isoformat(), capacity_min=0, facilitator_ids=["fac-x"])
    listing = html(world.client.get("/decisions", headers=noord))
    assert "Besluit nodig" in listing and f"/sessions/{low['id']}/decision" in listing
    assert f"/sessions/{other['id']}/decision" not in listing  # no minimum: nothing to decide
    detail = html(world.client.get(f"/sessions/{low['id']}", headers=noord))
    assert "Besluit nemen" in detail
    # A cancel without a reason: the error at the field, nothing decided.
    r = world.client.post(f"/sessions/{low['id']}/decision", data={"decision": "cancel"}, headers=noord)
    assert r.status_code == 422 and "reden" in field_error(html(r), "reason").lower()
    assert world.events("SessionDecisionRecorded") == []
    r = world.client.post(f"/sessions/{low['id']}/decision", data={"decision": "merge"}, headers=noord)
    assert r.status_code == 422 and "Kies de sessie" in field_error(html(r), "merge_into_session_id")
    r = world.client.post(f"/sessions/{low['id']}/decision",
                          data={"decision": "merge", "merge_into_session_id": other["id"]}, headers=noord)
    assert r.status_code == 303 and other["id"] in r.headers["Location"]
    [recorded] = world.events("SessionDecisionRecorded")
    assert recorded["data"]["decided_by"] == "coord-noord" and recorded["data"]["decision"] == "merge"
    assert low["id"] not in html(world.client.get("/decisions", headers=noord))


def test_the_session_page_shows_the_decision_for_its_date(world: World) -> None:
    pid = world.programme()
    noord = world.coordinator("Noord", sub="coord-noord")
    low = world.schedule(pid, starts_at=future(3).isoformat(), capacity_min=4)
    assert "beslis of de sessie doorgaat" in html(world.client.get(f"/sessions/{low['id']}", headers=noord))
    r = world.client.post(f"/sessions/{low['id']}/decision", data={"decision": "go"}, headers=noord)
    assert r.status_code == 303
    page = html(world.client.get(f"/sessions/{low['id']}", headers=noord))
    assert "Besluit voor deze datum" in page and "coord-noord" in page
    assert "beslis of de sessie doorgaat" not in page and "Besluit nemen" not in page


def test_the_decision_form_offers_only_fitting_sessions_and_says_why_in_dutch(world: World) -> None:
    pid = world.programme()
    noord = world.coordinator("Noord", "Zuid", sub="coord-noord")
    low = world.schedule(pid, starts_at=future(4).isoformat(), capacity_min=4)
    fitting = world.schedule(pid, starts_at=future(5).isoformat(), capacity_min=0, capacity_max=1,
                             facilitator_ids=["fac-f"])
    c = world.company(pid, "Noord", delegates=2)
    world.register(fitting["id"], c.people[0])
    zuid = world.schedule(pid, region="Zuid", starts_at=future(5).isoformat(), facilitator_ids=["fac-z"])
    other_type = world.schedule(pid, type="intervision", starts_at=future(6).isoformat(), capacity_min=4,
                                capacity_max=8, facilitator_ids=["fac-i"])
    alone = html(world.client.get(f"/sessions/{other_type['id']}/decision", headers=noord))
    assert "geen komende sessie van hetzelfde programma, dezelfde soort en dezelfde regio" in alone
    form = html(world.client.get(f"/sessions/{low['id']}/decision", headers=noord))
    assert fitting["id"] in form and "vol: wachtlijst" in form  # its one place is taken: the waiting list
    assert zuid["id"] not in form and other_type["id"] not in form
    # Another region sent anyway (an old form, a crafted request): the reason at the field, in Dutch; nothing done.
    r = world.client.post(f"/sessions/{low['id']}/decision",
                          data={"decision": "merge", "merge_into_session_id": zuid["id"]}, headers=noord)
    assert r.status_code == 422 and "andere regio" in field_error(html(r), "merge_into_session_id")
    assert world.events("SessionDecisionRecorded") == []
    c2 = world.company(pid, "Noord", delegates=1)
    world.register(low["id"], c2.people[0])
    r = world.client.post(f"/sessions/{low['id']}/decision",
                          data={"decision": "merge", "merge_into_session_id": fitting["id"]}, headers=noord)
    assert r.status_code == 303
    detail = html(world.client.get(r.headers["Location"], headers=noord))
    assert "1 deelnemer overgezet, van wie 1 op de wachtlijst" in detail
    # Decided: a second try says so in Dutch on the session's page.
    r = world.client.post(f"/sessions/{low['id']}/decision", data={"decision": "go"}, headers=noord)
    assert r.status_code == 303
    assert "geannuleerd of al gehouden" in html(world.client.get(r.headers["Location"], headers=noord))


def _edit_form(s: dict[str, Any], **overrides: str) -> dict[str, str]:
    """The edit form as the page fills it for this session (every field sent), with some changed."""
    start = datetime.fromisoformat(s["starts_at"]).astimezone(AMSTERDAM)
    form = {"starts_on": start.date().isoformat(), "start_time": f"{start:%H:%M}", "format": s["format"],
            "online_url": s["online_url"] or "", "venue_address": s["venue_address"] or "",
            "duration_minutes": str(s["duration_minutes"]), "capacity_min": str(s["capacity_min"]),
            "capacity_max": str(s["capacity_max"]), "working_method": s["working_method"] or "",
            "facilitator_ids": ", ".join(s["facilitator_ids"]), "sequence_number": str(s["sequence_number"])}
    form.update(overrides)
    return form


def test_the_series_page_changes_one_occurrence_or_the_coming_ones(world: World) -> None:
    pid = world.programme()
    sessions = _series(world, pid)
    noord = world.coordinator("Noord")
    page = html(world.client.get(f"/sessions/series/{sessions[0]['series_id']}", headers=noord))
    # The coming ones together: the first of them with "this and following" chosen; and per occurrence.
    assert f"/sessions/{sessions[0]['id']}/edit?scope=this_and_following" in page
    assert f"/sessions/{sessions[0]['id']}/cancel?scope=this_and_following" in page
    assert "Komende sessies verplaatsen" in page and "3 komende sessies" in page
    for s in sessions:
        assert f'href="/sessions/{s["id"]}/edit"' in page and f'href="/sessions/{s["id"]}/cancel"' in page
    form = html(world.client.get(f"/sessions/{sessions[1]['id']}/edit?scope=this_and_following", headers=noord))
    assert re.search(r'id="scope-this_and_following"[^>]*checked', form) and "nr. 2 en later" in form
    # Number 3 was moved to 15:00 on its own; then number 2 "and the following" get 10 places from the form,
    # which sends every field: number 3 keeps its own time, each keeps its own number.
    third = datetime.fromisoformat(sessions[2]["starts_at"]).astimezone(AMSTERDAM).replace(hour=15)
    assert world.client.post(f"/api/v1/sessions/{sessions[2]['id']}/rescheduling",
                             json={"starts_at": third.isoformat()}, headers=noord).status_code == 200
    r = world.client.post(f"/sessions/{sessions[1]['id']}/edit",
                          data={**_edit_form(sessions[1], capacity_max="10"), "scope": "this_and_following"},
                          headers=noord)
    assert r.status_code == 303, html(r)
    assert r.headers["Location"].endswith(f"/sessions/series/{sessions[0]['series_id']}")
    after = [world.client.get(f"/api/v1/sessions/{s['id']}", headers=world.admin).get_json() for s in sessions]
    assert [a["capacity_max"] for a in after] == [8, 10, 10]
    assert [a["sequence_number"] for a in after] == [1, 2, 3]
    assert datetime.fromisoformat(after[2]["starts_at"]).astimezone(AMSTERDAM) == third
    series_page = html(world.client.get(r.headers["Location"], headers=noord))
    assert "alle volgende sessies van de reeks" in series_page
    assert "verschilt per sessie" in series_page  # the time: number 3 is at 15:00, the others at 14:00
    # A facilitator sees the series, not the buttons that change it.
    seen = html(world.client.get(f"/sessions/series/{sessions[0]['series_id']}", headers=world.facilitator("fac-a")))
    assert "Komende sessies verplaatsen" not in seen and "/edit" not in seen
