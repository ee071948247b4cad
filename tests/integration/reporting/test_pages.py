"""Reporting's pages with the Flask test client on the scripted programme: dashboard, final report (the page's
figures are the CSV's and the XLSX's), subscriptions, and the API's access rules on every page."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from services.common.config import Settings
from services.reporting.app import create_app
from tests.integration.reporting.scripted import PROGRAMME_ID, build, uid
from tests.support import bearer

pytestmark = pytest.mark.integration
SCRIPT = build()
FIGURE = re.compile(r'data-figure="([^"]+)">(.*?)</span>', re.S)


def html(client: FlaskClient, path: str, headers: dict[str, Any], status: int = 200) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == status, (path, response.status_code, response.get_data(as_text=True)[:800])
    return response.get_data(as_text=True)


def dutch_number(text: str) -> float:
    """'1.234,5' -> 1234.5; '87%' -> 0.87."""
    text = text.strip()
    if text.endswith("%"):
        return float(text[:-1].replace(".", "").replace(",", ".")) / 100
    return float(text.replace(".", "").replace(",", "."))


def page_figures(page: str) -> dict[str, str]:
    return {unescape(key): re.sub(r"<[^>]+>", "", value).strip() for key, value in FIGURE.findall(page)}


def same(shown: str, value: Any) -> bool:
    if value in (None, ""):
        return shown in ("–", "verborgen", "hidden") or shown.startswith("verborgen")
    number = dutch_number(shown)
    tolerance = 0.005 if shown.endswith("%") else 1e-9
    return abs(number - float(value)) <= tolerance


def test_the_final_report_page_shows_exactly_the_figures_of_its_csv_and_xlsx(
        client: FlaskClient, scripted: Settings) -> None:
    consumer = bearer(scripted, "reporting_consumer", sub="rapportage")
    page = html(client, f"/final-report?programme={PROGRAMME_ID}", consumer)
    assert "Eindrapport Vanzelfsprekend Gezond en Veilig" in page and "Afdrukken / Print" in page
    assert not any(name in page for name in SCRIPT.names)  # no company or person names
    figures = page_figures(page)
    assert len(figures) > 40
    csv_response = client.get(f"/final-report/{PROGRAMME_ID}.csv", headers=consumer)
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    assert csv_response.headers["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(csv_response.get_data(as_text=True))))
    exported = {f"{r[0]}|{r[1]}|{r[2]}": r[3] for r in rows[1:rows.index([])]}
    xlsx_response = client.get(f"/final-report/{PROGRAMME_ID}.xlsx", headers=consumer)
    book = load_workbook(io.BytesIO(xlsx_response.get_data()))
    sheet = {f"{r[0]}|{r[1]}|{r[2]}": r[3] for r in book["Samenvatting"].iter_rows(min_row=3, values_only=True)}
    for key, shown in figures.items():
        assert key in exported, key
        assert same(shown, exported[key]), (key, shown, exported[key])
        assert same(shown, sheet[key]), (key, shown, sheet[key])
    assert figures["bedrijven / companies|started|totaal"] == "12"
    assert figures["borging / follow-up|adopted|of 10"] == "8"
    assert figures["evaluatie / evaluation|programme average|n=45"] == "7,8"


def test_the_final_report_page_shows_its_session_table_a_page_at_a_time(
        client: FlaskClient, scripted: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A national programme's 20,000 sessions are not one 10 MB page (bench/national.py); CSV keeps them all."""
    from services.reporting.pages import reports

    monkeypatch.setattr(reports, "SESSIONS_PER_PAGE", 2)
    admin = bearer(scripted, "fund_admin")
    path = f"/final-report?programme={PROGRAMME_ID}"
    first = html(client, path, admin)
    total = int(re.search(r"Sessies 1–2 van (\d+)\.", first).group(1))  # type: ignore[union-attr]
    assert total > 4 and "sessions_page=2" in first and "De volledige lijst staat in CSV en Excel." in first
    assert "Sessies 3–4 van" in html(client, f"{path}&sessions_page=2", admin)
    last = (total + 1) // 2
    assert f"Sessies {2 * last - 1}–{total} van {total}." in html(client, f"{path}&sessions_page=9999", admin)
    assert "Sessies 1–2 van" in html(client, f"{path}&sessions_page=twee", admin)
    rows = list(csv.reader(io.StringIO(client.get(f"/final-report/{PROGRAMME_ID}.csv", headers=admin)
                                       .get_data(as_text=True))))
    assert len(rows) - rows.index([]) - 2 == total  # a blank line, the sessions' header, then every session


def test_the_dashboard_for_each_reader(client: FlaskClient, scripted: Settings) -> None:
    for roles, regions in ((("fund_admin",), None), (("reporting_consumer",), None), (("coordinator",), ["Noord"])):
        page = html(client, "/dashboard", bearer(scripted, *roles, regions=regions))
        assert "Trechter" in page and "pa-chart" in page and "Opkomst per maand" in page
        assert "8 van 10" in page or roles == ("coordinator",)
    noord = html(client, "/dashboard", bearer(scripted, "coordinator", regions=["Noord"]))
    assert "Cijfers van Noord" in noord and 'value="Zuid"' not in noord
    client.set_cookie("lang", "en")
    assert "Funnel" in html(client, f"/dashboard?programme={PROGRAMME_ID}", bearer(scripted, "fund_admin"))


