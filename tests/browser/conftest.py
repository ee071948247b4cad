"""Browser fixtures: one headless Debian Chromium per test run, a fresh page per test and viewport.

`page` runs a test three times (desktop 1280x800, tablet 768x1024, phone
375x812); `desktop_page`, `tablet_page` and `phone_page` give one viewport.
Chromium that cannot start fails the test; nothing skips.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.browser.support import CHROMIUM, VIEWPORTS

# Playwright must never try to fetch a browser of its own here.
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(f"Chromium not found at {CHROMIUM}; run deploy/bootstrap.sh (apt-get install chromium)")
    # Chromium's sandbox needs user namespaces, which root in a container lacks.
    # Dutch browser UI so date and time inputs show 03-12-2026 and 14:30, as for the fund's staff.
    args = ["--lang=nl-NL"] + (["--no-sandbox"] if os.geteuid() == 0 else [])
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=args,
                                                env={**os.environ, "LANG": "nl_NL.UTF-8", "LANGUAGE": "nl"})
    yield browser
    browser.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[[str], Page]]:
    """Open a page at a named viewport ("desktop", "tablet", "phone") in its own context (own cookies)."""
    contexts = []

    def open_page(viewport: str = "desktop") -> Page:
        context = browser.new_context(viewport=VIEWPORTS[viewport], locale="nl-NL", timezone_id="Europe/Amsterdam",
                                      is_mobile=viewport == "phone", has_touch=viewport != "desktop")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(params=list(VIEWPORTS))
def page(request: pytest.FixtureRequest, new_page: Callable[[str], Page]) -> Page:
    """A page at each viewport in turn; `page.viewport_name` says which."""
    opened = new_page(request.param)
    opened.viewport_name = request.param  # type: ignore[attr-defined]
    return opened


@pytest.fixture
def desktop_page(new_page: Callable[[str], Page]) -> Page:
    return new_page("desktop")


@pytest.fixture
def tablet_page(new_page: Callable[[str], Page]) -> Page:
    return new_page("tablet")


@pytest.fixture
def phone_page(new_page: Callable[[str], Page]) -> Page:
    return new_page("phone")
