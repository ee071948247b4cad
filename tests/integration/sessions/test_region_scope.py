"""Issue 12: a coordinator asking for another region's sessions or delegates gets 403, not an empty 200."""

from __future__ import annotations

import pytest

from tests.integration.sessions.world import World

pytestmark = pytest.mark.integration


def test_listing_another_regions_sessions_is_forbidden(world: World) -> None:
    pid = world.programme()
    world.schedule(pid, region="Zuid")
    world.schedule(pid, region="Noord")
    noord = world.coordinator("Noord")
    refused = world.client.get("/api/v1/sessions?region=Zuid", headers=noord)
    assert refused.status_code == 403
    assert refused.content_type == "application/problem+json" and "Zuid" in refused.get_json()["detail"]
    own = world.client.get("/api/v1/sessions?region=Noord", headers=noord).get_json()
    assert own["total"] == 1
    assert world.client.get("/api/v1/sessions", headers=noord).get_json()["total"] == 1  # no filter: own regions
    assert world.client.get("/api/v1/sessions?region=Zuid", headers=world.admin).get_json()["total"] == 1
    # A facilitator is confined to their own sessions; a region filter only narrows those.
    assert world.client.get("/api/v1/sessions?region=Zuid", headers=world.facilitator("zoe")).status_code == 200


def test_listing_another_regions_delegates_is_forbidden(world: World) -> None:
    pid = world.programme()
    world.company(pid, "Zuid")
    noord = world.coordinator("Noord")
    refused = world.client.get(f"/api/v1/delegates?programme_id={pid}&region=Zuid", headers=noord)
    assert refused.status_code == 403 and refused.content_type == "application/problem+json"
    assert world.client.get(f"/api/v1/delegates?programme_id={pid}&region=Zuid",
                            headers=world.admin).get_json()["total"] == 3
