"""Companies over HTTP: registration with directors and contact person, search, update, access."""

from __future__ import annotations

import psycopg
import pytest

from services.common.events import validate_event
from tests.integration.enrolment.support import Api, next_kvk

pytestmark = pytest.mark.integration


def test_registration_keeps_directors_and_contact_as_persons_but_the_event_carries_no_personal_data(
        api: Api) -> None:
    company = api.company("Midden", directors=2)
    assert [d["role"] for d in company["directors"]] == ["director_owner", "director_owner"]
    assert all(d["person_id"] and d["email"].endswith("@example.nl") and d["language"] == "nl"
               for d in company["directors"])
    assert company["contact_person"]["phone"] == "050 123 4567"
    assert company["address"] == {"street": "Industrieweg 1", "postal_code": "9712 AB", "city": "Groningen"}
    assert company["size"] == "medium" and company["enrolments"] == []
    [event] = api.outbox(company["id"])
    validate_event(event)
    assert event["data"] == {"company_id": company["id"], "name": company["name"],
                             "kvk_number": company["kvk_number"], "region": "Midden"}


@pytest.mark.parametrize(("field", "value", "name"), [
    ("name", "", "name"), ("kvk_number", "1234", "kvk_number"), ("kvk_number", 12345678, "kvk_number"),
    ("region", " ", "region"), ("size", "huge", "size"),
    ("address", {"postal_code": "12345"}, "address.postal_code"), ("address", {"city": 5}, "address.city"),
    ("directors", [{"name": "D", "email": "not-an-email"}], "directors.0.email"),
    ("directors", [{"name": "", "email": "d@x.nl"}], "directors.0.name"),
    ("directors", [{"name": "D", "email": "d@x.nl", "role": "ceo"}], "directors.0.role"),
    ("directors", [{"name": "D", "email": "d@x.nl", "language": "de"}], "directors.0.language"),
    ("directors", [{"name": "D", "email": "d@x.nl", "phone": "call me"}], "directors.0.phone"),
    ("contact_person", {"name": "C"}, "contact_person.email"),
])
def test_each_bad_field_is_a_422_naming_it(api: Api, field: str, value: object, name: str) -> None:
    kvk = next_kvk()
    response = api.post("/api/v1/companies", {"name": "X", "kvk_number": kvk, "region": "Noord", field: value})
    assert response.status_code == 422, response.get_json()
    assert name in [p["name"] for p in response.get_json()["invalid_params"]]
    assert api.ok(api.get(f"/api/v1/companies?q={kvk}"))["total"] == 0


