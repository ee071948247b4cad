"""Sessions' pages on the real stack, signed in through Keycloak: a coordinator schedules (a wrong input first
shows its field error), sees the waiting list and records attendance on a tablet; a participant confirms,
cancels and evaluates through the links from their mail on a phone; other regions and other facilitators'
sessions stay closed. Screenshots land in tests/browser/artifacts/sessions-*.png."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from services.common.signed_links import sign
from tests.browser.live import Live, sign_in
from tests.browser.support import check_accessibility, snap
from tests.support import wait_until

pytestmark = pytest.mark.e2e
AMS = ZoneInfo("Europe/Amsterdam")
BEGELEIDER = "0b6a3c4e-0000-4000-8000-000000000005"  # the demo facilitator's Keycloak user id


def ok(answer: tuple[int, Any], status: int = 200) -> Any:
    code, body = answer
    assert code in (status, 201, 200), (code, body)
    return body


def programme_with_people(live: Live, people: int, **rules: int) -> tuple[str, list[dict[str, str]]]:
    """An open programme in Noord with one admitted company and `people` delegates (through enrolment's API)."""
    admin = live.dev_token("fund_admin")
    tag = uuid.uuid4().hex[:6]
    programme = ok(live.api("enrolment", "/programmes", admin, {
        "name": f"Vanzelfsprekend {tag}", "regions": ["Noord", "Zuid"], "max_delegates_per_company": 8,
        "planned_sessions": {"dialogue": 9, "intervision": 6},
        "session_rules": {"min_duration_minutes": 60, "max_duration_minutes": 210, **rules}}))
    ok(live.api("enrolment", f"/programmes/{programme['id']}/opening", admin, {}))
    company = ok(live.api("enrolment", "/companies", admin, {
        "name": f"Bouwbedrijf {tag}", "kvk_number": f"{random.randint(10_000_000, 99_999_999)}", "region": "Noord",
        "directors": [{"name": "Els Bakker", "email": f"els-{tag}@example.nl", "language": "nl"}]}))
    enrolment = ok(live.api("enrolment", "/enrolments", admin, {"company_id": company["id"],
                                                                 "programme_id": programme["id"]}))
    intake = ok(live.api("enrolment", f"/enrolments/{enrolment['id']}/intakes", admin, {
        "scheduled_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(), "location": "Groningen"}))
    ok(live.api("enrolment", f"/enrolments/{enrolment['id']}/intakes/{intake['id']}/outcome", admin, {
        "held_on": date.today().isoformat(), "interviewee_role": "director", "interviewer": "Projectleider",
        "commitments": {"director_attends_kickoff_and_closing": True, "staff_time_released": True,
                        "managers_delegated": True, "internal_follow_up_owner": True}, "assessed_level": 4}))
    ok(live.api("enrolment", f"/enrolments/{enrolment['id']}/admission", admin, {}))
    delegates = []
    for n in range(people):
        email = f"deelnemer{n}-{tag}@example.nl"
        d = ok(live.api("enrolment", f"/enrolments/{enrolment['id']}/delegates", admin, {
            "name": f"Deelnemer {n} {tag}", "email": email, "job_level": "manager"}))
        delegates.append({"person_id": str(d.get("person_id") or d.get("id")), "email": email})
    coordinator = live.dev_token("coordinator", regions=["Noord"])
    wanted = {d["person_id"] for d in delegates}

    def known() -> bool:
        items = ok(live.api("sessions", f"/delegates?programme_id={programme['id']}&region=Noord&page_size=100",
                            coordinator))["items"]
        return wanted <= {i["person_id"] for i in items if i["eligible"]}

    wait_until(known, 60, interval=0.5, what="sessions to know the delegates")
    return str(programme["id"]), delegates


def schedule(live: Live, programme_id: str, starts_at: datetime, **overrides: Any) -> dict[str, Any]:
    body = {"programme_id": programme_id, "type": "dialogue", "region": "Noord", "format": "regional_venue",
            "venue_address": "Stationsplein 1, Groningen", "starts_at": starts_at.isoformat(),
            "duration_minutes": 150, "capacity_min": 2, "capacity_max": 12,
            "facilitator_ids": [f"fac-{uuid.uuid4().hex[:8]}"], **overrides}
    return dict(ok(live.api("sessions", "/sessions", live.dev_token("coordinator", regions=["Noord"]), body)))


def some_day(days_from: int = 30, days_to: int = 300) -> datetime:
    """A whole hour on a day of its own, so tests sharing the stack never clash on a facilitator."""
    day = datetime.now(AMS).date() + timedelta(days=random.randint(days_from, days_to))
    return datetime(day.year, day.month, day.day, random.randint(8, 15), 0, tzinfo=AMS)


def patient(page: Page) -> Page:
    """The machine is shared (2 cores, several stacks): the first Keycloak page can take more than 10 s."""
    page.set_default_timeout(30_000)
    return page


def visit(page: Page, url: str, name: str, status: int = 200) -> None:
    response = page.goto(url)
    assert response is not None and response.status == status, (url, response and response.status)
    check_accessibility(page, name)


def test_a_coordinator_schedules_sees_the_waiting_list_and_records_attendance_on_a_tablet(
        live: Live, new_page: Callable[[str], Page]) -> None:
    programme_id, people = programme_with_people(live, 3)
    coordinator = live.dev_token("coordinator", regions=["Noord"])
    # A session that starts in a moment, for the attendance sheet (registrations close at the start).
    # Its facilitators are made up: the demo facilitator must stay free today for the demo programme's test.
    soon = schedule(live, programme_id, datetime.now(UTC) + timedelta(seconds=45), capacity_min=1)
    for person in people:
        ok(live.api("sessions", f"/sessions/{soon['id']}/registrations", coordinator,
                    {"person_id": person["person_id"]}), 201)

    page = patient(new_page("desktop"))
    base = f"{live.origin}/sessions"
    sign_in(page, live, "coordinator-noord", "/sessions/sessions/new")
    page.goto(f"{base}/sessions/new")
    check_accessibility(page, "schedule form")
    start = some_day()
    page.get_by_label("Programma").select_option(programme_id)
    page.get_by_label("Soort sessie").select_option("dialogue")
    page.get_by_label("Regio").select_option("Noord")
    page.get_by_label("Vorm", exact=True).select_option("regional_venue")
    page.get_by_label("Adres van de locatie").fill("Stationsplein 1, Groningen")
    page.get_by_label("Datum").fill(start.date().isoformat())
    page.get_by_label("Begintijd").fill(f"{start:%H:%M}")
    page.get_by_label("Duur in minuten").fill("300")  # 5 hours: above the programme's 3.5 hours
    page.get_by_label("Minimum aantal deelnemers").fill("2")
    page.get_by_label("Maximum aantal deelnemers").fill("2")
    page.get_by_label("Begeleiders").fill(f"fac-{uuid.uuid4().hex[:8]}")
    page.get_by_role("button", name="Sessie plannen").click()
    duration = page.get_by_label("Duur in minuten")
    expect(duration).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-duration_minutes-error")).to_contain_text("tussen 60 en 210 minuten")
    expect(page.locator("#error-summary")).to_be_focused()
    snap(page, "sessions-schedule-field-error")
    check_accessibility(page, "schedule form with an error")
    duration.fill("150")
    page.get_by_role("button", name="Sessie plannen").click()
    page.wait_for_url(re.compile(r".*/sessions/sessions/[0-9a-f-]{36}$"))
    expect(page.get_by_text("De sessie is gepland")).to_be_visible()
    session_url = page.url

    # Invite the region, then register all three on their behalf: two places, one on the waiting list.
    page.get_by_role("button", name="Deelnemers uitnodigen").click()
    expect(page.get_by_text("3 deelnemers uitgenodigd")).to_be_visible()
    for _ in range(3):
        page.get_by_label("Deelnemer", exact=True).select_option(index=1)
        page.get_by_role("button", name="Aanmelden", exact=True).click()
        page.wait_for_load_state()
    expect(page.get_by_text("staat op plaats 1 van de wachtlijst")).to_be_visible()
    waiting = page.get_by_role("region", name="Wachtlijst, op volgorde")
    expect(waiting.get_by_role("row")).to_have_count(2)  # header + one waiting
    snap(page, "sessions-session-page")
    check_accessibility(page, "session page")

    visit(page, f"{base}/calendar?view=month&date={start.date().isoformat()}", "calendar month")
    expect(page.locator(f"a[href$='{session_url.rsplit('/', 1)[1]}']")).to_be_visible()
    snap(page, "sessions-calendar-month")
    visit(page, f"{base}/calendar?view=week&date={start.date().isoformat()}", "calendar week")
    snap(page, "sessions-calendar-week")
    visit(page, f"{base}/sessions", "sessions list")
    snap(page, "sessions-list")
    visit(page, f"{base}/alerts", "alerts")
    visit(page, f"{base}/evaluations", "evaluations")

    # The attendance sheet on a tablet, once the session has begun.
    wait_until(lambda: datetime.now(UTC) > datetime.fromisoformat(soon["starts_at"]) + timedelta(seconds=1), 90,
               interval=1, what="the session to begin")
    tablet = patient(new_page("tablet"))
    sign_in(tablet, live, "coordinator-noord", f"/sessions/sessions/{soon['id']}/attendance")
    visit(tablet, f"{base}/sessions/{soon['id']}/attendance", "attendance sheet")
    sheets = tablet.locator("fieldset.ps-person")
    expect(sheets).to_have_count(3)
    for n, choice in enumerate(("Aanwezig", "Niet verschenen", "Laat afgemeld")):
        target = sheets.nth(n).get_by_text(choice, exact=True)
        box = target.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44  # a finger's target
        target.tap()
    snap(tablet, "sessions-attendance-tablet")
    tablet.get_by_role("button", name="Presentie opslaan").tap()
    expect(tablet.get_by_text("Presentie opgeslagen voor 3 deelnemers")).to_be_visible()
    regs = ok(live.api("sessions", f"/sessions/{soon['id']}/registrations?status=registered", coordinator))
    assert sorted(r["attendance"] for r in regs["items"]) == ["attended", "excused", "no_show"]
    snap(tablet, "sessions-session-after-attendance-tablet")


def test_a_participant_confirms_cancels_and_evaluates_through_links_on_a_phone(live: Live, phone_page: Page) -> None:
    programme_id, people = programme_with_people(live, 2, min_duration_minutes=1)
    coordinator = live.dev_token("coordinator", regions=["Noord"])
    anna, bert = people
    later = schedule(live, programme_id, some_day())
    ok(live.api("sessions", f"/sessions/{later['id']}/invitations", coordinator, {"person_ids": [anna["person_id"]]}),
       201)

    def link(action: str) -> str:
        for mail in live.mails(anna["email"]):
            text = str(mail.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
            found = re.search(rf"(https?://\S+/api/v1/links/{action}\?token=\S+)", text)
            if found:
                return found.group(1)
        return ""

    confirm = wait_until(lambda: link("confirm"), 90, interval=0.5, what="the invitation mail")
    cancel = link("cancel")
    page = patient(phone_page)
    visit(page, confirm, "confirm link")
    expect(page.get_by_role("navigation", name="Hoofdmenu")).to_have_count(0)  # no account, no menu
    expect(page.get_by_text("Stationsplein 1, Groningen").first).to_be_visible()
    snap(page, "sessions-participant-confirm-phone")
    page.get_by_role("button", name="Ik kom / I will attend").tap()
    expect(page.get_by_role("heading", name="U bent aangemeld")).to_be_visible()
    feed = page.get_by_role("link", name=re.compile("Mijn sessies in mijn agenda"))
    expect(feed).to_be_visible()
    check_accessibility(page, "confirmed")
    snap(page, "sessions-participant-confirmed-phone")
    ics = page.request.get(live.origin + str(feed.get_attribute("href")))
    assert ics.ok and later["id"] in ics.text()

    visit(page, cancel, "cancel link")
    page.get_by_role("button", name="Ik zeg af / I cannot attend").tap()
    expect(page.get_by_role("heading", name="U heeft afgezegd")).to_be_visible()
    snap(page, "sessions-participant-cancelled-phone")
    regs = ok(live.api("sessions", f"/sessions/{later['id']}/registrations", coordinator))["items"]
    assert [r["status"] for r in regs] == ["cancelled"]

    # Evaluate a session that took place: a one-minute session, attended, then the evaluation link.
    short = schedule(live, programme_id, datetime.now(UTC) + timedelta(seconds=20), duration_minutes=1,
                     capacity_min=1)
    reg = ok(live.api("sessions", f"/sessions/{short['id']}/registrations", coordinator,
                      {"person_id": bert["person_id"]}), 201)
    wait_until(lambda: datetime.now(UTC) > datetime.fromisoformat(short["ends_at"]) + timedelta(seconds=1), 120,
               interval=1, what="the short session to end")
    ok(live.api("sessions", f"/sessions/{short['id']}/attendance", coordinator,
                {"records": [{"registration_id": reg["id"], "attendance": "attended"}]}))
    secret = live.settings("notifications").link_secret
    token = sign(secret, "evaluate", {"session_id": short["id"], "person_id": bert["person_id"]}, 3600)
    visit(page, f"{live.origin}/sessions/api/v1/links/evaluate?token={token}", "evaluate link")
    page.locator("label[for='score-8']").tap()
    page.get_by_label(re.compile("Toelichting")).fill("Goed gesprek over veiligheid op de bouwplaats.")
    snap(page, "sessions-participant-evaluate-phone")
    page.get_by_role("button", name="Verstuur / Send").tap()
    expect(page.get_by_role("heading", name="Dank voor uw evaluatie")).to_be_visible()
    check_accessibility(page, "evaluated")
    summary = ok(live.api("sessions", f"/sessions/{short['id']}/evaluation-summary", coordinator))
    assert summary["count"] == 1 and summary["average"] is None  # one score stays hidden


def test_other_regions_and_other_facilitators_sessions_stay_closed(live: Live, new_page: Callable[[str], Page]) \
        -> None:
    programme_id, _ = programme_with_people(live, 1)
    # Beyond the demo programme's own dates for this facilitator (today, 2 and 5 weeks ahead): no clash.
    own = schedule(live, programme_id, some_day(60, 300), facilitator_ids=[BEGELEIDER])
    other = schedule(live, programme_id, some_day())
    base = f"{live.origin}/sessions"

    zuid = patient(new_page("desktop"))
    sign_in(zuid, live, "coordinator-zuid", "/sessions/calendar")
    for path in (f"/sessions/{own['id']}", f"/sessions/{own['id']}/edit", f"/sessions/{own['id']}/attendance"):
        visit(zuid, base + path, f"zuid {path}", 404)
    expect(zuid.get_by_role("heading", name="Pagina niet gevonden")).to_be_visible()
    snap(zuid, "sessions-other-region-404")
    visit(zuid, f"{base}/calendar?region=Noord", "zuid calendar of Noord", 403)

    begeleider = patient(new_page("desktop"))
    sign_in(begeleider, live, "begeleider", "/sessions/my-sessions")
    visit(begeleider, f"{base}/my-sessions", "my sessions")
    expect(begeleider.locator(f"a[href$='/sessions/{own['id']}']").first).to_be_visible()
    snap(begeleider, "sessions-my-sessions")
    visit(begeleider, f"{base}/sessions/{own['id']}", "own session")
    visit(begeleider, f"{base}/sessions/{other['id']}", "another's session", 404)
    visit(begeleider, f"{base}/calendar", "facilitator on the calendar", 403)
