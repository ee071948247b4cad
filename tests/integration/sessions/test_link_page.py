"""Issue 12: a link page names the session fully (programme, type, local start and end, format and place),
so someone with two sessions on one day can tell which one the link is for."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from services.common.signed_links import sign
from tests.integration.sessions.world import World

pytestmark = pytest.mark.integration
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PERSON = "8f1f4bb2-54a4-4c52-9a43-5b0e8d6c1d9e"
DAYS_NL = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]


def _page(world: World, session: dict[str, object], action: str = "evaluate") -> str:
    token = sign(world.settings.link_secret, action, {"session_id": session["id"], "person_id": PERSON},
                 3600)
    r = world.client.get(f"/api/v1/links/{action}?token={token}")
    assert r.status_code == 200 and r.mimetype == "text/html"
    return r.get_data(as_text=True)


def test_the_page_names_programme_local_time_format_and_place(world: World) -> None:
    pid = world.programme()
    venue = world.schedule(pid, venue_address="Stationsplein 1, Groningen", duration_minutes=150)
    html = _page(world, venue)
    local = datetime.fromisoformat(str(venue["starts_at"])).astimezone(AMSTERDAM)
    assert f"{DAYS_NL[local.weekday()]} {local.day} " in html and f"{local:%H:%M}" in html
    assert "Vanzelfsprekend" in html and "Dialoogsessie" in html
    assert "Stationsplein 1, Groningen" in html and "regionale locatie" in html
    assert html.index("Dialoogsessie") < html.index("Dialogue session")  # Dutch first, English second
    online = world.schedule(pid, format="online", venue_address=None, online_url="https://teams.example/m/1",
                            facilitator_ids=["fac-a", "fac-b"])
    assert "Microsoft Teams" in _page(world, online, "confirm")
    # The page is HTML from a template: a hostile address is escaped, not markup.
    odd = world.schedule(pid, venue_address="<script>alert(1)</script> Zwolle")
    assert "<script>alert(1)</script>" not in _page(world, odd)
