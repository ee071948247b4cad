"""The HTTP API: delivery log, staff directory, suppressions, templates; auth and audit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.integration.notifications.conftest import START, Notifier, SmtpServer
from tests.integration.notifications.programme import Person, Programme
from tests.support import bearer

pytestmark = pytest.mark.integration


def admin(n: Notifier) -> dict[str, Any]:
    return bearer(n.settings, "fund_admin")


def test_delivery_log_filters_and_paginates(notifier: Notifier, smtp: SmtpServer) -> None:
    p = Programme(notifier)
    c = p.company("Betonbouw Noord BV", "Noord", Person("Els Bakker", "els@betonnoord.nl"))
    p.admit(c)
    people = [Person(f"Deelnemer {i}", f"p{i}@betonnoord.nl") for i in range(3)]
    for person in people:
        p.delegate(c, person)
    s = p.session("Noord", START + timedelta(days=10), [])
    for person in people:
        p.invite(s, c, person)
        p.register(s, c, person)
    smtp.stop()
    p.unregister(s, c, people[2])
    notifier.send()
    smtp.start()
    client = notifier.app.test_client()
    everything = client.get("/api/v1/deliveries", headers=admin(notifier)).get_json()
    # admission + digest + 3 invitations + 3 reminders + 3 reminders to answer (cancelled: they answered)
    # + the confirmation of the cancelled registration
    assert everything["total"] == 12
    first = client.get("/api/v1/deliveries?kind=session_invitation&page_size=2", headers=admin(notifier)).get_json()
    assert first["total"] == 3 and len(first["items"]) == 2 and first["links"]["prev"] is None
    second = client.get(first["links"]["next"], headers=admin(notifier)).get_json()
    assert len(second["items"]) == 1 and second["links"]["next"] is None
    retried = [i for i in first["items"] + second["items"] if i["status"] == "scheduled"]
    assert len(retried) == 2 and all(i["attempts"] == 1 and "refused" in i["last_error"] for i in retried)
    mine = client.get(f"/api/v1/deliveries?recipient_id={people[2].person_id}", headers=admin(notifier)).get_json()
    # they cancelled before anything went out: neither invitation nor reminder is sent any more
    assert {(i["kind"], i["status"], i["last_error"]) for i in mine["items"]} == {
        ("session_invitation", "cancelled", "registration cancelled"),
        ("session_reminder", "cancelled", "registration cancelled"),
        ("invitation_reminder", "cancelled", "invitee answered")} | {
        # the confirmation of their cancellation stays queued (SMTP was down)
        ("registration_cancelled", "scheduled", next(i["last_error"] for i in mine["items"]
                                                     if i["kind"] == "registration_cancelled"))}
    cancelled = client.get("/api/v1/deliveries?status=cancelled", headers=admin(notifier)).get_json()
    assert cancelled["total"] == 5  # theirs, and the other two's reminders to answer
    one = client.get(f"/api/v1/deliveries/{mine['items'][0]['id']}", headers=admin(notifier))
    assert one.status_code == 200 and one.get_json()["recipient_id"] == people[2].person_id
    assert client.get(f"/api/v1/deliveries/{s.session_id}", headers=admin(notifier)).status_code == 404
    bad = client.get("/api/v1/deliveries?status=lost&page_size=500", headers=admin(notifier))
    assert bad.status_code == 422
    assert {p["name"] for p in bad.get_json()["invalid_params"]} == {"status", "page_size"}
    assert client.get("/api/v1/deliveries").status_code == 401
    assert client.get("/api/v1/deliveries", headers=bearer(notifier.settings, "reporting_consumer")).status_code == 403


def test_staff_directory_create_replace_list_delete_and_audit(notifier: Notifier) -> None:
    client = notifier.app.test_client()
    body = {"role": "coordinator", "name": "Karin Noord", "email": "karin@fonds.nl", "regions": ["Noord"]}
    created = client.put("/api/v1/staff/coord-1", json=body, headers=admin(notifier))
    assert created.status_code == 201 and created.get_json()["language"] == "nl"
    replaced = client.put("/api/v1/staff/coord-1", json={**body, "regions": ["Noord", "Midden"], "language": "en"},
                          headers=admin(notifier))
    assert replaced.status_code == 200 and replaced.get_json()["regions"] == ["Noord", "Midden"]
    client.put("/api/v1/staff/fac-1", json={"role": "facilitator", "name": "Petra", "email": "petra@b.nl"},
               headers=admin(notifier))
    coordinator = bearer(notifier.settings, "coordinator", regions=["Midden"])
    midden = client.get("/api/v1/staff?region=Midden", headers=coordinator).get_json()
    assert [i["staff_id"] for i in midden["items"]] == ["coord-1"]
    assert client.get("/api/v1/staff?role=facilitator", headers=admin(notifier)).get_json()["total"] == 1
    bad = client.put("/api/v1/staff/coord-2", json={"role": "coordinator", "name": "", "email": "nope"},
                     headers=admin(notifier))
    assert bad.status_code == 422
    assert {p["name"] for p in bad.get_json()["invalid_params"]} == {"name", "email", "regions"}
    assert client.put("/api/v1/staff/coord-2", json=body, headers=coordinator).status_code == 403
    assert client.delete("/api/v1/staff/fac-1", headers=admin(notifier)).status_code == 204
    assert client.get("/api/v1/staff/fac-1", headers=admin(notifier)).status_code == 404
    actions = [r["action"] for r in notifier.rows("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["staff.created", "staff.updated", "staff.created", "staff.deleted"]


def test_suppressions_by_hand(notifier: Notifier) -> None:
    client = notifier.app.test_client()
    added = client.post("/api/v1/suppressions", json={"person_id": "p-1", "reason": "asked by phone"},
                        headers=admin(notifier))
    assert added.status_code == 201
    assert client.get("/api/v1/suppressions", headers=admin(notifier)).get_json()["total"] == 1
    assert client.delete("/api/v1/suppressions/p-1", headers=admin(notifier)).status_code == 204
    assert client.delete("/api/v1/suppressions/p-1", headers=admin(notifier)).status_code == 404
    assert client.post("/api/v1/suppressions", json={}, headers=admin(notifier)).status_code == 422


def test_templates_are_listed_and_previewed_in_both_languages(notifier: Notifier) -> None:
    client = notifier.app.test_client()
    kinds = client.get("/api/v1/templates", headers=admin(notifier)).get_json()
    assert len(kinds) == 21 and all(k["languages"] == ["nl", "en"] for k in kinds)
    assert {k["kind"] for k in kinds if k["optional"]} == {"progress_digest", "drip"}
    nl = client.get("/api/v1/templates/session_invitation/preview", headers=admin(notifier)).get_json()
    assert nl["subject"].startswith("Uitnodiging: dialoogsessie") and nl["attachments"] == ["sessie.ics"]
    assert "Beste Jan de Vries" in nl["text"] and "<html lang=\"nl\">" in nl["html"]
    en = client.get("/api/v1/templates/session_cancelled/preview?language=en", headers=admin(notifier)).get_json()
    assert en["subject"].startswith("Cancelled:") and en["attachments"] == ["session.ics"]
    assert client.get("/api/v1/templates/nonsense/preview", headers=admin(notifier)).status_code == 404
    assert client.get("/api/v1/templates/drip/preview?language=de", headers=admin(notifier)).status_code == 422
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/deliveries", "/api/v1/campaigns/{campaign_id}/pause", "/api/v1/unsubscribe",
            "/api/v1/staff/{staff_id}", "/api/v1/templates/{kind}/preview"} <= set(spec["paths"])
