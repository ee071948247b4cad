"""Reporting's pages on the real stack: the final report page downloads CSV and XLSX that hold the same figures
as the page; the dashboard; a reporting consumer manages a webhook subscription. Data comes in through the
enrolment API and reaches reporting through Kafka, as in production."""

from __future__ import annotations

import csv
import io
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.browser.live import Live, sign_in
from tests.browser.support import check_accessibility, snap
from tests.support import wait_until

pytestmark = pytest.mark.e2e
COMMITMENTS = {"director_attends_kickoff_and_closing": True, "staff_time_released": True,
               "managers_delegated": True, "internal_follow_up_owner": True}


def ok(result: tuple[int, Any], status: int = 200) -> Any:
    assert result[0] == status, result
    return result[1]


def programme_with_companies(live: Live) -> str:
    """A programme in Noord and Zuid: two companies admitted (one withdraws), one declined at the gate."""
    admin = live.dev_token("fund_admin")
    tag = uuid.uuid4().hex[:6]
    programme = ok(live.api("enrolment", "/programmes", admin, {
        "name": f"Rapportage Programma {tag}", "regions": ["Noord", "Zuid"], "max_delegates_per_company": 3,
        "planned_sessions": {"dialogue": 2}}), 201)
    ok(live.api("enrolment", f"/programmes/{programme['id']}/opening", admin, {}))
    outcomes = (("Noord", "admit"), ("Zuid", "withdraw"), ("Noord", "decline"))
    for n, (region, outcome) in enumerate(outcomes):
        company = ok(live.api("enrolment", "/companies", admin, {
            "name": f"Beton {tag} {n} BV", "kvk_number": f"{random.randrange(10**7, 10**8)}", "region": region,
            "directors": [{"name": f"Directeur {n}", "email": f"dir{n}-{tag}@beton.example", "language": "nl"}]}),
            201)
        e = ok(live.api("enrolment", "/enrolments", admin, {"company_id": company["id"],
                                                            "programme_id": programme["id"]}), 201)
        path = f"/enrolments/{e['id']}"
        intake = ok(live.api("enrolment", f"{path}/intakes", admin, {"scheduled_at": "2026-03-01T10:00:00+01:00"}),
                    201)
        ok(live.api("enrolment", f"{path}/intakes/{intake['id']}/outcome", admin, {
            "held_on": "2026-03-01", "interviewee_role": "director", "interviewer": "Projectleider",
            "assessed_level": 4, "commitments": COMMITMENTS}), 201)
        if outcome == "decline":
            ok(live.api("enrolment", f"{path}/declination", admin, {"reason": "Geen tijd voor het programma"}))
            continue
        ok(live.api("enrolment", f"{path}/admission", admin, {}))
        ok(live.api("enrolment", f"{path}/delegates", admin, {
            "name": f"Leidinggevende {n}", "email": f"lg{n}-{tag}@beton.example", "job_level": "manager"}), 201)
        if outcome == "withdraw":
            ok(live.api("enrolment", f"{path}/withdrawal", admin, {"reason_code": "understaffing"}))

    def arrived() -> bool:
        status, report = live.api("reporting", f"/programmes/{programme['id']}/final-report",
                                  live.dev_token("reporting_consumer"))
        return status == 200 and report["funnel"]["interested"] == 3 and report["funnel"]["declined"] == 1 \
            and report["funnel"]["withdrawn"] == 1 and report["companies"]["started"] == 2

    wait_until(arrived, 90, interval=0.5, what="reporting to show the programme's companies")
    return str(programme["id"])


def dutch(text: str) -> float:
    text = text.strip()
    if text.endswith("%"):
        return float(text[:-1].replace(".", "").replace(",", ".")) / 100
    return float(text.replace(".", "").replace(",", "."))


def matches(shown: str, value: Any) -> bool:
    if value in (None, ""):  # hidden below the minimum group, or no figure at all
        return shown == "–" or shown.startswith(("verborgen", "hidden"))
    return abs(dutch(shown) - float(value)) <= (0.005 if shown.endswith("%") else 1e-9)


