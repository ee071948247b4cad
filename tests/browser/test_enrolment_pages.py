"""Enrolment's pages on the real stack, signed in through Keycloak as the fund administrator.

A fund administrator creates and opens a programme, registers a company (a wrong KvK number
shows its error at the field), holds the intake interview, sees the gate refuse with what is
missing (before and at admission), redoes the interview and admits, and delegates a manager and
a foreman (the below-management warning shows; the foreman is not refused). Screenshots of the
main pages go to the artifacts folder; axe-core checks every page visited.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser.live import Live, sign_in
from tests.browser.support import check_accessibility, snap

pytestmark = pytest.mark.e2e

ALL = ("Directeur is bij de kick-off en de slotbijeenkomst", "Medewerkers krijgen tijd om deel te nemen",
       "Leidinggevenden (niet voormannen) worden afgevaardigd", "Er is een interne eigenaar voor de borging")


def slow_machine(page: Page) -> None:
    """The whole stack shares two cores with other test runs: the first sign-in (a cold Keycloak) and a
    page that waits for a lock may take longer than the harness's 10 s."""
    page.set_default_navigation_timeout(45_000)
    page.set_default_timeout(20_000)


def visit(page: Page, name: str, shot: str | None = None) -> None:
    """Every page the test sees passes axe; the main ones are saved as screenshots."""
    check_accessibility(page, name)
    if shot:
        snap(page, shot)


def record_intake(page: Page, ticked: tuple[str, ...], level: str) -> None:
    page.get_by_role("link", name="Uitkomst vastleggen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Intakegesprek vastleggen")
    page.get_by_label("Datum van het gesprek").fill("2026-02-02")
    for item in ALL:
        box = page.get_by_label(item, exact=False)
        box.set_checked(item in ticked)
    page.get_by_label("Beoordeeld niveau van betrokkenheid").select_option(level)


