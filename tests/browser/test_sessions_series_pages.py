"""Issue 15 on the real stack: a coordinator schedules a recurring series from one form (a wrong end time first
shows its field error, Dutch first), sees the series, and records a go/no-go decision on a phone; an expired
invitation link shows the common error page. From the series page on a phone it moves the coming sessions
together and cancels the last two. Screenshots: tests/browser/artifacts/sessions-series-*.png,
sessions-decision-*.png, sessions-link-expired-phone.png."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from services.common.signed_links import sign
from tests.browser.live import Live, sign_in
from tests.browser.support import check_accessibility, snap
from tests.browser.test_sessions_pages import ok, patient, programme_with_people, schedule, some_day, visit
from tests.support import wait_until

pytestmark = pytest.mark.e2e


def test_a_series_in_one_form_and_a_go_no_go_decision_on_a_phone(live: Live,
                                                                   new_page: Callable[[str], Page]) -> None:
    programme_id, people = programme_with_people(live, 1)
    base = f"{live.origin}/sessions"
    page = patient(new_page("desktop"))
    sign_in(page, live, "coordinator-noord", "/sessions/sessions/series/new")
    visit(page, f"{base}/sessions/series/new", "series form")
    first = some_day(60, 300).date()
    page.get_by_label("Programma").select_option(programme_id)
    page.get_by_label("Soort sessie").select_option("intervision")
    page.get_by_label("Regio").select_option("Noord")
    page.get_by_label("Eerste datum").fill(first.isoformat())
    page.get_by_label("Begintijd").fill("14:00")
    page.get_by_label("Eindtijd").fill("13:30")  # before the start: refused at the field
    page.get_by_label("Hoe vaak").select_option("2")
    page.get_by_label("Aantal keer").fill("4")
    page.get_by_label("Vorm", exact=True).select_option("regional_venue")
    page.get_by_label("Adres van de locatie").fill("Stationsplein 1, Groningen")
    page.get_by_label("Begeleiders").fill(f"fac-{uuid.uuid4().hex[:8]}")
    page.get_by_role("button", name="Reeks plannen").click()
    end = page.get_by_label("Eindtijd")
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-end_time-error")).to_contain_text("na de begintijd")
    expect(page.locator("#error-summary")).to_be_focused()
    snap(page, "sessions-series-field-error")
    check_accessibility(page, "series form with an error")
    end.fill("16:30")
    page.get_by_role("button", name="Reeks plannen").click()
    page.wait_for_url(re.compile(r".*/sessions/sessions/series/[0-9a-f-]{36}$"))
    expect(page.get_by_text("De reeks is gepland: 4 sessies")).to_be_visible()
    expect(page.get_by_role("row")).to_have_count(5)  # header + four occurrences
    snap(page, "sessions-series-page")
    check_accessibility(page, "series page")

    # The series form on a phone.
    phone = patient(new_page("phone"))
    sign_in(phone, live, "coordinator-noord", "/sessions/sessions/series/new")
    visit(phone, f"{base}/sessions/series/new", "series form on a phone")
    snap(phone, "sessions-series-form-phone")

    # The coming sessions together, on a phone: the series page offers it, the form has the choice made and
    # says what moves; afterwards the series page shows every occurrence one day later.
    series_url = page.url
    visit(phone, series_url, "series page on a phone")
    snap(phone, "sessions-series-page-phone")
    phone.get_by_role("link", name="Komende sessies verplaatsen").tap()
    expect(phone.get_by_label(re.compile("^Deze en alle volgende"))).to_be_checked()
    check_accessibility(phone, "moving the coming sessions")
    phone.get_by_label("Datum", exact=True).fill((first + timedelta(days=1)).isoformat())
    snap(phone, "sessions-series-move-rest-phone")
    phone.get_by_role("button", name="Wijziging opslaan").tap()
    phone.wait_for_url(series_url)
    expect(phone.get_by_text("voor deze en alle volgende sessies van de reeks")).to_be_visible()
    weekday = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"][
        (first.weekday() + 1) % 7]
    expect(phone.get_by_role("link", name=re.compile(f"^Nr\\. \\d · {weekday}"))).to_have_count(4)
    # Then from number 3 on: cancelled with a reason, numbers 1 and 2 stay.
    phone.get_by_role("link", name="Nr. 3 annuleren").tap()
    phone.get_by_label(re.compile("^Deze en alle volgende")).check()
    phone.get_by_role("button", name="Sessie annuleren").tap()
    expect(phone.locator("#field-reason-error")).to_be_visible()
    snap(phone, "sessions-series-cancel-rest-error-phone")
    expect(phone.get_by_label(re.compile("^Deze en alle volgende"))).to_be_checked()
    phone.get_by_label("Reden van annulering").fill("Begeleider met verlof")
    phone.get_by_role("button", name="Sessie annuleren").tap()
    phone.wait_for_url(series_url)
    expect(phone.get_by_text("Deze en alle volgende sessies van de reeks zijn geannuleerd")).to_be_visible()
    expect(phone.get_by_text("Geannuleerd", exact=True)).to_have_count(2)
    snap(phone, "sessions-series-after-phone")
    check_accessibility(phone, "series page after cancelling the rest")

    # Go/no-go: a session in four days with 0 of at least 3 registered needs a decision.
    low = schedule(live, programme_id, datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
                   + timedelta(days=4, hours=1), capacity_min=3)
    visit(phone, f"{base}/decisions", "decisions list")
    expect(phone.get_by_role("link", name="Besluit nemen").first).to_be_visible()
    snap(phone, "sessions-decisions-phone")
    visit(phone, f"{base}/sessions/{low['id']}/decision", "decision form")
    phone.get_by_label(re.compile("^Niet doorgaan")).check()
    phone.get_by_role("button", name="Besluit vastleggen").tap()
    expect(phone.locator("#field-reason-error")).to_contain_text("reden")
    snap(phone, "sessions-decision-error-phone")
    phone.get_by_label(re.compile("^Doorgaan")).check()
    phone.get_by_role("button", name="Besluit vastleggen").tap()
    expect(phone.get_by_text("Besluit vastgelegd: de sessie gaat door")).to_be_visible()
    expect(phone.get_by_text("Besluit voor deze datum")).to_be_visible()
    snap(phone, "sessions-decision-recorded-phone")
    check_accessibility(phone, "session after the decision")
    coordinator = live.dev_token("coordinator", regions=["Noord"])
    [decision] = ok(live.api("sessions", f"/sessions/{low['id']}/decisions", coordinator))["items"]
    assert decision["decision"] == "go" and decision["decided_by"]

    # Merge on a phone: the form offers only sessions of the same programme, type and region, with their room.
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    merged = schedule(live, programme_id, hour + timedelta(days=5, hours=2), capacity_min=3)
    target = schedule(live, programme_id, hour + timedelta(days=6, hours=2), capacity_min=3)
    elsewhere = schedule(live, programme_id, hour + timedelta(days=6, hours=3), capacity_min=3, type="workshop")
    visit(phone, f"{base}/sessions/{merged['id']}/decision", "decision form (merge)")
    choice = phone.get_by_label("Samenvoegen met")
    expect(choice.locator(f"option[value='{target['id']}']")).to_contain_text("12 plaatsen vrij")
    expect(choice.locator(f"option[value='{elsewhere['id']}']")).to_have_count(0)
    phone.get_by_label(re.compile("^Samenvoegen")).first.check()
    choice.select_option(target["id"])
    snap(phone, "sessions-decision-merge-phone")
    phone.get_by_role("button", name="Besluit vastleggen").tap()
    expect(phone.get_by_text("Besluit vastgelegd: samengevoegd")).to_be_visible()
    assert target["id"] in phone.url

    # An invitation link of a session that has started: the common error page, Dutch first, no home page.
    started = schedule(live, programme_id, datetime.now(UTC) + timedelta(seconds=15), capacity_min=0)
    wait_until(lambda: datetime.now(UTC) > datetime.fromisoformat(started["starts_at"]), 60, interval=1,
               what="the session to start")
    secret = live.settings("notifications").link_secret
    token = sign(secret, "confirm", {"session_id": started["id"], "person_id": people[0]["person_id"]}, 14 * 86400)
    participant = patient(new_page("phone"))
    visit(participant, f"{base}/api/v1/links/confirm?token={token}", "expired link", 410)
    expect(participant.get_by_role("heading", name="Link verlopen")).to_be_visible()
    expect(participant.get_by_role("heading", name="Link expired")).to_be_visible()
    expect(participant.get_by_role("link", name="Naar uw startpagina")).to_have_count(0)
    snap(participant, "sessions-link-expired-phone")
