"""Notifications' pages with the Flask test client: every page renders for its roles, forms change state
or show errors at their fields (and change nothing), and the API's access rules hold on the pages."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from services.notifications.domain import KINDS
from tests.integration.notifications.conftest import START, Notifier, SmtpServer
from tests.integration.notifications.programme import Person, Programme, staff
from tests.support import bearer

pytestmark = pytest.mark.integration


def admin(n: Notifier) -> dict[str, Any]:
    return bearer(n.settings, "fund_admin", sub="beheerder")


def html(client: FlaskClient, path: str, headers: dict[str, Any], status: int = 200) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == status, (path, response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def some_mail(n: Notifier, smtp: SmtpServer) -> tuple[Programme, Person, Person]:
    """An admitted company with two delegates, one of whom cancels a registration (mail cancelled)."""
    p = Programme(n)
    director = Person("Els Bakker", "els@betonnoord.nl")
    c = p.company("Betonbouw Noord BV", "Noord", director)
    p.admit(c)
    anna, piet = Person("Anna Visser", "anna@betonnoord.nl"), Person("Piet Smit", "piet@betonnoord.nl")
    for person in (anna, piet):
        p.delegate(c, person)
    s = p.session("Noord", START + timedelta(days=10), [])
    for person in (anna, piet):
        p.invite(s, c, person)
        p.register(s, c, person)
    p.unregister(s, c, piet)
    n.send()
    return p, anna, piet


def test_the_delivery_log_filters_searches_and_shows_each_state_with_its_reason(
        notifier: Notifier, smtp: SmtpServer) -> None:
    _p, anna, piet = some_mail(notifier, smtp)
    client = notifier.app.test_client()
    page = html(client, "/deliveries", admin(notifier))
    assert "Verzendlog" in page and "Verstuurd" in page and "Geannuleerd" in page
    # the reason of the cancelled mail next to its state, Dutch first (the worker records it in English)
    assert '<span class="pa-reason">De aanmelding is geannuleerd</span>' in page
    assert "Anna Visser" in page and "Uitnodiging sessie" in page
    found = html(client, "/deliveries?q=piet%40betonnoord", admin(notifier))
    assert "Piet Smit" in found and "Anna Visser" not in found
    assert html(client, f"/deliveries?q={anna.person_id}", admin(notifier)).count("Anna Visser") >= 1
    # Both answered their invitation (reminders to answer cancelled); only Piet's session reminder is.
    cancelled = html(client, "/deliveries?status=cancelled&kind=session_reminder", admin(notifier))
    assert "Anna Visser" not in cancelled and "Piet Smit" in cancelled
    none = html(client, "/deliveries?kind=drip", admin(notifier))
    assert "Geen mails gevonden" in none and "Filters wissen" in none
    bad = html(client, "/deliveries?kind=pigeon", admin(notifier), 422)
    assert 'id="field-kind-error"' in bad and "Kies een van de mogelijkheden" in bad
    detail_link = re.search(r'href="(/deliveries/[0-9a-f-]{36})"', page)
    assert detail_link is not None
    assert "Aanleiding" in html(client, detail_link.group(1), admin(notifier))
    html(client, "/deliveries/not-a-uuid", admin(notifier), 404)
    # English through the language cookie
    client.set_cookie("lang", "en")
    assert "Delivery log" in html(client, "/deliveries", admin(notifier))


def test_the_delivery_log_pages_on_the_server(notifier: Notifier, smtp: SmtpServer) -> None:
    p = Programme(notifier)
    c = p.company("Grote Bouw BV", "Zuid", Person("Directeur", "dir@grotebouw.nl"))
    p.admit(c)
    s = p.session("Zuid", START + timedelta(days=10), [])
    for i in range(30):
        person = Person(f"Deelnemer {i:02d}", f"d{i}@grotebouw.nl")
        p.delegate(c, person)
        p.invite(s, c, person)
    client = notifier.app.test_client()
    first = html(client, "/deliveries?kind=session_invitation", admin(notifier))
    assert "Pagina 1 van 2" in first and 'rel="next"' in first and "kind=session_invitation" in first
    second = html(client, "/deliveries?kind=session_invitation&page=2", admin(notifier))
    assert second.count('<tr class="utrecht-table__row">') == 1 + 5  # header row + the last 5


def test_template_previews_show_every_kind_in_dutch_and_english(notifier: Notifier) -> None:
    client = notifier.app.test_client()
    index = html(client, "/templates", admin(notifier))
    for kind in KINDS:
        assert f"/templates/{kind}" in index
        page = html(client, f"/templates/{kind}", admin(notifier))
        assert "Nederlands" in page and "Engels" in page and "<iframe" in page and "srcdoc=" in page
    invitation = html(client, "/templates/session_invitation", admin(notifier))
    assert "sessie.ics" in invitation and "session.ics" in invitation
    html(client, "/templates/pigeon", admin(notifier), 404)


def test_a_campaign_is_created_with_its_steps_and_changes_state(notifier: Notifier) -> None:
    p = Programme(notifier, name="Programma Campagnes")
    client = notifier.app.test_client()
    assert "Nog geen campagnes" in html(client, "/campaigns", admin(notifier))
    form = html(client, "/campaigns/new", admin(notifier))
    assert "Programma Campagnes" in form and 'name="steps-2-body-nl"' in form
    more = client.post("/campaigns/new", headers=admin(notifier), data={"step_rows": "3", "add_step": "1",
                                                                        "name": "Boosters"})
    assert more.status_code == 200 and 'name="steps-3-body-nl"' in more.get_data(as_text=True)
    bad = client.post("/campaigns/new", headers=admin(notifier), data={
        "step_rows": "3", "name": "", "job_levels": ["manager"],
        "steps-1-offset_days": "400", "steps-1-subject-nl": "Stap", "steps-1-body-nl": ""})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    for field in ("name", "steps-1-offset_days", "steps-1-body-nl"):
        assert f'id="field-{field}-error"' in text, field
    assert notifier.rows("SELECT * FROM campaigns") == []
    good = client.post("/campaigns/new", headers=admin(notifier), data={
        "step_rows": "3", "name": "Skills boosters", "programme_id": p.programme_id,
        "job_levels": ["manager", "foreman"],
        "steps-0-offset_days": "7", "steps-0-subject-nl": "Het goede gesprek", "steps-0-body-nl": "Vraag door.",
        "steps-0-subject-en": "The right conversation", "steps-0-body-en": "Ask more.",
        "steps-2-offset_days": "21", "steps-2-subject-nl": "Veilig werken", "steps-2-body-nl": "Kijk om je heen."})
    assert good.status_code == 303
    [row] = notifier.rows("SELECT * FROM campaigns")
    assert row["name"] == "Skills boosters" and [st["offset_days"] for st in row["steps"]] == [7, 21]
    assert row["steps"][1]["subject"] == {"nl": "Veilig werken"}
    detail = html(client, good.headers["Location"], admin(notifier))
    assert "Het goede gesprek" in detail and "21 dagen na delegatie" in detail and "Actief" in detail
    assert "Programma Campagnes" in html(client, "/campaigns", admin(notifier))
    dup = client.post("/campaigns/new", headers=admin(notifier), data={
        "step_rows": "1", "name": "Skills boosters", "job_levels": ["manager"],
        "steps-0-offset_days": "1", "steps-0-subject-nl": "x", "steps-0-body-nl": "y"})
    assert dup.status_code == 422 and "al een campagne met deze naam" in dup.get_data(as_text=True)
    paused = client.post(f"/campaigns/{row['id']}/pause", headers=admin(notifier))
    assert paused.status_code == 303
    assert notifier.rows("SELECT status FROM campaigns")[0]["status"] == "paused"
    again = client.post(f"/campaigns/{row['id']}/pause", headers=admin(notifier), follow_redirects=True)
    assert "Dit kan niet" in again.get_data(as_text=True)
    client.post(f"/campaigns/{row['id']}/stop", headers=admin(notifier))
    stopped = html(client, f"/campaigns/{row['id']}", admin(notifier))
    assert "Gestopt" in stopped and "/resume" not in stopped
    assert client.post(f"/campaigns/{row['id']}/explode", headers=admin(notifier)).status_code == 404


def test_the_staff_directory_adds_edits_and_removes_people(notifier: Notifier) -> None:
    client = notifier.app.test_client()
    staff(notifier, "coord-noord", "coordinator", "Noor Jansen", "noor@fonds.nl", ["Noord"])
    listing = html(client, "/staff", admin(notifier))
    assert "Noor Jansen" in listing and "Medewerker toevoegen" in listing
    bad = client.post("/staff/new", headers=admin(notifier), data={
        "staff_id": "met spatie", "role": "coordinator", "name": "", "email": "geen-adres", "language": "nl"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    for field in ("staff_id", "name", "email", "regions"):
        assert f'id="field-{field}-error"' in text, field
    assert "Kies minstens één regio" in text
    assert len(notifier.rows("SELECT * FROM staff")) == 1
    taken = client.post("/staff/new", headers=admin(notifier), data={
        "staff_id": "coord-noord", "role": "facilitator", "name": "X", "email": "x@fonds.nl"})
    assert taken.status_code == 422 and "bestaat al" in taken.get_data(as_text=True)
    made = client.post("/staff/new", headers=admin(notifier), data={
        "staff_id": "coord-midden", "role": "coordinator", "name": "Mila de Wit", "email": "mila@fonds.nl",
        "language": "en", "regions": ["Noord"], "other_regions": "Midden, Oost"})
    assert made.status_code == 303
    row = notifier.rows("SELECT * FROM staff WHERE staff_id = 'coord-midden'")[0]
    assert row["regions"] == ["Noord", "Midden", "Oost"] and row["language"] == "en"
    assert "Mila de Wit" in html(client, "/staff?region=Oost", admin(notifier))
    form = html(client, "/staff/coord-midden/edit", admin(notifier))
    assert 'value="mila@fonds.nl"' in form
    edited = client.post("/staff/coord-midden/edit", headers=admin(notifier), data={
        "role": "facilitator", "name": "Mila de Wit", "email": "mila@fonds.nl", "language": "nl",
        "regions": ["Noord"]})
    assert edited.status_code == 303
    row = notifier.rows("SELECT * FROM staff WHERE staff_id = 'coord-midden'")[0]
    assert row["role"] == "facilitator" and row["regions"] == []
    assert "Weet u het zeker?" in html(client, "/staff/coord-midden/delete", admin(notifier))
    assert client.post("/staff/coord-midden/delete", headers=admin(notifier)).status_code == 303
    assert notifier.rows("SELECT * FROM staff WHERE staff_id = 'coord-midden'") == []
    html(client, "/staff/coord-midden/edit", admin(notifier), 404)


def test_the_pages_keep_the_apis_access_rules(notifier: Notifier) -> None:
    client = notifier.app.test_client()
    staff(notifier, "coord-noord", "coordinator", "Noor Jansen", "noor@fonds.nl", ["Noord"])
    anonymous = client.get("/deliveries")
    assert anonymous.status_code == 302 and "/auth/login?next=" in anonymous.headers["Location"]
    coordinator = bearer(notifier.settings, "coordinator", regions=["Noord"])
    for path in ("/deliveries", "/campaigns", "/campaigns/new", "/templates", "/templates/admission",
                 "/staff/new", "/staff/coord-noord/edit"):
        assert client.get(path, headers=coordinator).status_code == 403, path
    # Coordinators may read the directory (as GET /api/v1/staff), not change it.
    listing = html(client, "/staff", coordinator)
    assert "Noor Jansen" in listing and "Medewerker toevoegen" not in listing and "/edit" not in listing
    assert client.post("/staff/new", headers=coordinator, data={
        "staff_id": "x", "role": "facilitator", "name": "X", "email": "x@fonds.nl"}).status_code == 403
    assert client.post("/staff/coord-noord/delete", headers=coordinator).status_code == 403
    consumer = bearer(notifier.settings, "reporting_consumer")
    assert client.get("/staff", headers=consumer).status_code == 403
    assert len(notifier.rows("SELECT * FROM staff")) == 1
