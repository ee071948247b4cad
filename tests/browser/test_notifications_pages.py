"""Notifications' pages on the real stack: the fund administrator browses the delivery log (searching the mail
an enrolment caused) and the template previews, and sees the staff directory and a campaign form's errors."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.live import Live, sign_in
from tests.browser.support import check_accessibility, snap
from tests.browser.test_sessions_pages import programme_with_people, schedule, some_day
from tests.support import wait_until

pytestmark = pytest.mark.e2e


def ok(result: tuple[int, Any], status: int = 200) -> Any:
    assert result[0] == status, result
    return result[1]


def an_intake_invitation(live: Live) -> str:
    """A company with a planned intake: its director gets an intake invitation. Returns the director's address."""
    admin = live.dev_token("fund_admin")
    tag = uuid.uuid4().hex[:6]
    programme = ok(live.api("enrolment", "/programmes", admin, {"name": f"Mail Programma {tag}",
                                                                "regions": ["Midden"],
                                                                "max_delegates_per_company": 3}), 201)
    ok(live.api("enrolment", f"/programmes/{programme['id']}/opening", admin, {}))
    director = f"directeur-{tag}@prefab.example"
    company = ok(live.api("enrolment", "/companies", admin, {
        "name": f"Prefab {tag} BV", "kvk_number": f"{random.randrange(10**7, 10**8)}", "region": "Midden",
        "directors": [{"name": f"Els Bakker {tag}", "email": director, "language": "nl"}]}), 201)
    e = ok(live.api("enrolment", "/enrolments", admin, {"company_id": company["id"],
                                                        "programme_id": programme["id"]}), 201)
    ok(live.api("enrolment", f"/enrolments/{e['id']}/intakes", admin,
                {"scheduled_at": "2026-03-01T10:00:00+01:00", "location": "Utrecht"}), 201)
    wait_until(lambda: live.mails(director), 60, interval=0.5, what="the intake invitation")
    return director


def test_the_fund_administrator_browses_the_delivery_log_and_the_template_previews(
        live: Live, desktop_page: Page) -> None:
    director = an_intake_invitation(live)
    page = desktop_page
    page.set_default_timeout(30_000)  # the shared machine is slow at times; Keycloak's login most of all
    sign_in(page, live, "beheerder", "/notifications/deliveries")
    expect(page.get_by_role("heading", level=1)).to_have_text("Verzendlog")
    check_accessibility(page, "delivery log")
    page.get_by_label("Ontvanger zoeken").fill(director)
    page.get_by_label("Soort mail").select_option("intake_invitation")
    page.get_by_role("button", name="Filteren").click()
    row = page.get_by_role("row").filter(has_text="Uitnodiging intakegesprek")
    expect(row).to_have_count(1)
    wait_until(lambda: (page.reload(), "Verstuurd" in row.inner_text())[1], 30, interval=0.5,
               what="the delivery marked sent")
    assert "Els Bakker" in row.inner_text()
    snap(page, "notifications-deliveries")
    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Uitnodiging intakegesprek")
    check_accessibility(page, "one delivery")
    page.go_back()
    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Filteren").click()
    expect(page.get_by_role("heading", name="Geen mails gevonden")).to_be_visible()
    check_accessibility(page, "delivery log, nothing found")
    page.get_by_role("link", name="Filters wissen").first.click()
    expect(page.get_by_role("status").filter(has_text="gevonden")).to_be_visible()

    page.goto(f"{live.origin}/notifications/templates")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mailteksten")
    check_accessibility(page, "templates")
    snap(page, "notifications-templates")
    page.get_by_role("link", name="Uitnodiging sessie").click()
    expect(page.get_by_role("heading", name="Nederlands")).to_be_visible()
    expect(page.get_by_role("heading", name="Engels")).to_be_visible()
    preview = page.frame_locator("iframe").first
    expect(preview.locator("body")).to_contain_text("Jan de Vries")
    check_accessibility(page, "template preview")
    snap(page, "notifications-template-preview")

    page.goto(f"{live.origin}/notifications/staff")
    expect(page.get_by_role("heading", level=1)).to_have_text("Medewerkers")
    check_accessibility(page, "staff")
    snap(page, "notifications-staff")
    page.get_by_role("link", name="Medewerker toevoegen").first.click()
    page.get_by_label("Rol").select_option("coordinator")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator("#field-regions-error, #field-other_regions-error").first).to_contain_text(
        "Kies minstens één regio")
    check_accessibility(page, "staff form with errors")
    snap(page, "notifications-staff-form-errors")

    page.goto(f"{live.origin}/notifications/campaigns/new")
    page.get_by_role("button", name="Campagne aanmaken").click()
    expect(page.locator("#error-summary")).to_be_visible()
    check_accessibility(page, "campaign form with errors")
    snap(page, "notifications-campaign-form-errors")


def test_the_delivery_log_names_the_waiting_list_and_cancellation_mails_in_dutch(
        live: Live, desktop_page: Page) -> None:
    """Issue 15's new mails on the real stack: a full session puts the second person on its waiting list (mail),
    a coordinator cancels the first one's registration (mail; the second moves up); the log names both kinds."""
    programme_id, people = programme_with_people(live, 2)
    coordinator = live.dev_token("coordinator", regions=["Noord"])
    session = schedule(live, programme_id, some_day(), capacity_min=1, capacity_max=1)
    first, second = (ok(live.api("sessions", f"/sessions/{session['id']}/registrations", coordinator,
                                 {"person_id": p["person_id"]}), 201) for p in people)
    assert (first["status"], second["status"]) == ("registered", "waitlisted")
    ok(live.api("sessions", f"/registrations/{first['id']}/cancellation", coordinator, {}))

    def kinds(address: str) -> list[str]:
        return [str(m["X-Progadmin-Kind"]) for m in live.mails(address)]

    wait_until(lambda: "registration_cancelled" in kinds(people[0]["email"])
               and {"waitlist_placement", "waitlist_promotion"} <= set(kinds(people[1]["email"])), 90,
               interval=0.5, what="the waiting-list and cancellation mails")
    cancelled = next(m for m in live.mails(people[0]["email"]) if m["X-Progadmin-Kind"] == "registration_cancelled")
    assert str(cancelled["Subject"]).startswith("Afgemeld: dialoogsessie")
    body = cancelled.get_body(preferencelist=("plain",))
    assert body is not None and "Het programmabureau heeft uw aanmelding" in str(body.get_content())
    assert kinds(people[0]["email"]).count("registration_cancelled") == 1
    assert kinds(people[1]["email"]).count("waitlist_placement") == 1

    page = desktop_page
    page.set_default_timeout(30_000)
    tag = people[0]["email"].split("-", 1)[1].split("@")[0]
    sign_in(page, live, "beheerder", "/notifications/deliveries")
    page.get_by_label("Ontvanger zoeken").fill(tag)
    page.get_by_role("button", name="Filteren").click()
    for label in ("Op de wachtlijst geplaatst", "Aanmelding geannuleerd", "Plaats vrij van wachtlijst"):
        expect(page.get_by_role("row").filter(has_text=label)).to_have_count(1)
    expect(page.get_by_label("Soort mail").locator("option", has_text="Herinnering uitnodiging (nog geen antwoord)")
           ).to_have_count(1)
    check_accessibility(page, "delivery log with the waiting-list and cancellation mails")
    snap(page, "notifications-deliveries-answers")
    page.set_viewport_size({"width": 390, "height": 844})
    snap(page, "notifications-deliveries-answers-phone")
