"""Reporting's HTTP API on a real database holding the scripted programme: the final
report in every format, region scoping, the company report link, subscriptions' rules."""

from __future__ import annotations

import csv
import io

import psycopg
import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from services.common.config import Settings
from tests.integration.reporting.scripted import EXPECTED, PROGRAMME_ID, build, uid
from tests.support import bearer

pytestmark = pytest.mark.integration
SCRIPT = build()
REPORT = f"/api/v1/programmes/{PROGRAMME_ID}/final-report"


def test_the_final_report_as_json_for_a_reporting_consumer(client: FlaskClient, scripted: Settings) -> None:
    response = client.get(REPORT, headers=bearer(scripted, "reporting_consumer"))
    assert response.status_code == 200 and response.mimetype == "application/json"
    report = response.get_json()
    assert report["sessions"]["held_by_type"] == EXPECTED["sessions_held_by_type"]
    assert report["follow_up"]["label_nl"] == "8 van 10"
    assert report["evaluations"]["programme"] == EXPECTED["evaluation_programme"]
    assert client.get(REPORT).status_code == 401
    assert client.get(f"/api/v1/programmes/{uid('nope')}/final-report",
                      headers=bearer(scripted, "fund_admin")).status_code == 404
    listed = client.get("/api/v1/programmes", headers=bearer(scripted, "reporting_consumer")).get_json()
    assert listed["total"] == 1 and listed["items"][0]["name"] == "Vanzelfsprekend Gezond en Veilig"


def test_the_final_report_as_printable_html_with_svg_charts(client: FlaskClient, scripted: Settings) -> None:
    response = client.get(f"{REPORT}?format=html", headers=bearer(scripted, "fund_admin"))
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert html.count("<svg") == 5 and "@media print" in html
    assert "Slotrapportage" in html and "8 van 10" in html and "12 gestart" in html and "2 gestopt" in html
    assert "9 dialoogsessies en 6 intervisiesessies gehouden" in html
    assert not any(name in html for name in SCRIPT.names)  # no company or person names in the final report


def test_the_final_report_as_csv_and_xlsx_hold_the_same_figures(client: FlaskClient, scripted: Settings) -> None:
    token = bearer(scripted, "reporting_consumer")
    text = client.get(REPORT, headers={**token, "Accept": "text/csv"}).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert ["bedrijven / companies", "started", "totaal", "12"] in rows
    assert ["sessies / sessions", "held dialogue", "Zuid", "3"] in rows
    assert ["borging / follow-up", "adopted", "of 10", "8"] in rows
    response = client.get(f"{REPORT}?format=xlsx", headers=token)
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    book = load_workbook(io.BytesIO(response.get_data()))
    summary = [list(r) for r in book["Samenvatting"].iter_rows(values_only=True)]
    assert ["bedrijven / companies", "withdrawn", "totaal", 2] in summary
    assert ["evaluatie / evaluation", "programme average", "n=45", 7.8] in summary
    assert book["Sessies"].max_row == 1 + 16


def test_coordinators_get_their_regions_figures_only(client: FlaskClient, scripted: Settings) -> None:
    noord = bearer(scripted, "coordinator", regions=["Noord"])
    report = client.get(REPORT, headers=noord).get_json()
    assert report["scope"] == {"regions": ["Noord"]}
    assert report["sessions"]["held_by_type_and_region"] == {"dialogue": {"Noord": 3}, "intervision": {"Noord": 2}}
    # Another region's figures are refused outright, as its single resources are (issue 12).
    elsewhere = client.get(f"{REPORT}?region=Zuid", headers=noord)
    assert elsewhere.status_code == 403 and elsewhere.content_type == "application/problem+json"
    assert client.get(f"/api/v1/programmes/{PROGRAMME_ID}/companies?region=Zuid", headers=noord).status_code == 403
    assert client.get(f"{REPORT}?region=Zuid", headers=bearer(scripted, "fund_admin")).status_code == 200
    companies = client.get(f"/api/v1/programmes/{PROGRAMME_ID}/companies", headers=noord).get_json()
    assert companies["total"] == 5 and {c["region"] for c in companies["items"]} == {"Noord"}
    assert client.get("/api/v1/figures/companies", headers=noord).get_json() == {"total": 5, "by_region": {"Noord": 5}}


