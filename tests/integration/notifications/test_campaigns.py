"""Drip campaigns through the API, with a controllable clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.integration.notifications.conftest import START, Notifier, SmtpServer
from tests.integration.notifications.programme import Person, Programme
from tests.support import bearer

pytestmark = pytest.mark.integration

BOOSTERS = {
    "name": "skills boosters",
    "job_levels": ["manager"],
    "steps": [{"offset_days": 7 * i,
               "subject": {"nl": f"Skills booster {i + 1}", "en": f"Skills booster {i + 1} (EN)"},
               "body": {"nl": f"Tip {i + 1}: vraag door. Oefenopdracht {i + 1}.",
                        "en": f"Tip {i + 1}: ask further. Exercise {i + 1}."}} for i in range(4)],
}


def admin(n: Notifier) -> dict[str, Any]:
    return bearer(n.settings, "fund_admin")


def create(n: Notifier, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = n.app.test_client().post("/api/v1/campaigns", json=body or BOOSTERS, headers=admin(n))
    assert response.status_code == 201, response.get_json()
    assert response.headers["Location"] == f"/api/v1/campaigns/{response.get_json()['id']}"
    return dict(response.get_json())


def drip_subjects(smtp: SmtpServer, address: str) -> list[str]:
    return [str(m["Subject"]) for m in smtp.to(address) if m["X-Progadmin-Kind"] == "drip"]


def test_four_mails_one_a_week_to_managers_after_delegation(notifier: Notifier, smtp: SmtpServer) -> None:
    campaign = create(notifier)
    p = Programme(notifier)
    c = p.company("Betonbouw Noord BV", "Noord", Person("Els Bakker", "els@betonnoord.nl"))
    p.admit(c)
    p.delegate(c, Person("Anna de Jong", "anna@betonnoord.nl"))
    p.delegate(c, Person("Sam Brown", "sam@betonnoord.nl", "en"))
    p.delegate(c, Person("Frits Post", "frits@betonnoord.nl"), job_level="foreman")  # not in the audience
    rows = notifier.rows("SELECT send_after FROM deliveries WHERE kind = 'drip' ORDER BY send_after")
    assert [r["send_after"] - START for r in rows] == [timedelta(days=d) for d in (0, 0, 7, 7, 14, 14, 21, 21)]
    for week in range(4):
        notifier.send()
        assert drip_subjects(smtp, "anna@betonnoord.nl") == [f"Skills booster {i + 1}" for i in range(week + 1)]
        notifier.clock.advance(timedelta(days=6, hours=23))
        notifier.send()
        assert len(drip_subjects(smtp, "anna@betonnoord.nl")) == week + 1  # not a day early
        notifier.clock.advance(timedelta(hours=1))
    assert drip_subjects(smtp, "sam@betonnoord.nl") == [f"Skills booster {i + 1} (EN)" for i in range(4)]
    assert drip_subjects(smtp, "frits@betonnoord.nl") == []
    last = [m for m in smtp.to("anna@betonnoord.nl") if m["X-Progadmin-Kind"] == "drip"][-1]
    assert "Tip 4: vraag door" in str(last.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    assert last["List-Unsubscribe"]
    got = notifier.app.test_client().get(f"/api/v1/campaigns/{campaign['id']}", headers=admin(notifier))
    assert got.get_json()["members"] == {"active": 2}


def test_existing_delegates_join_a_new_campaign_from_now(notifier: Notifier, smtp: SmtpServer) -> None:
    p = Programme(notifier)
    c = p.company("Betonbouw Noord BV", "Noord", Person("Els Bakker", "els@betonnoord.nl"))
    p.admit(c)
    p.delegate(c, Person("Anna de Jong", "anna@betonnoord.nl"))
    notifier.clock.advance(timedelta(days=3))
    campaign = create(notifier)
    assert campaign["members"] == {"active": 1}
    notifier.send()
    assert drip_subjects(smtp, "anna@betonnoord.nl") == ["Skills booster 1"]


def test_pause_holds_mails_resume_sends_them_stop_cancels(notifier: Notifier, smtp: SmtpServer) -> None:
    client = notifier.app.test_client()
    campaign = create(notifier)
    p = Programme(notifier)
    c = p.company("Betonbouw Noord BV", "Noord", Person("Els Bakker", "els@betonnoord.nl"))
    p.admit(c)
    p.delegate(c, Person("Anna de Jong", "anna@betonnoord.nl"))
    notifier.send()
    paused = client.post(f"/api/v1/campaigns/{campaign['id']}/pause", headers=admin(notifier))
    assert paused.status_code == 200 and paused.get_json()["status"] == "paused"
    again = client.post(f"/api/v1/campaigns/{campaign['id']}/pause", headers=admin(notifier))
    assert again.status_code == 409
    assert again.get_json()["current_state"] == "paused"
    assert again.get_json()["allowed_next_states"] == ["active", "stopped"]
    notifier.clock.advance(timedelta(days=8))
    notifier.send()
    assert drip_subjects(smtp, "anna@betonnoord.nl") == ["Skills booster 1"]
    assert client.post(f"/api/v1/campaigns/{campaign['id']}/resumption",
                       headers=admin(notifier)).get_json()["status"] == "active"
    notifier.send()
    assert drip_subjects(smtp, "anna@betonnoord.nl") == ["Skills booster 1", "Skills booster 2"]
    stopped = client.post(f"/api/v1/campaigns/{campaign['id']}/stop", headers=admin(notifier))
    assert stopped.get_json()["status"] == "stopped"
    notifier.clock.advance(timedelta(days=30))
    notifier.send()
    assert len(drip_subjects(smtp, "anna@betonnoord.nl")) == 2
    assert {r["status"] for r in notifier.rows("SELECT status FROM deliveries WHERE kind = 'drip'")} == {
        "sent", "cancelled"}
    assert client.post(f"/api/v1/campaigns/{campaign['id']}/resumption",
                       headers=admin(notifier)).status_code == 409


def test_withdrawal_and_erasure_stop_campaigns_for_those_people(notifier: Notifier, smtp: SmtpServer) -> None:
    create(notifier)
    p = Programme(notifier)
    c1 = p.company("Betonbouw Noord BV", "Noord", Person("Els Bakker", "els@betonnoord.nl"))
    c2 = p.company("Prefab Zuid BV", "Zuid", Person("Piet Zuid", "piet@prefabzuid.nl"))
    for c in (c1, c2):
        p.admit(c)
    anna, karel, joost = (Person("Anna de Jong", "anna@betonnoord.nl"), Person("Karel Kok", "karel@prefabzuid.nl"),
                          Person("Joost Ruis", "joost@prefabzuid.nl"))
    p.delegate(c1, anna)
    p.delegate(c2, karel)
    p.delegate(c2, joost)
    notifier.send()
    p.withdraw(c1)
    p.erase(karel)
    notifier.clock.advance(timedelta(days=30))
    notifier.send()
    assert len(drip_subjects(smtp, "anna@betonnoord.nl")) == 1
    assert len(drip_subjects(smtp, "karel@prefabzuid.nl")) == 1
    assert len(drip_subjects(smtp, "joost@prefabzuid.nl")) == 4
    members = notifier.rows("SELECT person_id, status, stop_reason FROM campaign_members ORDER BY stop_reason")
    assert {(m["person_id"], m["status"], m["stop_reason"]) for m in members} == {
        (anna.person_id, "stopped", "company withdrew"), (karel.person_id, "stopped", "person erased"),
        (joost.person_id, "active", None)}


def test_campaign_input_is_validated(notifier: Notifier) -> None:
    client = notifier.app.test_client()
    bad = client.post("/api/v1/campaigns", headers=admin(notifier),
                      json={"name": "", "job_levels": ["boss"], "steps": [{"offset_days": -1, "subject": {}}]})
    assert bad.status_code == 422
    names = {p["name"] for p in bad.get_json()["invalid_params"]}
    assert {"name", "job_levels.0", "steps.0.offset_days", "steps.0.subject.nl", "steps.0.body"} <= names
    assert notifier.rows("SELECT * FROM campaigns") == []
    create(notifier)
    assert client.post("/api/v1/campaigns", json=BOOSTERS, headers=admin(notifier)).status_code == 409
    listed = client.get("/api/v1/campaigns?page_size=1", headers=admin(notifier)).get_json()
    assert listed["total"] == 1 and listed["items"][0]["name"] == "skills boosters"
    assert client.get("/api/v1/campaigns", headers=bearer(notifier.settings, "coordinator",
                                                            regions=["Noord"])).status_code == 403