def test_the_final_report_page_downloads_csv_and_xlsx_with_the_figures_on_the_page(
        live: Live, desktop_page: Page, tmp_path: Path) -> None:
    programme_id = programme_with_companies(live)
    page = desktop_page
    page.set_default_timeout(30_000)  # the shared machine is slow at times; Keycloak's login most of all
    sign_in(page, live, "rapportage", f"/reporting/final-report?programme={programme_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Eindrapport Rapportage Programma")
    expect(page.get_by_role("button", name="Afdrukken / Print")).to_be_visible()
    shown: dict[str, str] = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('[data-figure]')]"
        ".map(e => [e.dataset.figure, e.textContent.trim()]))")
    assert shown["bedrijven / companies|started|totaal"] == "2"
    assert shown["trechter / funnel|declined|totaal"] == "1"
    assert shown["trechter / funnel|withdrawal_reason|understaffing"] == "1"
    check_accessibility(page, "final report")
    snap(page, "reporting-final-report")

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Download CSV").click()
    csv_path = tmp_path / "report.csv"
    csv_download.value.save_as(csv_path)
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    exported = {f"{r[0]}|{r[1]}|{r[2]}": r[3] for r in rows[1:rows.index([])]}
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Download Excel (XLSX)").click()
    xlsx_path = tmp_path / "report.xlsx"
    xlsx_download.value.save_as(xlsx_path)
    book = load_workbook(xlsx_path)
    sheet = {f"{r[0]}|{r[1]}|{r[2]}": r[3] for r in book["Samenvatting"].iter_rows(min_row=3, values_only=True)}
    assert len(shown) >= 20
    for key, text in shown.items():
        assert matches(text, exported[key]), (key, text, exported[key])
        assert matches(text, sheet[key]), (key, text, sheet[key])

    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Afdrukken / Print")).to_be_hidden()
    snap(page, "reporting-final-report-print")
    page.emulate_media(media="screen")

    page.goto(f"{live.origin}/reporting/dashboard?programme={programme_id}")
    expect(page.get_by_role("heading", name="Trechter")).to_be_visible()
    check_accessibility(page, "dashboard")
    snap(page, "reporting-dashboard")


def test_a_reporting_consumer_manages_a_subscription(live: Live, desktop_page: Page) -> None:
    page = desktop_page
    page.set_default_timeout(30_000)  # the shared machine is slow at times; Keycloak's login most of all
    sign_in(page, live, "rapportage", "/reporting/subscriptions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Abonnementen")
    check_accessibility(page, "subscriptions")
    page.get_by_role("link", name="Nieuw abonnement").first.click()
    page.get_by_label("Omschrijving").fill("BI-koppeling")
    page.get_by_role("button", name="Abonnement aanmaken").click()
    expect(page.locator("#field-url-error")).to_contain_text("Vul het adres van uw endpoint in")
    check_accessibility(page, "subscription form with an error")
    snap(page, "reporting-subscription-form-error")
    hook = f"http://127.0.0.1:9/hook-{uuid.uuid4().hex[:6]}"
    page.get_by_label("Adres van uw endpoint").fill(hook)
    page.get_by_label("CompanyAdmitted").check()
    page.get_by_role("button", name="Abonnement aanmaken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Abonnement aangemaakt")
    assert page.locator("[data-secret]").inner_text().startswith("whsec_")
    check_accessibility(page, "subscription created")
    page.get_by_role("link", name="Naar het abonnement").click()
    expect(page.get_by_text("Actief", exact=True)).to_be_visible()
    page.get_by_role("button", name="Pauzeren").click()
    expect(page.get_by_text("Abonnement gepauzeerd")).to_be_visible()
    expect(page.get_by_text("Gepauzeerd", exact=True).first).to_be_visible()
    check_accessibility(page, "subscription")
    snap(page, "reporting-subscription")
    page.get_by_role("button", name="Activeren").click()
    expect(page.get_by_text("Abonnement geactiveerd")).to_be_visible()
    page.goto(f"{live.origin}/reporting/subscriptions")
    expect(page.get_by_role("link", name=hook)).to_be_visible()
    snap(page, "reporting-subscriptions")
    page.get_by_role("link", name=hook).click()
    page.get_by_role("link", name="Verwijderen").click()
    check_accessibility(page, "delete subscription")
    page.get_by_role("button", name="Ja, verwijderen").click()
    expect(page.get_by_text("Abonnement verwijderd")).to_be_visible()
    expect(page.get_by_role("link", name=hook)).to_have_count(0)
