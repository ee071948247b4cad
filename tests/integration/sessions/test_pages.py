"""Sessions' pages through the Flask test client: each role's pages render, forms change state or show the
errors at their fields with nothing changed, and the access rules are the API's."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from services.common.signed_links import sign
from services.sessions.service import utc_now
from tests.integration.sessions.world import World, future
from tests.support import bearer

pytestmark = pytest.mark.integration
AMS = ZoneInfo("Europe/Amsterdam")


def html(r: Any) -> str:
    return str(r.get_data(as_text=True))


def count_sessions(world: World) -> int:
    with psycopg.connect(world.settings.database_url) as conn:
        row = conn.execute("SELECT count(*) FROM sessions").fetchone()
    assert row is not None
    return int(row[0])


def form(pid: str, **overrides: str) -> dict[str, str]:
    start = future(days=20).astimezone(AMS)
    body = {"programme_id": pid, "type": "dialogue", "region": "Noord", "format": "regional_venue",
            "venue_address": "Stationsplein 1, Groningen", "starts_on": start.date().isoformat(),
            "start_time": "10:00", "duration_minutes": "150", "capacity_min": "10", "capacity_max": "12",
            "working_method": "Incidentmethode", "facilitator_ids": "fac-pages", "sequence_number": "1"}
    body.update(overrides)
    return body


def field_error(page: str, field: str) -> str:
    match = re.search(rf'id="field-{field}-error">(.*?)</div>', page, re.S)
    assert match, f"no error shown at {field}"
    return re.sub(r"<[^>]+>", "", match.group(1))


def started_session(world: World, pid: str, people: list[str], **overrides: Any) -> dict[str, Any]:
    """A session that began yesterday, with `people` registered before it began."""
    world.set_clock(utc_now() - timedelta(days=3))
    s = world.schedule(pid, starts_at=(utc_now() - timedelta(days=1)).isoformat(), **overrides)
    for person in people:
        assert world.register(s["id"], person).status_code == 201
    world.set_clock(utc_now() + timedelta(seconds=1))
    return s


def test_every_page_renders_for_its_roles(world: World) -> None:
    pid = world.programme()
    company = world.company(pid, "Noord", delegates=2)
    s = world.schedule(pid, facilitator_ids=["fac-1"])
    world.register(s["id"], company.people[0])
    noord = world.coordinator("Noord")
    for path in ("/calendar", "/calendar?view=month", f"/calendar?view=week&date={s['starts_at'][:10]}",
                 "/sessions", "/sessions?type=dialogue&status=planned", "/sessions/new", f"/sessions/{s['id']}",
                 f"/sessions/{s['id']}/edit", f"/sessions/{s['id']}/cancel", f"/sessions/{s['id']}/evaluations",
                 "/evaluations", "/alerts"):
        r = world.client.get(path, headers=noord)
        assert r.status_code == 200, (path, r.status_code)
        assert r.mimetype == "text/html" and 'lang="nl"' in html(r) and "Hoofdmenu" in html(r)
    month = html(world.client.get(f"/calendar?view=month&date={s['starts_at'][:10]}", headers=noord))
    assert f"/sessions/{s['id']}" in month  # the session sits in its day
    assert "Dialoogsessie" in html(world.client.get("/sessions", headers=noord))
    admin = world.admin
    assert world.client.get("/calendar?region=Zuid", headers=admin).status_code == 200
    facilitator = world.facilitator("fac-1")
    for path in ("/my-sessions", f"/sessions/{s['id']}"):
        assert world.client.get(path, headers=facilitator).status_code == 200, path
    assert f"/sessions/{s['id']}" in html(world.client.get("/my-sessions", headers=facilitator))
    # English through the language switch cookie.
    world.client.set_cookie("lang", "en")
    assert "Session calendar" in html(world.client.get("/calendar", headers=noord))


def test_empty_states_say_what_to_do_next(world: World) -> None:
    world.programme()
    noord = world.coordinator("Noord")
    assert "Plan de eerste sessie" in html(world.client.get("/sessions", headers=noord))
    assert "Nog geen evaluaties" in html(world.client.get("/evaluations", headers=noord))
    assert "Geen komende sessies" in html(world.client.get("/my-sessions", headers=world.facilitator("nobody")))


def test_scheduling_shows_the_rules_errors_at_the_fields_and_changes_nothing(world: World) -> None:
    pid = world.programme()
    noord = world.coordinator("Noord")
    before = count_sessions(world)
    r = world.client.post("/sessions/new", data=form(pid, duration_minutes="300", capacity_min="13",
                                                     venue_address=""), headers=noord)
    assert r.status_code == 422
    page = html(r)
    assert "De duur moet tussen 60 en 210 minuten liggen" in field_error(page, "duration_minutes")
    assert "niet groter zijn dan het maximum" in field_error(page, "capacity_min")
    assert "adres" in field_error(page, "venue_address")
    assert 'aria-invalid="true"' in page and 'href="#field-duration_minutes"' in page
    assert 'value="300"' in page  # what was typed stays
    r = world.client.post("/sessions/new", data=form(pid, starts_on="", start_time="25:00"), headers=noord)
    page = html(r)
    assert r.status_code == 422 and "Kies een datum" in field_error(page, "starts_on")
    assert "uu:mm" in field_error(page, "start_time")
    r = world.client.post("/sessions/new", data=form(pid, format="online", online_url="",
                                                     facilitator_ids="only-one"), headers=noord)
    page = html(r)
    assert r.status_code == 422 and "link" in field_error(page, "online_url")
    assert "minstens 2" in field_error(page, "facilitator_ids")
    yesterday = (datetime.now(AMS) - timedelta(days=1)).date().isoformat()
    page = html(world.client.post("/sessions/new", data=form(pid, starts_on=yesterday), headers=noord))
    assert "toekomst" in field_error(page, "starts_on")
    assert count_sessions(world) == before

    r = world.client.post("/sessions/new", data=form(pid), headers=noord)
    assert r.status_code == 303 and "/sessions/" in r.headers["Location"]
    assert count_sessions(world) == before + 1
    detail = html(world.client.get(r.headers["Location"], headers=noord))
    assert "De sessie is gepland" in detail and "Stationsplein 1, Groningen" in detail
    # The same facilitator at an overlapping time: the clash shows at the facilitators field.
    clash = world.client.post("/sessions/new", data=form(pid, start_time="11:00"), headers=noord)
    assert clash.status_code == 409 and "andere sessie" in field_error(html(clash), "facilitator_ids")


def test_reschedule_and_cancel_through_the_forms(world: World) -> None:
    pid = world.programme()
    company = world.company(pid, "Noord", delegates=2)
    s = world.schedule(pid, capacity_min=1, capacity_max=4)
    for person in company.people:
        world.register(s["id"], person)
    noord = world.coordinator("Noord")
    values = form(pid, capacity_min="1", capacity_max="1")
    r = world.client.post(f"/sessions/{s['id']}/edit", data=values, headers=noord)
    assert r.status_code == 422 and "2 mensen aangemeld" in field_error(html(r), "capacity_max")
    r = world.client.post(f"/sessions/{s['id']}/edit", data=form(pid, capacity_min="1", capacity_max="6",
                                                                 venue_address="Markt 3, Assen"), headers=noord)
    assert r.status_code == 303
    got = world.client.get(f"/api/v1/sessions/{s['id']}", headers=noord).get_json()
    assert got["capacity_max"] == 6 and got["venue_address"] == "Markt 3, Assen"

    r = world.client.post(f"/sessions/{s['id']}/cancel", data={"reason": "  "}, headers=noord)
    assert r.status_code == 422 and "reden" in field_error(html(r), "reason")
    assert world.client.get(f"/api/v1/sessions/{s['id']}", headers=noord).get_json()["status"] == "planned"
    r = world.client.post(f"/sessions/{s['id']}/cancel", data={"reason": "Te weinig aanmeldingen"}, headers=noord)
    assert r.status_code == 303
    assert world.client.get(f"/api/v1/sessions/{s['id']}", headers=noord).get_json()["status"] == "cancelled"
    assert "Te weinig aanmeldingen" in html(world.client.get(f"/sessions/{s['id']}", headers=noord))


def test_invitations_registrations_and_the_waiting_list_on_the_session_page(world: World) -> None:
    pid = world.programme()
    company = world.company(pid, "Noord", delegates=3)
    s = world.schedule(pid, capacity_min=1, capacity_max=1, starts_at=future(days=3).isoformat())
    noord = world.coordinator("Noord")
    page = html(world.client.get(f"/sessions/{s['id']}", headers=noord))
    assert "Onder het minimum" in page and "beslis of de sessie doorgaat" in page  # within 7 days
    assert "Bevestigen" in page and "Annuleren" in page  # go / no-go through the real use cases
    r = world.client.post(f"/sessions/{s['id']}/invitations", headers=noord)
    assert r.status_code == 303
    assert len(world.events("ParticipantInvited")) == 3
    for person in company.people[:2]:
        assert world.client.post(f"/sessions/{s['id']}/registrations", data={"person_id": person},
                                 headers=noord).status_code == 303
    page = html(world.client.get(f"/sessions/{s['id']}", headers=noord))
    waitlist = page[page.index('id="waitlist"'):]
    assert "Wachtlijst</h2>" not in waitlist and "(1)" in waitlist[:80]
    assert company.people[1][:8] in waitlist.split("</table>")[0]
    # Cancelling the registered person moves the waiting one up.
    reg = world.client.get(f"/api/v1/sessions/{s['id']}/registrations?status=registered",
                           headers=noord).get_json()["items"][0]
    assert world.client.post(f"/registrations/{reg['id']}/cancel", headers=noord).status_code == 303
    assert len(world.events("WaitlistPromoted")) == 1
    # A flash tells about a refusal (already registered) instead of an error page.
    r = world.client.post(f"/sessions/{s['id']}/registrations", data={"person_id": company.people[1]},
                          headers=noord, follow_redirects=True)
    assert "Dit kan nu niet" in html(r)


def test_attendance_sheet_records_every_person_in_one_submit(world: World) -> None:
    pid = world.programme()
    company = world.company(pid, "Noord", delegates=3)
    s = started_session(world, pid, company.people, facilitator_ids=["fac-sheet"])
    facilitator = world.facilitator("fac-sheet")
    page = html(world.client.get(f"/sessions/{s['id']}/attendance", headers=facilitator))
    regs = re.findall(r'name="attendance-([0-9a-f-]{36})" value="attended"', page)
    assert len(regs) == 3 and "Laat afgemeld" in page
    r = world.client.post(f"/sessions/{s['id']}/attendance", data={f"attendance-{regs[0]}": "maybe"},
                          headers=facilitator)
    assert r.status_code == 422 and not world.events("AttendanceRecorded")
    data = {f"attendance-{regs[0]}": "attended", f"attendance-{regs[1]}": "no_show",
            f"attendance-{regs[2]}": "excused"}
    r = world.client.post(f"/sessions/{s['id']}/attendance", data=data, headers=facilitator)
    assert r.status_code == 303
    recorded = {e["data"]["registration_id"]: e["data"]["attendance"] for e in world.events("AttendanceRecorded")}
    assert recorded == {regs[0]: "attended", regs[1]: "no_show", regs[2]: "excused"}
    again = html(world.client.get(f"/sessions/{s['id']}/attendance", headers=facilitator))
    assert f'id="att-{regs[1]}-no_show" name="attendance-{regs[1]}" value="no_show" checked' in again
    # Another facilitator does not see this sheet (as the API: 404).
    assert world.client.get(f"/sessions/{s['id']}/attendance",
                            headers=world.facilitator("fac-other")).status_code == 404


def test_evaluation_averages_stay_hidden_below_the_minimum_group(world: World) -> None:
    pid = world.programme()
    company = world.company(pid, "Noord", delegates=3)
    s = started_session(world, pid, company.people)
    regs = world.client.get(f"/api/v1/sessions/{s['id']}/registrations", headers=world.admin).get_json()["items"]
    world.client.post(f"/api/v1/sessions/{s['id']}/attendance", headers=world.admin, json={
        "records": [{"registration_id": r["id"], "attendance": "attended"} for r in regs]})
    noord = world.coordinator("Noord")
    for n, (person, score) in enumerate(zip(company.people, (7, 8, 9), strict=True)):
        world.client.post(f"/api/v1/sessions/{s['id']}/evaluations", headers=world.admin,
                          json={"person_id": person, "score": score, "comment": f"opmerking {n}"})
        overview = html(world.client.get("/evaluations", headers=noord))
        session_page = html(world.client.get(f"/sessions/{s['id']}/evaluations", headers=noord))
        if n < 2:
            assert "verborgen" in overview and ">8,0<" not in overview and "opmerking 0" not in session_page
        else:
            assert ">8,0<" in overview and "opmerking 0" in session_page


def test_alerts_list_sessions_below_minimum_and_repeated_no_shows(world: World) -> None:
    pid = world.programme()
    company = world.company(pid, "Noord", delegates=1)
    soon = world.schedule(pid, starts_at=future(days=2).isoformat(), capacity_min=5)
    later = world.schedule(pid, starts_at=future(days=40).isoformat(), capacity_min=5)
    person = company.people[0]
    for _ in range(2):
        s = started_session(world, pid, [person])
        reg = world.client.get(f"/api/v1/sessions/{s['id']}/registrations", headers=world.admin).get_json()
        world.client.post(f"/api/v1/sessions/{s['id']}/attendance", headers=world.admin, json={
            "records": [{"registration_id": reg["items"][0]["id"], "attendance": "no_show"}]})
    page = html(world.client.get("/alerts", headers=world.coordinator("Noord")))
    assert f"/sessions/{soon['id']}" in page and f"/sessions/{later['id']}" not in page
    assert person[:8] in page
    assert person[:8] not in html(world.client.get("/alerts", headers=world.coordinator("Zuid")))


def test_access_rules_are_the_apis(world: World) -> None:
    pid = world.programme()
    s = world.schedule(pid, facilitator_ids=["fac-own"])
    zuid = world.coordinator("Zuid")
    for path in (f"/sessions/{s['id']}", f"/sessions/{s['id']}/edit", f"/sessions/{s['id']}/cancel",
                 f"/sessions/{s['id']}/attendance", f"/sessions/{s['id']}/evaluations"):
        assert world.client.get(path, headers=zuid).status_code == 404, path
    assert world.client.post(f"/sessions/{s['id']}/cancel", data={"reason": "x"}, headers=zuid).status_code == 404
    assert world.client.post(f"/sessions/{s['id']}/invitations", headers=zuid).status_code == 404
    for path in ("/calendar?region=Noord", "/sessions?region=Noord", "/evaluations?region=Noord",
                 "/alerts?region=Noord"):
        assert world.client.get(path, headers=zuid).status_code == 403, path
    # A new session in another region: refused and nothing made.
    before = count_sessions(world)
    assert world.client.post("/sessions/new", data=form(pid), headers=zuid).status_code == 403
    assert count_sessions(world) == before
    assert f"/sessions/{s['id']}" not in html(world.client.get("/calendar?view=month", headers=zuid))
    other = world.facilitator("fac-other")
    assert world.client.get(f"/sessions/{s['id']}", headers=other).status_code == 404
    assert f"/sessions/{s['id']}" not in html(world.client.get("/my-sessions", headers=other))
    for path in ("/calendar", "/sessions", "/sessions/new", "/evaluations", "/alerts"):
        assert world.client.get(path, headers=other).status_code == 403, path
    reporting = bearer(world.settings, "reporting_consumer")
    assert world.client.get("/sessions", headers=reporting).status_code == 403
    assert world.client.get("/my-sessions", headers=world.coordinator("Noord")).status_code == 403
    anonymous = world.client.get("/calendar")
    assert anonymous.status_code == 302 and "/auth/login?next=" in anonymous.headers["Location"]


def test_participant_link_pages_use_the_layout_without_menu_and_offer_the_calendar(world: World) -> None:
    pid = world.programme()
    company = world.company(pid, "Noord", delegates=1)
    person = company.people[0]
    s = world.schedule(pid)
    token = sign(world.settings.link_secret, "confirm", {"session_id": s["id"], "person_id": person}, 3600)
    page = html(world.client.get(f"/api/v1/links/confirm?token={token}"))
    assert "utrecht-theme" in page and "Hoofdmenu" not in page and "Afmelden / Sign out" not in page
    assert 'name="viewport"' in page and "Ik kom / I will attend" in page
    feed = re.search(r'href="([^"]*/participant/calendar\.ics\?token=[^"]+)"', page)
    assert feed is not None
    done = world.client.post(f"/api/v1/links/confirm?token={token}", data={})
    assert done.status_code == 200 and "U bent aangemeld" in html(done) and "calendar.ics" in html(done)
    ics = world.client.get(feed.group(1).replace("&amp;", "&"))
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert f"{s['id']}@progadmin" in ics.get_data(as_text=True)
    assert world.client.get("/participant/calendar.ics?token=forged.token").status_code == 403
    evaluate = sign(world.settings.link_secret, "evaluate", {"session_id": s["id"], "person_id": person}, 3600)
    page = html(world.client.get(f"/api/v1/links/evaluate?token={evaluate}"))
    assert page.count('type="radio" id="score-') == 10 and 'for="field-comment"' in page