def run_admin_scenario(page: Page, base: str) -> None:
    tag = uuid.uuid4().hex[:6]
    kvk = f"{int(tag, 16) % 90_000_000 + 10_000_000:08d}"
    company = f"Betonbouw Browser {tag} BV"

    # A programme, created and opened through the pages.
    page.goto(f"{base}/programmes")
    visit(page, "programmes")
    page.get_by_role("link", name="Nieuw programma").first.click()
    page.get_by_label("Naam", exact=True).fill(f"Veilig Vakmanschap {tag}")
    page.get_by_label("Fonds").fill("A+O fonds Betonketen")
    page.get_by_label("Regio's").fill("Noord, Midden, Zuid")
    page.get_by_label("Dialoogsessies").fill("9")
    page.get_by_label("Intervisiesessies").fill("6")
    page.get_by_label("Max. deelnemers per bedrijf").fill("3")
    visit(page, "programme form", "enrolment-programme-form")
    page.get_by_role("button", name="Programma aanmaken").click()
    expect(page.get_by_text("Programma aangemaakt als concept")).to_be_visible()
    page.get_by_role("button", name="Programma openen").click()
    expect(page.get_by_text("Programma geopend")).to_be_visible()

    # Register a company; a wrong KvK number is an error at its field, nothing is registered.
    page.get_by_role("link", name="Bedrijf aanmelden").first.click()
    page.get_by_label("Bedrijfsnaam").fill(company)
    page.get_by_label("KvK-nummer").fill("1234567")
    page.get_by_label("Regio", exact=True).select_option("Noord")
    page.get_by_label("Plaats").fill("Groningen")
    page.get_by_label("Naam directeur").fill("Dirk de Directeur")
    page.get_by_label("E-mailadres directeur").fill(f"dirk.{tag}@betonbouw.example")
    page.get_by_role("button", name="Bedrijf aanmelden").click()
    kvk_field = page.locator("#field-kvk_number")
    expect(kvk_field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-kvk_number-error")).to_contain_text("precies 8 cijfers")
    expect(page.locator("#error-summary")).to_be_visible()
    visit(page, "company form with an error", "enrolment-company-form-error")
    kvk_field.fill(kvk)
    page.get_by_role("button", name="Bedrijf aanmelden").click()
    expect(page.get_by_text("Bedrijf aangemeld en ingeschreven")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(company)

    # The intake interview: planned, then held with too little commitment.
    page.get_by_role("link", name="Intakegesprek plannen").click()
    page.get_by_label("Datum").fill("2026-02-02")
    page.get_by_label("Tijd").fill("10:30")
    page.get_by_label("Plaats").fill("Op kantoor bij het bedrijf")
    visit(page, "intake planning")
    page.get_by_role("button", name="Intakegesprek plannen").click()
    expect(page.get_by_text("Intakegesprek gepland.")).to_be_visible()
    expect(page.get_by_text("maandag 2 februari 2026 10:30")).to_be_visible()

    record_intake(page, (ALL[0], ALL[2]), "2")
    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("Toets voor toelating: voldoet niet")  # before anything is saved
    expect(verdict).to_contain_text("Medewerkers krijgen tijd")
    expect(verdict).to_contain_text("Beoordeeld niveau van minstens 3 (was 2)")
    visit(page, "intake form", "enrolment-intake-form-not-met")
    page.get_by_role("button", name="Intakegesprek vastleggen").click()
    expect(page.get_by_text("Het voldoet nog niet aan de toelatingseis")).to_be_visible()
    gate = page.locator(".pa-gate")
    expect(gate).to_contain_text("voldoet niet")
    expect(gate).to_contain_text("Er is een interne eigenaar voor de borging")
    visit(page, "enrolment with the gate's verdict", "enrolment-gate-not-met")

    # Admission anyway: the gate refuses and says what is missing.
    page.get_by_role("button", name="Toelaten").click()
    refusal = page.get_by_role("alert").filter(has_text="Toelating geweigerd")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("Medewerkers krijgen tijd om deel te nemen")
    expect(refusal).to_contain_text("Beoordeeld niveau van minstens 3 (was 2)")
    expect(page.get_by_text("Intake gehouden").first).to_be_visible()
    visit(page, "admission refused", "enrolment-gate-refused")

    # The interview again, now with the director's full commitment: the gate admits.
    page.get_by_role("link", name="Intakegesprek opnieuw doen").click()
    page.get_by_label("Datum").fill("2026-02-09")
    page.get_by_label("Tijd").fill("09:00")
    page.get_by_role("button", name="Intakegesprek plannen").click()
    record_intake(page, ALL, "4")
    expect(page.locator("#verdict")).to_contain_text("Toets voor toelating: voldoet")
    visit(page, "intake form, met", "enrolment-intake-form-met")
    page.get_by_role("button", name="Intakegesprek vastleggen").click()
    expect(page.get_by_text("Het voldoet aan de toelatingseis")).to_be_visible()
    page.get_by_role("button", name="Toelaten").click()
    expect(page.get_by_text("Toegelaten. De directeur krijgt bericht")).to_be_visible()

    # Delegates: a manager, then a foreman (flagged, not refused).
    page.get_by_role("link", name="Deelnemers afvaardigen").click()
    page.get_by_label("Naam", exact=True).fill("Maria Manager")
    page.get_by_label("E-mailadres").fill(f"maria.{tag}@betonbouw.example")
    page.get_by_label("Functieniveau").select_option("manager")
    page.get_by_role("button", name="Afvaardigen").click()
    expect(page.get_by_text("Maria Manager is afgevaardigd.")).to_be_visible()
    page.get_by_label("Naam", exact=True).fill("Victor Voorman")
    page.get_by_label("E-mailadres").fill(f"victor.{tag}@betonbouw.example")
    page.get_by_label("Functieniveau").select_option("foreman")
    page.get_by_role("button", name="Afvaardigen").click()
    expect(page.get_by_text("Victor Voorman is afgevaardigd, maar als voorman onder managementniveau")).to_be_visible()
    expect(page.get_by_text("Let op: afgevaardigd onder managementniveau")).to_be_visible()
    table = page.get_by_role("table", name="Afgevaardigde deelnemers")
    expect(table.get_by_role("row")).to_have_count(3)
    expect(table).to_contain_text("Onder managementniveau")
    visit(page, "delegates", "enrolment-delegates-warning")

    # The company page with its state and history; the list finds it; the programme's funnel counts it.
    page.get_by_role("link", name=f"‹ {company}").click()
    expect(page.locator(".pa-badge", has_text="Actief").first).to_be_visible()
    visit(page, "enrolment, active", "enrolment-enrolment-active")
    page.get_by_role("link", name=f"‹ {company}").click()
    expect(page.get_by_role("heading", name="Geschiedenis")).to_be_visible()
    expect(page.get_by_role("table", name="Wat er met dit bedrijf is gebeurd, nieuwste eerst")).to_contain_text(
        "Deelnemer afgevaardigd")
    visit(page, "company", "enrolment-company")
    page.goto(f"{base}/companies?q={tag}")
    expect(page.get_by_role("link", name=company)).to_be_visible()
    visit(page, "companies", "enrolment-companies")
    page.goto(f"{base}/programmes")
    page.get_by_role("link", name=f"Veilig Vakmanschap {tag}").click()
    expect(page.locator(".pa-chart")).to_contain_text("Toegelaten")
    visit(page, "programme", "enrolment-programme-funnel")
    page.goto(f"{base}/audit?subject_type=enrolment")
    expect(page.get_by_role("table").first).to_contain_text("Toegelaten")
    visit(page, "audit", "enrolment-audit")


def test_a_fund_administrator_registers_holds_the_intake_passes_the_gate_and_delegates(
        live: Live, desktop_page: Page) -> None:
    slow_machine(desktop_page)
    sign_in(desktop_page, live, "beheerder", "/enrolment/programmes")
    run_admin_scenario(desktop_page, f"{live.origin}/enrolment")


def test_a_coordinator_cannot_open_another_regions_company(live: Live, desktop_page: Page) -> None:
    admin = live.dev_token("fund_admin")
    tag = uuid.uuid4().hex[:6]
    status, zuid = live.api("enrolment", "/companies", admin, {
        "name": f"Zuidbouw {tag}", "kvk_number": f"{int(tag, 16) % 90_000_000 + 10_000_000:08d}", "region": "Zuid",
        "directors": [{"name": "Zus Zuid", "email": f"zus.{tag}@zuid.example"}]})
    assert status == 201, zuid
    page = desktop_page
    slow_machine(page)
    sign_in(page, live, "coordinator-noord", "/enrolment/companies")
    visit(page, "companies as coordinator", "enrolment-companies-coordinator")
    response = page.goto(f"{live.origin}/enrolment/companies/{zuid['id']}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagina niet gevonden")
    response = page.goto(f"{live.origin}/enrolment/companies?region=Zuid")
    assert response is not None and response.status == 403
    response = page.goto(f"{live.origin}/enrolment/audit")
    assert response is not None and response.status == 403
