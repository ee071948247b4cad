"""The common pages kit in a real Chromium: layout, macros, language switch and accessibility.

A tiny app from `create_service_app` serves one demo page that uses every
macro, signed in as a fund administrator (set by the page until the
sign-in's `require_page_roles` exists). Screenshots land in the artifacts folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Blueprint, Flask, Response, g, request
from playwright.sync_api import Page, expect

from services.common.auth import Principal
from services.common.pages import render_page
from services.common.web import create_service_app
from tests.browser.support import check_accessibility, serve, snap
from tests.conftest import Platform

pytestmark = pytest.mark.integration

REGIONS = [("Noord", "Noord"), ("Midden", "Midden"), ("Zuid", "Zuid")]


def demo_app(settings_platform: Platform) -> Flask:
    app, _api = create_service_app(settings_platform.settings("enrolment"), "Kit demo")
    demo = Blueprint("demo", __name__, template_folder=str(Path(__file__).parent / "templates"))

    @demo.route("/demo", methods=["GET", "POST"])
    def page() -> Response:
        from services.common.i18n import t

        g.page_principal = Principal("u-1", frozenset({"fund_admin"}), frozenset(), "Anna de Boer")
        labels = {"name": t("Bedrijfsnaam", "Company name"), "kvk_number": t("KvK-nummer", "KvK number")}
        errors = {"kvk_number": t("Een KvK-nummer heeft precies 8 cijfers.", "A KvK number has exactly 8 digits.")}
        statuses = [("Toegelaten", "Admitted", "success"), ("Intake gepland", "Intake planned", "neutral"),
                    ("Afgewezen", "Declined", "danger"), ("Teruggetrokken", "Withdrawn", "warning")]
        companies = [{"name": name, "region": region, "participants": n * 3 + 1, "registered": date(2026, 3, n + 1),
                      "status_label": t(*statuses[n % 4][:2]), "status_kind": statuses[n % 4][2]}
                     for n, (name, region) in enumerate([("Bouwbedrijf De Vries", "Noord"),
                                                         ("Van Dijk Infra B.V.", "Midden"),
                                                         ("Betonwerken Zuid", "Zuid"),
                                                         ("Aannemersbedrijf Jansen & Zonen", "Noord")])]
        return render_page("kit_demo.html.j2", status=422 if request.method == "POST" else 200,
                           programme="Veilig Vakmanschap 2026", updated=datetime(2026, 12, 2, 13, 5, tzinfo=UTC),
                           regions=REGIONS, companies=companies, page=int(request.args.get("page", 3)),
                           errors=errors, labels=labels)

    app.register_blueprint(demo)
    return app


@pytest.fixture
def base_url(db_only: Platform) -> Iterator[str]:
    app = demo_app(db_only)
    with serve(app) as url:
        yield url
    app.config["POOL"].close()


def test_demo_page_renders_accessibly_at_every_viewport(page: Page, base_url: str) -> None:
    viewport = page.viewport_size or {"width": 0}
    name = {1280: "desktop", 768: "tablet", 375: "phone"}[viewport["width"]]
    response = page.goto(f"{base_url}/demo?region=Noord&q=bouw")
    assert response is not None and response.ok
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bedrijven")
    expect(page.get_by_role("navigation", name="Hoofdmenu")).to_be_visible()
    expect(page.get_by_role("main")).to_be_visible()
    expect(page.get_by_role("button", name="Afmelden / Sign out")).to_be_visible()
    # Dutch formats: date, number, decimal comma.
    expect(page.get_by_text("2 dec 2026 14:05")).to_be_visible()
    expect(page.get_by_text("7,8", exact=True)).to_be_visible()
    # The field error is tied to its input and the summary links to it.
    kvk = page.get_by_label("KvK-nummer", exact=True)
    expect(kvk).to_have_attribute("aria-invalid", "true")
    assert "field-kvk_number-error" in (kvk.get_attribute("aria-describedby") or "")
    expect(page.locator("#error-summary a[href='#field-kvk_number']")).to_be_visible()
    # Paging keeps the filters.
    next_link = page.get_by_role("link", name="Volgende")
    href = next_link.get_attribute("href") or ""
    assert "page=4" in href and "region=Noord" in href and "q=bouw" in href
    # The page never scrolls sideways; wide tables scroll inside their own box.
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    check_accessibility(page, f"demo ({name})")
    print(snap(page, f"kit-demo-{name}"))


def test_language_switch_goes_to_english_and_back(desktop_page: Page, base_url: str) -> None:
    page = desktop_page
    page.goto(f"{base_url}/demo?page=2")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Companies")
    assert page.url.endswith("/demo?page=2")
    expect(page.get_by_role("navigation", name="Main menu")).to_be_visible()
    check_accessibility(page, "demo (English)")
    snap(page, "kit-demo-desktop-en")
    page.get_by_role("link", name="Nederlands").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bedrijven")


def test_error_pages_are_html_with_what_to_do_next(desktop_page: Page, base_url: str) -> None:
    page = desktop_page
    response = page.goto(f"{base_url}/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagina niet gevonden")
    expect(page.get_by_role("link", name="Naar uw startpagina")).to_be_visible()
    check_accessibility(page, "404 page")
    snap(page, "kit-error-404")