def test_averages_below_the_minimum_group_are_hidden(scripted: Settings) -> None:
    strict = create_app(dataclasses.replace(scripted, evaluation_min_group=1000))
    try:
        client = strict.test_client()
        for path in ("/dashboard", f"/final-report?programme={PROGRAMME_ID}"):
            page = html(client, path, bearer(scripted, "fund_admin"))
            assert "verborgen" in page and "7,8" not in page
    finally:
        strict.config["POOL"].close()


def test_the_report_pages_keep_the_apis_access_rules(client: FlaskClient, scripted: Settings) -> None:
    noord = bearer(scripted, "coordinator", regions=["Noord"])
    for path in ("/dashboard?region=Zuid", f"/final-report?programme={PROGRAMME_ID}&region=Zuid",
                 f"/final-report/{PROGRAMME_ID}.csv?region=Zuid"):
        assert client.get(path, headers=noord).status_code == 403, path
    rows = list(csv.reader(io.StringIO(client.get(f"/final-report/{PROGRAMME_ID}.csv", headers=noord)
                                       .get_data(as_text=True))))
    assert ["sessies / sessions", "held dialogue", "Noord", "3"] in rows
    assert not any(r[2] == "Zuid" for r in rows if len(r) > 2)
    facilitator = bearer(scripted, "facilitator")
    for path in ("/dashboard", "/final-report", "/subscriptions"):
        assert client.get(path, headers=facilitator).status_code == 403, path
    assert client.get("/subscriptions", headers=noord).status_code == 403
    anonymous = client.get("/final-report")
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    admin = bearer(scripted, "fund_admin")
    html(client, f"/final-report?programme={uid('nope')}", admin, 404)
    html(client, "/final-report?programme=not-a-uuid", admin, 404)


def test_a_reporting_consumer_manages_their_own_subscriptions(client: FlaskClient, scripted: Settings) -> None:
    mine = bearer(scripted, "reporting_consumer", sub="consumer-a")
    theirs = bearer(scripted, "reporting_consumer", sub="consumer-b")
    assert "Nog geen abonnementen" in html(client, "/subscriptions", mine)
    form = html(client, "/subscriptions/new", mine)
    assert "CompanyAdmitted" in form
    bad = client.post("/subscriptions/new", headers=mine, data={"url": "ftp://bi.example", "description": "x"})
    assert bad.status_code == 422 and 'id="field-url-error"' in bad.get_data(as_text=True)
    empty = client.post("/subscriptions/new", headers=mine, data={"url": ""})
    assert empty.status_code == 422 and "Vul het adres van uw endpoint in" in empty.get_data(as_text=True)
    assert "Nog geen abonnementen" in html(client, "/subscriptions", mine)
    made = client.post("/subscriptions/new", headers=mine, data={
        "url": "http://127.0.0.1:9/hook", "description": "BI van het fonds",
        "event_types": ["progadmin.reporting.PublicCompanyAdmitted.v1"]})
    text = made.get_data(as_text=True)
    assert made.status_code == 201 and "whsec_" in text
    link = re.search(r'href="(/subscriptions/[0-9a-f-]{36})"', text)
    assert link is not None
    detail = html(client, link.group(1), mine)
    assert "BI van het fonds" in detail and "CompanyAdmitted" in detail and "Actief" in detail
    assert "whsec_" not in detail  # the secret is shown once
    assert "http://127.0.0.1:9/hook" not in html(client, "/subscriptions", theirs)
    html(client, link.group(1), theirs, 404)
    assert client.post(f"{link.group(1)}/deactivation", headers=theirs).status_code == 404
    assert client.post(f"{link.group(1)}/deactivation", headers=mine).status_code == 303
    assert "Gepauzeerd" in html(client, link.group(1), mine)
    twice = client.post(f"{link.group(1)}/deactivation", headers=mine, follow_redirects=True)
    assert "had die status al" in twice.get_data(as_text=True)
    client.post(f"{link.group(1)}/activation", headers=mine)
    assert "Actief" in html(client, link.group(1), mine)
    assert "Weet u het zeker?" in html(client, f"{link.group(1)}/delete", mine)
    assert client.post(f"{link.group(1)}/delete", headers=theirs).status_code == 404
    assert client.post(f"{link.group(1)}/delete", headers=mine).status_code == 303
    html(client, link.group(1), mine, 404)


def test_the_company_report_link_opens_in_the_shared_layout(client: FlaskClient, scripted: Settings) -> None:
    created = client.post(f"/api/v1/programmes/{PROGRAMME_ID}/companies/{uid('company', 0)}/report-links",
                          headers=bearer(scripted, "fund_admin"))
    path = created.get_json()["url"].split("8084", 1)[-1]
    page = html(client, path, {})
    assert "Deelname van Betonbouw Veldhuis 0 BV" in page and "Direct naar de inhoud" in page
    assert "Hoofdmenu" not in page and "Afmelden / Sign out" not in page  # nobody is signed in
    assert "Structureel" in page  # follow-up level in words
