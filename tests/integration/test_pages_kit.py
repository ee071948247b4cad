"""The pages kit through Flask's test client: error pages vs problem+json, the language
switch's redirect guard, the vendor files whitelist, escaping and Dutch formats."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask, Response, g
from flask.testing import FlaskClient

from services.common.auth import Principal
from services.common.pages import render_page
from services.common.web import create_service_app
from tests.conftest import Platform

pytestmark = pytest.mark.integration


@pytest.fixture
def app(db_only: Platform) -> Iterator[Flask]:
    app, _api = create_service_app(db_only.settings("sessions"), "Kit")

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("page failure")

    @app.get("/api/v1/boom")
    def api_boom() -> str:
        raise RuntimeError("api failure")

    @app.get("/hello")
    def hello() -> Response:
        g.page_principal = Principal("c-1", frozenset({"coordinator"}), frozenset({"Noord"}), "<Kees>")
        return render_page("error.html.j2", code=200, title="<script>x</script>", text="Hallo")

    app.config["FUND_NAME"] = "A+O fonds"
    yield app
    app.config["POOL"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_pages_get_html_errors_and_apis_keep_problem_json(client: FlaskClient) -> None:
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Pagina niet gevonden" in page.text and "Naar uw startpagina" in page.text
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
    crash = client.get("/boom")
    assert crash.status_code == 500 and "Er ging iets mis" in crash.text and "page failure" not in crash.text
    api_crash = client.get("/api/v1/boom")
    assert api_crash.status_code == 500 and api_crash.mimetype == "application/problem+json"
    json_client = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert json_client.mimetype == "application/problem+json"
    client.set_cookie("lang", "en")
    english = client.get("/no-such-page")
    assert "Page not found" in english.text and '<html lang="en"' in english.text


def test_templates_escape_and_show_the_person_and_their_menu(client: FlaskClient) -> None:
    html = client.get("/hello").text
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
    assert "&lt;Kees&gt;" in html and "Regiocoördinator" in html and "Noord" in html
    assert "/calendar" in html and 'aria-label="Hoofdmenu"' in html and "/programmes" not in html
    assert 'action="/auth/logout"' in html and 'name="csrf_token"' in html


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", "evil.example", "/ok\r\nSet-Cookie: x=1"])
def test_language_switch_never_redirects_off_site(client: FlaskClient, target: str) -> None:
    response = client.get("/auth/lang", query_string={"to": "en", "next": target})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_language_switch_sets_the_cookie_and_returns_to_the_page(client: FlaskClient) -> None:
    response = client.get("/auth/lang", query_string={"to": "en", "next": "/sessions/calendar?week=2026-W49"})
    assert response.headers["Location"] == "/sessions/calendar?week=2026-W49"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;") and "Path=/" in cookie
    odd = client.get("/auth/lang", query_string={"to": "fr", "next": "/x"})
    assert odd.headers["Set-Cookie"].startswith("lang=nl;")


def test_only_whitelisted_vendor_files_are_served(client: FlaskClient) -> None:
    assert client.get("/static/vendor/@utrecht/component-library-css/dist/index.css").status_code == 200
    assert client.get("/static/vendor/htmx.org/dist/htmx.min.js").status_code == 200
    font = "/static/vendor/@fontsource-variable/noto-sans/files/noto-sans-latin-wght-normal.woff2"
    assert client.get(font).status_code == 200
    assert client.get("/static/progadmin.css").status_code == 200
    for path in ("/static/vendor/htmx.org/package.json", "/static/vendor/../../pyproject.toml",
                 "/static/vendor/@fontsource-variable/noto-sans/files/../package.json",
                 "/static/vendor/%2e%2e/%2e%2e/pyproject.toml", "/static/../pyproject.toml"):
        assert client.get(path).status_code == 404, path


def test_dutch_formats_in_amsterdam_time(app: Flask) -> None:
    from services.common import i18n

    moment = datetime(2026, 7, 1, 22, 30, tzinfo=UTC)  # summer time: 00:30 the next day
    with app.test_request_context("/"):
        assert i18n.date_nl(moment) == "2 jul 2026" and i18n.date_nl(moment, "short") == "02-07-2026"
        assert i18n.time_nl(moment) == "00:30" and i18n.datetime_nl(moment, "short") == "02-07-2026 00:30"
        assert i18n.number_nl(12345.678, 2) == "12.345,68" and i18n.percent_nl(0.8) == "80%"
        assert i18n.date_nl(None) == "" and i18n.t("Ja", "Yes") == "Ja"
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert i18n.t("Ja", "Yes") == "Yes" and i18n.date_nl(moment, "full") == "Thursday, 2 July 2026"
