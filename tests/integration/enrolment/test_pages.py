"""Enrolment's pages through the Flask test client, signed in with dev bearer tokens.

Every page renders for its roles; forms change state through the same use cases as
the API, or show the errors at their fields (422) and change nothing; the gate's
verdict shows before admission and its refusal names what is missing; coordinators
see their own regions only, read-only; other roles get 403.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from tests.integration.enrolment.support import COMMITTED, PASSING_INTAKE, Api, next_kvk

pytestmark = pytest.mark.integration

INSUFFICIENT = {"director_attends_kickoff_and_closing": True, "staff_time_released": False,
                "managers_delegated": True, "internal_follow_up_owner": False}


def get(api: Api, path: str, role: str = "fund_admin", regions: list[str] | None = None,
        **kwargs: Any) -> TestResponse:
    return api.client.get(path, headers=api.headers(role, regions), **kwargs)


def post(api: Api, path: str, data: dict[str, Any] | list[tuple[str, str]], role: str = "fund_admin",
         regions: list[str] | None = None) -> TestResponse:
    form = MultiDict(data) if isinstance(data, list) else data
    return api.client.post(path, data=form, headers=api.headers(role, regions))


def html(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def field_error(response: TestResponse, field: str) -> str:
    """The error text tied to a field (the element aria-describedby points at), '' when none."""
    found = re.search(rf'id="field-{field}-error">(.*?)</div>', html(response), re.S)
    return re.sub(r"<[^>]+>", "", found[1]).strip() if found else ""


def company_form(kvk: str, **overrides: str) -> dict[str, str]:
    form = {"name": f"Pagina Bouw {kvk}", "kvk_number": kvk, "region": "Noord", "address_street": "Kade 1",
            "address_postal_code": "9712 ab", "address_city": "Groningen", "size": "small",
            "directors_0_name": "Dirk Directeur", "directors_0_email": f"dirk.{kvk}@example.nl",
            "directors_0_role": "director_owner", "directors_0_language": "nl"}
    form.update(overrides)
    return form


def outcome_form(commitments: dict[str, bool], level: int) -> list[tuple[str, str]]:
    return [("held_on", "2026-02-02"), ("interviewee_role", "director"), ("interviewer", "Fleur de Beheerder"),
            ("assessed_level", str(level)), ("notes", "Goed gesprek"),
            *(("commitments", item) for item, on in commitments.items() if on)]


# -- every page renders ---------------------------------------------------------------------------
def test_every_page_renders_for_the_fund_administrator(api: Api) -> None:
    active = api.enrolment("active")
    held = api.enrolment("intake_held", programme=active["programme"])
    scheduled = api.enrolment("intake_scheduled", programme=active["programme"])
    e, p = active["id"], active["programme"]["id"]
    pages = ["/programmes", "/programmes/new", f"/programmes/{p}", f"/programmes/{p}/edit", "/companies",
             "/companies?q=Betonbouw&region=Noord&status=active", f"/companies?programme_id={p}", "/companies/new",
             f"/companies/{active['company_id']}", f"/enrolments/{e}", f"/enrolments/{held['id']}",
             f"/enrolments/{e}/delegates", f"/enrolments/{e}/delegates?removed=1", f"/enrolments/{e}/follow-ups",
             f"/enrolments/{e}/withdrawal", f"/enrolments/{scheduled['id']}/intakes/new",
             f"/enrolments/{scheduled['id']}/intakes/{scheduled['intake_id']}/outcome",
             f"/enrolments/{scheduled['id']}/intakes/{scheduled['intake_id']}/rescheduling",
             "/audit", f"/audit?subject_type=enrolment&subject_id={e}"]
    for path in pages:
        response = get(api, path)
        assert response.status_code == 200, (path, html(response)[:500])
        assert response.mimetype == "text/html"
        assert "<h1" in html(response) and 'lang="nl"' in html(response)


def test_pages_speak_english_after_the_language_switch(api: Api) -> None:
    api.client.set_cookie("lang", "en")
    try:
        body = html(get(api, "/companies"))
    finally:
        api.client.delete_cookie("lang")
    assert ">Companies</h1>" in body and "Register a company" in body


def test_anonymous_visitors_are_sent_to_sign_in(api: Api) -> None:
    response = api.client.get("/companies?q=x")
    assert response.status_code == 302
    assert "/auth/login?next=" in response.headers["Location"]


# -- programmes -----------------------------------------------------------------------------------
def test_a_programme_is_created_opened_and_shows_its_funnel(api: Api) -> None:
    name = f"Programma {uuid.uuid4().hex[:6]}"
    response = post(api, "/programmes/new", [
        ("name", name), ("fund", "A+O fonds"), ("regions", "Noord, Midden, Zuid"), ("max_delegates_per_company", "3"),
        ("planned_sessions_dialogue", "9"), ("admission_rule_min_assessed_level", "3"),
        *(("admission_rule_required_commitments", c) for c in COMMITTED)])
    assert response.status_code == 303, html(response)
    path = response.headers["Location"]
    programme = api.ok(api.get("/api/v1" + path))
    assert programme["name"] == name and programme["regions"] == ["Noord", "Midden", "Zuid"]
    assert programme["planned_sessions"] == {"dialogue": 9} and programme["status"] == "draft"
    assert post(api, f"{path}/opening", {}).status_code == 303
    assert api.ok(api.get("/api/v1" + path))["status"] == "open"
    api.enrolment("withdrawn", programme=programme)
    api.enrolment("declined", programme=programme)
    api.enrolment("admitted", programme=programme)
    body = html(get(api, path))
    chart = re.findall(r'class="pa-chart__label">(.*?)</th>.*?<span class="pa-chart__value">(.*?)</span>', body, re.S)
    assert chart == [("Aangemeld", "3"), ("Intake gehouden", "2"), ("Toegelaten", "1"), ("Afgewezen", "1"),
                     ("Teruggetrokken", "1"), ("Afgerond", "0")]
    assert post(api, f"{path}/closing", {}).status_code == 303
    assert api.ok(api.get("/api/v1" + path))["status"] == "closed"


def test_a_wrong_programme_form_shows_errors_at_the_fields_and_creates_nothing(api: Api) -> None:
    name = f"Fout {uuid.uuid4().hex[:6]}"
    before = api.ok(api.get("/api/v1/programmes?page_size=1"))["total"]
    response = post(api, "/programmes/new", {"name": name, "regions": "", "max_delegates_per_company": "veel",
                                             "period_start": "2026-05-01", "period_end": "2026-01-01"})
    assert response.status_code == 422
    assert field_error(response, "regions")
    assert "heel getal" in field_error(response, "max_delegates_per_company")
    assert 'id="error-summary"' in html(response)
    # The rules between fields, once every field is right on its own.
    response = post(api, "/programmes/new", {"name": name, "regions": "Noord", "max_delegates_per_company": "3",
                                             "period_start": "2026-05-01", "period_end": "2026-01-01"})
    assert response.status_code == 422
    assert "einddatum" in field_error(response, "period_end")
    response = post(api, "/programmes/new", {"name": name, "regions": "Noord, Noord", "max_delegates_per_company": "3"})
    assert "één keer" in field_error(response, "regions")
    assert api.ok(api.get("/api/v1/programmes?page_size=1"))["total"] == before


# -- companies ------------------------------------------------------------------------------------
def test_registering_a_company_with_a_programme_enrols_it(api: Api) -> None:
    programme = api.programme()
    kvk = next_kvk()
    response = post(api, "/companies/new", {**company_form(kvk), "programme_id": programme["id"]})
    assert response.status_code == 303, html(response)
    assert "/enrolments/" in response.headers["Location"]
    found = api.ok(api.get(f"/api/v1/companies?q={kvk}"))["items"]
    assert len(found) == 1 and found[0]["address"]["postal_code"] == "9712 AB"
    assert found[0]["directors"][0]["role"] == "director_owner"
    assert [e["state"] for e in found[0]["enrolments"]] == ["interested"]


def test_a_wrong_company_form_shows_errors_at_the_fields_and_registers_nothing(api: Api) -> None:
    kvk = next_kvk()
    response = post(api, "/companies/new", company_form("1234567a", name=f"Fout {kvk}", directors_0_email="geen-mail",
                                                        address_postal_code="12345"))
    assert response.status_code == 422
    assert "8 cijfers" in field_error(response, "kvk_number")
    assert "e-mailadres" in field_error(response, "directors_0_email")
    assert "1234 AB" in field_error(response, "address_postal_code")
    assert 'value="Fout ' in html(response)  # what was typed stays
    assert api.ok(api.get(f"/api/v1/companies?q=Fout {kvk}"))["total"] == 0
    # A KvK number that is already registered: at the field, nothing new.
    taken = api.company()["kvk_number"]
    response = post(api, "/companies/new", company_form(taken))
    assert response.status_code == 422
    assert "al een bedrijf" in field_error(response, "kvk_number")
    assert api.ok(api.get(f"/api/v1/companies?q={taken}"))["total"] == 1


def test_a_programme_outside_the_company_region_is_an_error_at_the_region(api: Api) -> None:
    programme = api.programme(regions=["Amsterdam"])
    kvk = next_kvk()
    response = post(api, "/companies/new", {**company_form(kvk), "programme_id": programme["id"]})
    assert response.status_code == 422
    assert "Amsterdam" in field_error(response, "region")
    assert api.ok(api.get(f"/api/v1/companies?q={kvk}"))["total"] == 0


def test_the_company_list_searches_filters_and_pages_on_the_server(api: Api) -> None:
    tag = uuid.uuid4().hex[:8]
    for n in range(27):
        api.company("Midden" if n % 3 else "Zuid", name=f"Zoek {tag} {n:02d}")
    first = html(get(api, f"/companies?q={tag}"))
    assert first.count(f"Zoek {tag}") == 25 and "27 resultaten" in first
    second = html(get(api, f"/companies?q={tag}&page=2"))
    assert second.count(f"Zoek {tag}") == 2
    zuid = html(get(api, f"/companies?q={tag}&region=Zuid"))
    assert zuid.count(f"Zoek {tag}") == 9
    empty = html(get(api, "/companies?q=nergens-te-vinden-xyz"))
    assert "Geen bedrijven gevonden" in empty


def test_the_company_page_shows_state_and_history(api: Api) -> None:
    e = api.enrolment("admitted")
    body = html(get(api, f"/companies/{e['company_id']}"))
    assert "Toegelaten" in body and "Geschiedenis" in body
    for action in ("Bedrijf aangemeld", "Ingeschreven voor programma", "Intakegesprek gepland",
                   "Intakegesprek vastgelegd"):
        assert action in body


# -- the intake and the gate ----------------------------------------------------------------------
def test_the_gate_shows_what_is_missing_refuses_and_then_admits(api: Api) -> None:
    e = api.enrolment("interested")
    path = f"/enrolments/{e['id']}"
    assert "Intakegesprek plannen" in html(get(api, path))
    bad = post(api, f"{path}/intakes/new", {"day": "", "time": "25:00", "location": "Op kantoor"})
    assert bad.status_code == 422 and field_error(bad, "day") and field_error(bad, "time")
    assert api.ok(api.get(f"/api/v1{path}"))["state"] == "interested"
    assert post(api, f"{path}/intakes/new", {"day": "2026-02-02", "time": "10:30", "location": "Op kantoor"}
                ).status_code == 303
    intakes = api.ok(api.get(f"/api/v1{path}/intakes"))["items"]
    assert intakes[0]["scheduled_at"].startswith("2026-02-02T09:30:00")  # 10:30 in Amsterdam
    intake_path = f"{path}/intakes/{intakes[0]['id']}"

    # The form's verdict before anything is recorded, as the boxes are ticked.
    preview = html(get(api, f"{intake_path}/verdict?commitments=staff_time_released&assessed_level=2"))
    assert "voldoet niet" in preview and "Directeur is bij de kick-off" in preview
    assert "minstens 3 (was 2)" in preview
    full = "&".join(f"commitments={c}" for c in COMMITTED)
    assert "Toets voor toelating: voldoet" in html(get(api, f"{intake_path}/verdict?{full}&assessed_level=4"))

    response = post(api, f"{intake_path}/outcome", outcome_form(INSUFFICIENT, 2))
    assert response.status_code == 303, html(response)
    page = html(get(api, path))
    assert "Toets voor toelating: voldoet niet" in page
    assert "Medewerkers krijgen tijd" in page and "interne eigenaar" in page and "minstens 3 (was 2)" in page

    refused = post(api, f"{path}/admission", {})
    assert refused.status_code == 409
    body = html(refused)
    assert "Toelating geweigerd" in body and "Medewerkers krijgen tijd" in body and "minstens 3 (was 2)" in body
    assert api.ok(api.get(f"/api/v1{path}"))["state"] == "intake_held"

    # Redo the interview; this time the director commits.
    assert post(api, f"{path}/intakes/new", {"day": "2026-02-09", "time": "09:00"}).status_code == 303
    second = api.ok(api.get(f"/api/v1{path}/intakes"))["items"][-1]["id"]
    assert post(api, f"{path}/intakes/{second}/outcome", outcome_form(COMMITTED, 4)).status_code == 303
    assert "Toets voor toelating: voldoet</strong>" in html(get(api, path)).replace("\n", "") or \
        "voldoet aan de toelatingseis" in html(get(api, path))
    assert post(api, f"{path}/admission", {}).status_code == 303
    assert api.ok(api.get(f"/api/v1{path}"))["state"] == "admitted"


def test_a_wrong_intake_outcome_shows_errors_and_records_nothing(api: Api) -> None:
    e = api.enrolment("intake_scheduled")
    path = f"/enrolments/{e['id']}/intakes/{e['intake_id']}/outcome"
    response = post(api, path, [("held_on", ""), ("interviewee_role", "director"), ("interviewer", ""),
                                ("assessed_level", "9"), ("commitments", "staff_time_released")])
    assert response.status_code == 422
    assert field_error(response, "held_on") and field_error(response, "interviewer")
    assert "1 tot en met 5" in field_error(response, "assessed_level")
    assert 'value="staff_time_released" checked' in html(response)  # the ticks stay
    assert api.ok(api.get(f"/api/v1/enrolments/{e['id']}"))["state"] == "intake_scheduled"


def test_declining_needs_a_reason(api: Api) -> None:
    e = api.enrolment("intake_held", intake={**PASSING_INTAKE, "assessed_level": 1})
    path = f"/enrolments/{e['id']}"
    response = post(api, f"{path}/declination", {"reason": ""})
    assert response.status_code == 422 and field_error(response, "decline_reason")
    assert api.ok(api.get(f"/api/v1{path}"))["state"] == "intake_held"
    assert post(api, f"{path}/declination", {"reason": "Te vrijblijvend"}).status_code == 303
    assert api.ok(api.get(f"/api/v1{path}"))["state"] == "declined"


# -- delegates, withdrawal, follow-up -------------------------------------------------------------
def test_delegates_below_management_are_accepted_with_a_visible_warning(api: Api) -> None:
    e = api.enrolment("admitted")
    path = f"/enrolments/{e['id']}/delegates"
    tag = e["id"][:8]
    ok = post(api, path, {"name": "Maria Manager", "email": f"maria.{tag}@example.nl", "job_level": "manager"})
    assert ok.status_code == 303
    foreman = post(api, path, {"name": "Victor Voorman", "email": f"victor.{tag}@example.nl", "job_level": "foreman"})
    assert foreman.status_code == 303
    page = html(get(api, path))
    assert "Victor Voorman is afgevaardigd, maar als voorman onder managementniveau" in page  # the flash
    assert "Onder managementniveau" in page and "afgevaardigd onder managementniveau" in page
    current = api.ok(api.get(f"/api/v1{path}"))["items"]
    assert {d["name"]: d["below_management"] for d in current} == {"Maria Manager": False, "Victor Voorman": True}
    assert api.ok(api.get(f"/api/v1/enrolments/{e['id']}"))["state"] == "active"

    bad = post(api, path, {"name": "", "email": "geen", "job_level": "baas"})
    assert bad.status_code == 422
    assert field_error(bad, "name") and field_error(bad, "email") and field_error(bad, "job_level")
    same = post(api, path, {"name": "Maria Twee", "email": f"MARIA.{tag}@example.nl", "job_level": "manager"})
    assert same.status_code == 409 and "al afgevaardigd" in field_error(same, "email")
    assert api.ok(api.get(f"/api/v1{path}"))["total"] == 2

    victor = next(d for d in current if d["name"] == "Victor Voorman")
    assert post(api, f"{path}/{victor['person_id']}/removal", {}).status_code == 303
    assert [d["name"] for d in api.ok(api.get(f"/api/v1{path}"))["items"]] == ["Maria Manager"]


def test_the_delegate_maximum_is_a_clear_message(api: Api) -> None:
    e = api.enrolment("active", programme=api.programme(max_delegates_per_company=1))
    response = post(api, f"/enrolments/{e['id']}/delegates",
                    {"name": "Een Te Veel", "email": f"teveel.{e['id'][:8]}@example.nl", "job_level": "manager"})
    assert response.status_code == 409
    assert "hoogstens 1 deelnemers per bedrijf" in html(response)


def test_withdrawal_takes_a_reason_and_a_date(api: Api) -> None:
    e = api.enrolment("active")
    path = f"/enrolments/{e['id']}/withdrawal"
    missing = post(api, path, {"reason_code": "", "reason_text": "", "withdrawn_on": ""})
    assert missing.status_code == 422 and field_error(missing, "reason_code")
    other = post(api, path, {"reason_code": "other", "reason_text": "", "withdrawn_on": ""})
    assert other.status_code == 422 and "Andere reden" in field_error(other, "reason_text")
    assert api.ok(api.get(f"/api/v1/enrolments/{e['id']}"))["state"] == "active"
    done = post(api, path, {"reason_code": "understaffing", "reason_text": "Te weinig mensen",
                            "withdrawn_on": "2026-04-01"})
    assert done.status_code == 303
    withdrawn = api.ok(api.get(f"/api/v1/enrolments/{e['id']}"))
    assert withdrawn["state"] == "withdrawn"
    assert withdrawn["withdrawal"] == {"reason_code": "understaffing", "reason_text": "Te weinig mensen",
                                       "withdrawn_on": "2026-04-01"}
    assert "Onderbezetting" in html(get(api, f"/enrolments/{e['id']}"))


def test_follow_up_is_recorded_and_listed(api: Api) -> None:
    e = api.enrolment("active")
    path = f"/enrolments/{e['id']}/follow-ups"
    bad = post(api, path, {"activity": "", "occurred_on": "2026-13-01", "adoption_level": "veel"})
    assert bad.status_code == 422
    assert field_error(bad, "activity") and field_error(bad, "occurred_on") and field_error(bad, "adoption_level")
    assert api.ok(api.get(f"/api/v1{path}"))["total"] == 0
    assert post(api, path, {"activity": "whiteboard_meetings", "occurred_on": "2026-05-04",
                            "adoption_level": "structural", "description": "Elke maandag"}).status_code == 303
    page = html(get(api, path))
    assert "Wekelijks whiteboardoverleg" in page and "Structureel" in page and "4 mei 2026" in page
    assert api.ok(api.get(f"/api/v1/enrolments/{e['id']}"))["adoption_level"] == "structural"


def test_a_closed_programme_says_why_no_admission(api: Api) -> None:
    e = api.enrolment("intake_held")
    api.ok(api.post(f"/api/v1/programmes/{e['programme']['id']}/closing"))
    response = post(api, f"/enrolments/{e['id']}/admission", {})
    assert response.status_code == 409 and "Het programma is gesloten" in html(response)


# -- who may see what -----------------------------------------------------------------------------
def test_a_coordinator_reads_their_own_region_only(api: Api) -> None:
    noord = api.enrolment("active", region="Noord")
    zuid = api.enrolment("active", region="Zuid", programme=noord["programme"])
    as_noord: dict[str, Any] = {"role": "coordinator", "regions": ["Noord"]}
    page = get(api, f"/enrolments/{noord['id']}", **as_noord)
    assert page.status_code == 200
    assert "Volgende stap" not in html(page) and "Intakegesprekken" not in html(page)  # read-only, no intakes
    assert get(api, f"/companies/{noord['company_id']}", **as_noord).status_code == 200
    assert get(api, f"/enrolments/{noord['id']}/delegates", **as_noord).status_code == 200
    for path in (f"/enrolments/{zuid['id']}", f"/companies/{zuid['company_id']}", f"/enrolments/{zuid['id']}/delegates",
                 f"/enrolments/{zuid['id']}/follow-ups"):
        assert get(api, path, **as_noord).status_code == 404, path
    assert get(api, "/companies?region=Zuid", **as_noord).status_code == 403
    listed = html(get(api, f"/companies?programme_id={noord['programme']['id']}", **as_noord))
    assert noord["company_name"] in listed and zuid["company_name"] not in listed
    for path in ("/audit", "/companies/new", "/programmes/new", f"/enrolments/{noord['id']}/withdrawal"):
        assert get(api, path, **as_noord).status_code == 403, path
    assert post(api, f"/enrolments/{noord['id']}/completion", {}, **as_noord).status_code == 403
    assert api.ok(api.get(f"/api/v1/enrolments/{noord['id']}"))["state"] == "active"


def test_other_roles_get_403(api: Api) -> None:
    for role in ("facilitator", "reporting_consumer"):
        for path in ("/programmes", "/companies", "/audit"):
            response = get(api, path, role=role)
            assert response.status_code == 403 and "Geen toegang" in html(response), (role, path)
