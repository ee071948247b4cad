"""iCalendar feeds behind unguessable tokens, across a DST change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from icalendar import Calendar

from tests.integration.sessions.world import World

pytestmark = pytest.mark.integration


def _feed(world: World, headers: dict[str, str], kind: str, subject: str) -> dict[str, str]:
    r = world.client.post("/api/v1/calendar-feeds", json={"kind": kind, "subject": subject}, headers=headers)
    assert r.status_code == 201, r.get_json()
    body: dict[str, str] = r.get_json()
    return body


def _events(world: World, url: str) -> list[Any]:
    r = world.client.get(urlsplit(url).path)
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    return list(Calendar.from_ical(r.get_data()).walk("VEVENT"))


def test_region_facilitator_and_participant_feeds_across_the_october_dst_change(world: World) -> None:
    pid = world.programme()
    person = world.company(pid, "Noord", delegates=1).people[0]
    before = world.schedule(pid, starts_at="2031-10-25T10:00:00+02:00", facilitator_ids=["fenna"])
    after = world.schedule(pid, starts_at="2031-10-27T10:00:00+01:00", facilitator_ids=["fenna"], sequence_number=2)
    world.schedule(pid, region="Zuid", starts_at="2031-10-27T10:00:00+01:00", facilitator_ids=["zoe"])
    world.register(after["id"], person)

    region = _feed(world, world.coordinator("Noord"), "region", "Noord")
    assert len(region["token"]) >= 40 and region["url"].endswith(f"/api/v1/calendars/{region['token']}.ics")
    events = _events(world, region["url"])
    assert [str(e["UID"]) for e in events] == [f"{before['id']}@progadmin", f"{after['id']}@progadmin"]
    starts = [e["DTSTART"] for e in events]
    assert [s.params["TZID"] for s in starts] == ["Europe/Amsterdam", "Europe/Amsterdam"]
    assert [(s.dt.hour, s.dt.minute) for s in starts] == [(10, 0), (10, 0)]  # local wall-clock time
    assert [s.dt.astimezone(UTC) for s in starts] == [datetime(2031, 10, 25, 8, tzinfo=UTC),
                                                       datetime(2031, 10, 27, 9, tzinfo=UTC)]
    raw = world.client.get(f"/api/v1/calendars/{region['token']}.ics").get_data(as_text=True)
    assert "BEGIN:VTIMEZONE" in raw and "TZID:Europe/Amsterdam" in raw and "SEQUENCE:0" in raw

    mine = _feed(world, world.facilitator("fenna"), "facilitator", "fenna")
    assert len(_events(world, mine["url"])) == 2
    refused = world.client.post("/api/v1/calendar-feeds", json={"kind": "facilitator", "subject": "zoe"},
                                headers=world.facilitator("fenna"))
    assert refused.status_code == 403
    other_region = world.client.post("/api/v1/calendar-feeds", json={"kind": "region", "subject": "Zuid"},
                                     headers=world.coordinator("Noord"))
    assert other_region.status_code == 403

    participant = _feed(world, world.coordinator("Noord"), "participant", person)
    [only] = _events(world, participant["url"])
    assert str(only["UID"]) == f"{after['id']}@progadmin" and str(only["SUMMARY"]) == "Dialoogsessie 2 (Noord)"

    # A cancelled session stays in the feed as CANCELLED with a higher SEQUENCE, so calendars drop it.
    world.client.post(f"/api/v1/sessions/{before['id']}/cancellation", json={"reason": "ziek"}, headers=world.admin)
    first = _events(world, region["url"])[0]
    assert str(first["STATUS"]) == "CANCELLED" and int(first["SEQUENCE"]) == 1

    # Unguessable and revocable: a wrong token is 404, only hashes are stored.
    assert world.client.get("/api/v1/calendars/guess.ics").status_code == 404
    with psycopg.connect(world.settings.database_url) as conn:
        stored = [r[0] for r in conn.execute("SELECT token_hash FROM calendar_feeds")]
    assert region["token"] not in stored and len(stored) == 3
    assert world.client.delete(f"/api/v1/calendar-feeds/{region['id']}",
                               headers=world.coordinator("Noord")).status_code == 204
    assert world.client.get(f"/api/v1/calendars/{region['token']}.ics").status_code == 404


def test_a_feed_for_no_such_region_or_a_participant_that_is_not_an_id_is_refused(world: World) -> None:
    """A bad subject is a 422 naming it, not a feed that fails (500) every time a calendar fetches it."""
    for kind, subject in (("participant", "not-a-person-id"), ("region", "  ")):
        r = world.client.post("/api/v1/calendar-feeds", json={"kind": kind, "subject": subject},
                              headers=world.admin)
        assert r.status_code == 422, (kind, r.get_json())
        assert [p["name"] for p in r.get_json()["invalid_params"]] == ["subject"]
    with psycopg.connect(world.settings.database_url) as conn:
        row = conn.execute("SELECT count(*) FROM calendar_feeds").fetchone()
    assert row is not None and row[0] == 0
