"""The privacy page and the audit trail pages on the real stack, signed in through Keycloak as the fund administrator.

The fund administrator finds a delegate by e-mail address and downloads everything the four services
hold about them: the page's session token goes to the other three services, which check it as they
check any call. Then the audit trail of sessions, notifications and reporting, each with the same
filters and a tab to each service's trail. Screenshots go to the artifacts folder (desktop and phone);
axe-core checks every page visited.
"""

from __future__ import annotations

import json
import uuid

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.live import Live, sign_in
from tests.browser.support import check_accessibility, snap

pytestmark = pytest.mark.e2e


def tabs(page: Page) -> Locator:
    """The audit pages' tab bar: the entries' rows link to enrolments by the same word, "Inschrijving"."""
    return page.get_by_role("navigation", name="Auditlog per onderdeel")


def test_a_fund_administrator_downloads_a_persons_data_and_reads_every_services_audit_trail(
        live: Live, desktop_page: Page) -> None:
    page = desktop_page
    page.set_default_navigation_timeout(45_000)
    page.set_default_timeout(20_000)
    admin = live.dev_token("fund_admin")
    tag = uuid.uuid4().hex[:6]
    status, company = live.api("enrolment", "/companies", admin, {
        "name": f"Privacybouw {tag}", "kvk_number": f"{int(tag, 16) % 90_000_000 + 10_000_000:08d}",
        "region": "Noord", "directors": [{"name": f"Dirk Directeur {tag}", "email": f"dirk.{tag}@bouw.example"}]})
    assert status == 201, company
    # A write in the mail trail.
    live.api("notifications", "/staff/fac-privacy", admin, {"role": "facilitator", "name": "Petra Visser",
                                                             "email": "petra@begeleiding.example"}, method="PUT")

    sign_in(page, live, "beheerder", "/enrolment/persons")
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy: gegevens van een persoon")
    page.get_by_label("E-mailadres").fill(f"dirk.{tag}@bouw.example")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_text(f"Dirk Directeur {tag}")).to_be_visible()
    check_accessibility(page, "privacy page")
    snap(page, "enrolment-privacy")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Alles downloaden (JSON)").click()
    download = download_info.value
    assert download.suggested_filename.startswith("persoonsgegevens-")
    document = json.loads(download.path().read_text(encoding="utf-8"))
    assert set(document["services"]) == {"enrolment", "sessions", "notifications", "reporting"}
    assert document["services"]["enrolment"]["person"]["name"] == f"Dirk Directeur {tag}"
    page.set_viewport_size({"width": 375, "height": 812})
    snap(page, "enrolment-privacy-phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    for service, tab in (("sessions", "Sessies"), ("notifications", "Mail"), ("reporting", "Rapportage")):
        page.goto(f"{live.origin}/{service}/audit")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Auditlog")
        expect(tabs(page).get_by_role("link", name=tab, exact=True)).to_have_attribute("aria-current", "page")
        check_accessibility(page, f"{service} audit page")
    page.goto(f"{live.origin}/notifications/audit")
    expect(page.get_by_role("cell", name="Medewerker toegevoegd").first).to_be_visible()
    snap(page, "notifications-audit")
    page.set_viewport_size({"width": 375, "height": 812})
    snap(page, "notifications-audit-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    # The person's export was read in every service: the trail says who asked.
    page.goto(f"{live.origin}/sessions/audit?action=person.export")
    expect(page.get_by_role("cell", name="Persoonsgegevens opgevraagd").first).to_be_visible()
    snap(page, "sessions-audit")
    tabs(page).get_by_role("link", name="Inschrijving", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Auditlog")
    expect(tabs(page).get_by_role("link", name="Inschrijving", exact=True)).to_have_attribute("aria-current", "page")
    check_accessibility(page, "enrolment audit page")
    snap(page, "enrolment-audit-tabs")