def test_per_company_figures_for_fund_staff(client: FlaskClient, scripted: Settings) -> None:
    admin = bearer(scripted, "fund_admin")
    page = client.get(f"/api/v1/programmes/{PROGRAMME_ID}/companies?page_size=5", headers=admin).get_json()
    assert page["total"] == 13 and len(page["items"]) == 5 and page["links"]["next"]
    everyone = client.get(f"/api/v1/programmes/{PROGRAMME_ID}/companies?page_size=100", headers=admin).get_json()
    by_id = {c["company_id"]: c for c in everyone["items"]}
    withdrawn = by_id[uid("company", 10)]
    assert withdrawn["status"] == "withdrawn" and withdrawn["withdrawal_reason"] == "understaffing"
    assert withdrawn["sessions_attended"] == 3 and withdrawn["delegates"] == 3
    assert by_id[uid("company", 0)]["follow_up_level"] == "structural"
    assert by_id[uid("company", 0)]["delegates_below_management"] == 1
    assert client.get(f"/api/v1/programmes/{PROGRAMME_ID}/companies",
                      headers=bearer(scripted, "reporting_consumer")).status_code == 403


def test_a_director_reads_the_company_report_through_a_signed_link(client: FlaskClient, scripted: Settings) -> None:
    admin = bearer(scripted, "fund_admin")
    company = uid("company", 4)
    created = client.post(f"/api/v1/programmes/{PROGRAMME_ID}/companies/{company}/report-links", headers=admin)
    assert created.status_code == 201
    path = created.get_json()["url"].split("8084", 1)[-1]
    page = client.get(path)
    assert page.status_code == 200 and "Betonbouw Veldhuis 4 BV" in page.get_data(as_text=True)
    assert "Deelname van" in page.get_data(as_text=True)
    assert client.get(path[:-3] + "abc").status_code == 404
    assert client.post(f"/api/v1/programmes/{PROGRAMME_ID}/companies/{uid('company', 99)}/report-links",
                       headers=admin).status_code == 404
    outside = client.get(f"/api/v1/programmes/{PROGRAMME_ID}/companies/{company}/report",
                         headers=bearer(scripted, "coordinator", regions=["Noord"]))
    assert outside.status_code == 404  # company 4 is in Midden


def test_subscriptions_validate_every_field_and_belong_to_their_owner(client: FlaskClient, scripted: Settings) -> None:
    owner = bearer(scripted, "reporting_consumer", sub="board")
    bad = client.post("/api/v1/subscriptions", headers=owner,
                      json={"url": "ftp://example.org/x", "event_types": ["progadmin.reporting.Nope.v1"]})
    assert bad.status_code == 422
    assert {p["name"] for p in bad.get_json()["invalid_params"]} == {"url", "event_types"}
    assert client.post("/api/v1/subscriptions", headers=bearer(scripted, "coordinator", regions=["Noord"]),
                       json={"url": "http://127.0.0.1:1/x"}).status_code == 403
    created = client.post("/api/v1/subscriptions", headers=owner, json={"url": "http://127.0.0.1:1/hook"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["secret"].startswith("whsec_") and created.headers["Location"].endswith(body["id"])
    shown = client.get(created.headers["Location"], headers=owner).get_json()
    assert "secret" not in shown and shown["status"] == "active"
    assert client.get("/api/v1/subscriptions", headers=bearer(scripted, "reporting_consumer",
                                                              sub="ministry")).get_json()["total"] == 0
    with psycopg.connect(scripted.database_url) as conn:
        audit = conn.execute("SELECT actor, action FROM audit_log WHERE subject_id = %s", (body["id"],)).fetchall()
    assert audit == [("board", "subscription.create")]
    assert client.delete(created.headers["Location"], headers=bearer(scripted, "reporting_consumer",
                                                                    sub="ministry")).status_code == 404
    assert client.delete(created.headers["Location"], headers=owner).status_code == 204
    assert client.get(created.headers["Location"], headers=owner).status_code == 404
    types = client.get("/api/v1/event-types", headers=owner).get_json()["items"]
    assert len(types) == 25 and all(t["schema"]["additionalProperties"] is False for t in types)


def test_a_reporting_consumer_gets_facilitators_only_as_stream_pseudonyms(client: FlaskClient,
                                                                         scripted: Settings) -> None:
    """Raw facilitator ids next to the stream's pseudonyms would map every pseudonym back to its person."""
    from services.reporting.pseudonyms import pseudonym

    raw = ["begeleider-anna", "begeleider-bram", "begeleider-cas"]
    staff = client.get(REPORT, headers=bearer(scripted, "fund_admin")).get_data(as_text=True)
    assert all(f in staff for f in raw)  # fund staff see who is who
    for fmt in ("json", "csv", "html"):
        body = client.get(f"{REPORT}?format={fmt}", headers=bearer(scripted, "reporting_consumer"))
        assert body.status_code == 200
        text = body.get_data(as_text=True)
        assert not any(f in text for f in raw), fmt
    report = client.get(REPORT, headers=bearer(scripted, "reporting_consumer")).get_json()
    masked = pseudonym(scripted.reporting_pseudonym_secret, "person", "begeleider-anna")
    assert masked in report["evaluations"]["by_facilitator"]
    assert any(masked in s["facilitator_ids"] for s in report["session_list"])
