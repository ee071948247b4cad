"""The final report's programme run through the API alone ("done when" of issue 4).

Nine regional dialogue sessions (10-12 places) and six online intervision
sessions (4-8 places, two facilitators); invitations, registrations and
cancellations through signed links with waiting-list moves, two companies
withdrawing before the intervision, attendance, closing, and evaluations
averaging near the report's 7.6. Enrolment's facts arrive as its events.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from services.common.events import validate_event
from services.common.signed_links import sign
from tests.integration.sessions.world import Company, World, future

pytestmark = pytest.mark.integration
REGIONS = ("Noord", "Midden", "Zuid")
SCORES = (8, 7, 8, 7, 8)  # the report's average: 7.6


def test_the_final_reports_programme_through_the_api(world: World) -> None:
    pid = world.programme()
    companies: dict[str, list[Company]] = {r: [world.company(pid, r, delegates=3) for _ in range(4)] for r in REGIONS}
    coordinators = {r: world.coordinator(r, sub=f"coord-{r}") for r in REGIONS}
    secret = world.settings.link_secret
    service = world.app.extensions["sessions"]

    def link(action: str, session_id: str, person: str, **body: Any) -> Any:
        token = sign(secret, action, {"session_id": session_id, "person_id": person}, 3600)
        r = world.client.post(f"/api/v1/links/{action}?token={token}", json=body,
                              headers={"Accept": "application/json"})
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def run(session: dict[str, Any], region: str, absent: set[str], facilitator: str) -> list[str]:
        """Hold a session: attendance by a facilitator, closing by the coordinator; return attendees."""
        world.set_clock(_start(session) + timedelta(minutes=session["duration_minutes"] + 30))
        regs = world.client.get(f"/api/v1/sessions/{session['id']}/registrations?status=registered",
                                headers=coordinators[region]).get_json()["items"]
        records = [{"registration_id": r["id"], "attendance": "no_show" if r["person_id"] in absent else "attended"}
                   for r in regs]
        r = world.client.post(f"/api/v1/sessions/{session['id']}/attendance", json={"records": records},
                              headers=world.facilitator(facilitator))
        assert r.status_code == 200, r.get_json()
        closed = world.client.post(f"/api/v1/sessions/{session['id']}/closing", headers=coordinators[region])
        assert closed.get_json()["status"] == "held"
        return [r["person_id"] for r in regs if r["person_id"] not in absent]

    # -- nine dialogue sessions: three per region, 10-12 places, at a regional venue ----------------
    dialogues: list[tuple[str, dict[str, Any]]] = []
    for k in range(3):
        for i, region in enumerate(REGIONS):
            dialogues.append((region, world.schedule(
                pid, coordinators[region], region=region, type="dialogue", sequence_number=k + 1,
                starts_at=future(14 + 7 * k + 2 * i).isoformat(), capacity_min=10, capacity_max=12 if k else 10,
                facilitator_ids=["gespreksleider-a"], working_method="incidentmethode")))
    moved = 0
    for region, session in dialogues:
        invited = world.client.post(f"/api/v1/sessions/{session['id']}/invitations", json={},
                                    headers=coordinators[region]).get_json()
        assert invited["count"] == 12
        people = [p for c in companies[region] for p in c.people]
        answers = [link("confirm", session["id"], p) for p in people]
        if session["capacity_max"] == 10:
            assert [a["status"] for a in answers].count("waitlisted") == 2
            # Two people cancel (afzeggen): the waiting list moves up in order.
            link("cancel", session["id"], people[0])
            link("cancel", session["id"], people[1])
            moved += 2
    promoted = world.events("WaitlistPromoted")
    assert len(promoted) == moved == 6

    absent_once = {companies[r][0].people[2] for r in REGIONS}
    attendees: dict[str, list[str]] = {}
    for region, session in sorted(dialogues, key=lambda x: x[1]["starts_at"]):
        attendees[session["id"]] = run(session, region, absent_once if session["sequence_number"] == 1 else set(),
                                       "gespreksleider-a")
        for n, person in enumerate(attendees[session["id"]]):
            link("evaluate", session["id"], person, score=SCORES[n % len(SCORES)],
                 comment="Mooie gesprekken" if n == 0 else None)

    # -- two companies drop out before the intervision (one for understaffing) -----------------------
    world.set_clock(future(45))
    leaving = [companies["Noord"][3], companies["Zuid"][3]]
    for company in leaving:
        world.withdraw(company)
    withdrawn = {c.company_id for c in leaving}

    # -- six online intervision sessions: two per region, 4-8 places, two facilitators --------------
    intervisions: list[tuple[str, dict[str, Any]]] = []
    for k in range(2):
        for i, region in enumerate(REGIONS):
            intervisions.append((region, world.schedule(
                pid, coordinators[region], region=region, type="intervision", format="online", venue_address=None,
                online_url=f"https://teams.example/{region}/{k}", starts_at=future(50 + 7 * k + 2 * i).isoformat(),
                duration_minutes=120, capacity_min=4, capacity_max=8, sequence_number=k + 1,
                facilitator_ids=["gespreksleider-a", "gespreksleider-b"], working_method="intervisie")))
    for region, session in intervisions:
        world.client.post(f"/api/v1/sessions/{session['id']}/invitations", json={}, headers=coordinators[region])
        eligible = [p for c in companies[region] if c.company_id not in withdrawn for p in c.people]
        half = eligible[: len(eligible) // 2] if session["sequence_number"] == 1 else eligible[len(eligible) // 2:]
        for person in half:
            assert link("confirm", session["id"], person)["status"] == "registered"
        # A delegate of a withdrawn company is refused, also through a link.
        if region in ("Noord", "Zuid"):
            token = sign(secret, "confirm", {"session_id": session["id"],
                                             "person_id": companies[region][3].people[0]}, 3600)
            refused = world.client.post(f"/api/v1/links/confirm?token={token}", headers={"Accept": "application/json"})
            assert refused.status_code == 409
    for region, session in sorted(intervisions, key=lambda x: x[1]["starts_at"]):
        attendees[session["id"]] = run(session, region, set(), "gespreksleider-b")
        for n, person in enumerate(attendees[session["id"]]):
            link("evaluate", session["id"], person, score=SCORES[(n + 1) % len(SCORES)])

    # -- what the final report needs, as the API and the event stream tell it ----------------------
    held = world.client.get("/api/v1/sessions?status=held&page_size=100", headers=world.admin).get_json()
    by_type = {t: sum(1 for s in held["items"] if s["type"] == t) for t in ("dialogue", "intervision")}
    assert held["total"] == 15 and by_type == {"dialogue": 9, "intervision": 6}
    assert all(s["format"] == "online" and len(s["facilitator_ids"]) == 2 and s["capacity_max"] == 8
               for s in held["items"] if s["type"] == "intervision")
    scores = [e["data"]["score"] for e in world.events("EvaluationSubmitted")]
    assert len(scores) == sum(len(a) for a in attendees.values())
    assert 7.4 <= sum(scores) / len(scores) <= 7.8
    summary = world.client.get(f"/api/v1/sessions/{dialogues[3][1]['id']}/evaluation-summary",
                               headers=coordinators[dialogues[3][0]]).get_json()
    assert summary["count"] == 12 and 7.0 <= summary["average"] <= 8.0 and summary["comments"] == ["Mooie gesprekken"]
    assert len(world.events("SessionHeld")) == 15
    assert all(len(a) >= 4 for a in attendees.values())
    events = world.events()
    assert len({e["id"] for e in events}) == len(events)
    for event in events:
        validate_event(event)
    assert service.decisions.check_below_minimum() == []  # everything is held; nothing to alert


def _start(session: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(session["starts_at"])