def test_duplicate_kvk_is_409_and_creates_no_persons(api: Api) -> None:
    company = api.company()
    response = api.post("/api/v1/companies", {"name": "Kopie", "kvk_number": company["kvk_number"],
                                              "region": "Zuid", "directors": [{"name": "Z", "email": "z@z.nl"}]})
    assert response.status_code == 409
    assert response.get_json()["invalid_params"] == [{"name": "kvk_number", "reason": "already registered"}]
    with psycopg.connect(api.settings.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM persons WHERE email = 'z@z.nl'").fetchone() == (0,)


def test_search_by_name_kvk_region_status_and_programme(api: Api) -> None:
    programme = api.programme()
    admitted = api.enrolment("admitted", programme=programme, region="Zuid")
    interested = api.enrolment("interested", programme=programme, region="Zuid")
    other = api.company("Zuid")

    def ids(query: str) -> set[str]:
        return {c["id"] for c in api.ok(api.get(f"/api/v1/companies?{query}&page_size=100"))["items"]}

    assert ids(f"programme_id={programme['id']}") == {admitted["company_id"], interested["company_id"]}
    assert ids(f"programme_id={programme['id']}&status=admitted") == {admitted["company_id"]}
    assert ids(f"q={other['kvk_number']}") == {other["id"]}
    assert ids(f"q={other['name'][-8:]}&region=Zuid") == {other["id"]}
    assert ids(f"q={other['kvk_number']}&region=Noord") == set()
    found = api.ok(api.get(f"/api/v1/companies/{admitted['company_id']}"))
    assert found["enrolments"] == [{"id": admitted["id"], "programme_id": programme["id"], "state": "admitted"}]
    bad = api.get("/api/v1/companies?status=dreaming&programme_id=nope")
    assert bad.status_code == 422
    assert {p["name"] for p in bad.get_json()["invalid_params"]} == {"status", "programme_id"}


def test_update_changes_details_and_replaces_directors(api: Api) -> None:
    company = api.company()
    updated = api.ok(api.patch(f"/api/v1/companies/{company['id']}", {
        "name": "Nieuwe Naam BV", "size": "large", "address": {"city": "Assen"},
        "directors": [{"name": "Nieuwe Directeur", "email": "nd@example.nl", "language": "en"}],
        "contact_person": None}))
    assert updated["name"] == "Nieuwe Naam BV" and updated["size"] == "large"
    assert updated["address"] == {"street": "", "postal_code": "", "city": "Assen"}
    assert [(d["name"], d["language"], d["role"]) for d in updated["directors"]] == [
        ("Nieuwe Directeur", "en", "director")]
    assert updated["contact_person"] is None
    assert api.patch(f"/api/v1/companies/{company['id']}", {"kvk_number": "11111111"}).status_code == 422
    assert api.patch(f"/api/v1/companies/{company['id']}", {"name": "x"}, role="coordinator").status_code == 403
    missing = api.patch("/api/v1/companies/00000000-0000-4000-8000-000000000000", {"name": "x"})
    assert missing.status_code == 404


def test_coordinators_read_their_regions_only_and_others_nothing(api: Api) -> None:
    noord, zuid = api.company("Noord"), api.company("Zuid")
    listing = api.ok(api.get("/api/v1/companies?page_size=100", role="coordinator", regions=["Noord"]))
    assert {c["region"] for c in listing["items"]} == {"Noord"} and noord["id"] in {c["id"] for c in listing["items"]}
    assert api.get(f"/api/v1/companies/{zuid['id']}", role="coordinator", regions=["Noord"]).status_code == 404
    assert api.get(f"/api/v1/companies/{noord['id']}", role="coordinator", regions=["Noord"]).status_code == 200
    for role in ("facilitator", "reporting_consumer"):
        assert api.get("/api/v1/companies", role=role).status_code == 403
        assert api.get(f"/api/v1/companies/{noord['id']}", role=role).status_code == 403
        assert api.post("/api/v1/companies", {"name": "X"}, role=role).status_code == 403
        assert api.patch(f"/api/v1/companies/{noord['id']}", {"name": "x"}, role=role).status_code == 403


def test_a_director_given_again_with_the_same_email_keeps_their_person_id(api: Api) -> None:
    company = api.company()
    director = company["directors"][0]
    updated = api.ok(api.patch(f"/api/v1/companies/{company['id']}", {"directors": [
        {"name": "Nieuwe Naam", "email": director["email"].upper(), "role": "director"},
        {"name": "Tweede", "email": "tweede@example.nl"}]}))
    first, second = updated["directors"]
    assert first["person_id"] == director["person_id"] and first["name"] == "Nieuwe Naam"
    assert second["person_id"] != director["person_id"]


@pytest.mark.parametrize(("field", "value", "name"), [
    ("name", "", "name"), ("size", "giant", "size"), ("address", {"postal_code": "x"}, "address.postal_code"),
    ("directors", [{"name": "D"}], "directors.0.email"), ("contact_person", {"email": "c@x.nl"}, "contact_person.name"),
    ("region", "Zuid", "region"),
])
def test_each_bad_patch_field_is_a_422(api: Api, field: str, value: object, name: str) -> None:
    company = api.company()
    response = api.patch(f"/api/v1/companies/{company['id']}", {field: value})
    assert response.status_code == 422 and name in [p["name"] for p in response.get_json()["invalid_params"]]
    assert api.ok(api.get(f"/api/v1/companies/{company['id']}")) == company


def test_a_data_subject_is_found_by_email(api: Api) -> None:
    company = api.company()
    director = company["directors"][0]
    found = api.ok(api.get(f"/api/v1/persons?email={director['email'].upper()}"))
    assert [p["person_id"] for p in found["items"]] == [director["person_id"]]
    assert api.get("/api/v1/persons").status_code == 422
