"""Sign-in as a person does it: the origin sends you to Keycloak's login page and back; logout ends both sessions."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.live import Live, sign_in
from tests.browser.support import check_accessibility, snap

pytestmark = pytest.mark.e2e


def test_a_coordinator_signs_in_at_the_one_origin_and_signs_out_of_the_provider_too(
        live: Live, desktop_page: Page) -> None:
    page = desktop_page
    page.goto(f"{live.origin}/")
    snap(page, "signin-welcome")
    check_accessibility(page, "welcome")
    page.get_by_role("link", name="Aanmelden").click()
    page.wait_for_url(f"{live.keycloak.url}/**")  # the provider's own login page
    snap(page, "signin-keycloak")
    page.fill("#username", "coordinator-noord")
    page.fill("#password", live.keycloak.demo_password)
    page.click("#kc-login")
    page.wait_for_url(f"{live.origin}/**")
    assert page.url.startswith(live.origin)
    header = page.locator("header")
    assert "Noor Jansen" in header.inner_text() and "Noord" in header.inner_text()
    cookies = {c["name"]: c for c in page.context.cookies(live.origin)}
    session = cookies["progadmin_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert len(session["value"]) < 4000  # tokens fit in one cookie
    # No token reaches JavaScript.
    assert "progadmin_session" not in page.evaluate("document.cookie")
    snap(page, "signin-coordinator-home")

    page.get_by_role("button", name="Afmelden / Sign out").click()
    page.wait_for_url(f"{live.origin}/auth/signed-out")
    assert "U bent afgemeld" in page.content()
    snap(page, "signin-signed-out")
    # The provider's session is over too: signing in again asks for the password.
    page.goto(f"{live.origin}/auth/login?next=/")
    page.wait_for_url(f"{live.keycloak.url}/**")
    assert page.locator("#password").is_visible()


def test_pages_send_an_anonymous_visitor_to_sign_in_and_back(live: Live, desktop_page: Page) -> None:
    page = desktop_page
    page.goto(f"{live.origin}/enrolment/companies")
    page.wait_for_url(f"{live.keycloak.url}/**")
    page.fill("#username", "beheerder")
    page.fill("#password", live.keycloak.demo_password)
    page.click("#kc-login")
    page.wait_for_url(f"{live.origin}/enrolment/companies**")
    assert "Fleur de Beheerder" in page.locator("header").inner_text()


def test_a_form_post_without_the_csrf_token_is_refused(live: Live, desktop_page: Page) -> None:
    page = desktop_page
    sign_in(page, live, "beheerder")
    response = page.request.post(f"{live.origin}/auth/logout", form={"csrf_token": "forged"})
    assert response.status == 400
    # The refused form changed nothing: still signed in.
    page.goto(f"{live.origin}/")
    assert "Fleur de Beheerder" in page.locator("header").inner_text()
