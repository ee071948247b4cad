"""The external stream on a real database: no personal data in any field, the pull
feed without gaps, and webhooks to a real HTTP receiver: signed (verified with the
README's snippet), retried with backoff, disabled after 24 h, caught up in order."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from flask import Flask

from services.common.auth import Principal
from services.common.config import Settings
from services.common.events import validate_event
from services.reporting.app import create_app
from services.reporting.service import Reporting
from services.reporting.webhooks import Dispatcher, Outcome, new_secret
from tests.conftest import db_platform
from tests.integration.reporting.scripted import build
from tests.integration.reporting.support import Receiver, feed_all, readme_verifier
from tests.support import bearer

pytestmark = pytest.mark.integration
SCRIPT = build()
KEPT_IDS = {"programme_id", "session_id"}
FORBIDDEN_KEYS = {"name", "email", "contact", "director", "kvk_number", "venue_address", "online_url", "reason",
                  "reason_text", "score", "location", "recipient_id"}
PSEUDONYM = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def external(settings: Settings) -> list[dict[str, Any]]:
    with psycopg.connect(settings.database_url) as conn:
        return [r[0] for r in conn.execute("SELECT payload FROM external_events ORDER BY position")]


@pytest.fixture(scope="module")
def stream(scripted: Settings) -> Settings:
    """The scripted programme's stream (module-wide; tests remove the subscriptions they make)."""
    return scripted


@pytest.fixture
def receiver(stream: Settings) -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
    # The database is shared by the module: the next test starts without subscriptions.
    with psycopg.connect(stream.database_url) as conn:
        conn.execute("DELETE FROM subscriptions")


@pytest.fixture
def app(stream: Settings) -> Iterator[Flask]:
    app = create_app(stream)
    yield app
    app.config["POOL"].close()


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}[{i}]")
    else:
        yield path, value


def test_no_personal_data_in_any_field_of_any_external_event(stream: Settings) -> None:
    events = external(stream)
    with psycopg.connect(stream.database_url) as conn:
        outbox = [r[0] for r in conn.execute("SELECT payload FROM outbox ORDER BY id")]
    assert outbox == events  # the Kafka topic carries exactly the feed's events, in the same order
    assert len(events) > 400
    assert {e["type"] for e in events} >= {"progadmin.reporting.PublicCompanyAdmitted.v1",
                                           "progadmin.reporting.PublicParticipantDelegated.v1",
                                           "progadmin.reporting.PublicSessionEvaluated.v1"}
    names = [n.lower() for n in SCRIPT.names]
    for event in events:
        validate_event(event)
        for path, value in walk(event):
            key = path.rsplit(".", 1)[-1].split("[")[0]
            programme_name = key == "name" and event["type"].endswith(("ProgrammeOpened.v1", "ProgrammeUpdated.v1"))
            assert key not in FORBIDDEN_KEYS or programme_name, path
            text = str(value).lower()
            assert "@" not in text, (path, value)
            assert not any(name in text for name in names), (path, value)
            assert str(value) not in SCRIPT.internal_ids, (event["type"], path, value)
            is_id = key.endswith(("_id", "_ids")) or key == "replaced_by"
            if path.startswith("data.") and is_id and key not in KEPT_IDS and value is not None:
                assert PSEUDONYM.match(str(value)), (event["type"], path, value)
        if event["type"].endswith("ProgrammeOpened.v1"):
            assert event["data"]["name"] == "Vanzelfsprekend Gezond en Veilig"
    # Averages only: never an individual score, and only for groups of at least 3.
    evaluated = [e["data"] for e in events if e["type"].endswith("PublicSessionEvaluated.v1")]
    assert evaluated and all(d["responses"] >= 3 for d in evaluated)
    assert [e["position"] for e in events] == list(range(1, len(events) + 1))


def test_no_individual_score_can_be_derived_from_two_published_averages(stream: Settings) -> None:
    """Averages over n and n+1 responses give away response n+1: between two publications of a session's
    average there are at least the minimum group of new responses."""
    counts: dict[str, list[int]] = {}
    for e in external(stream):
        if e["type"].endswith("PublicSessionEvaluated.v1"):
            counts.setdefault(e["data"]["session_id"], []).append(e["data"]["responses"])
    assert counts
    for published in counts.values():
        steps = [b - a for a, b in zip([0, *published], published, strict=False)]
        assert all(step >= stream.evaluation_min_group for step in steps), published


def test_a_late_event_about_an_erased_person_does_not_bring_the_pseudonym_back(pg_server: Any,
                                                                              db_templates: dict[str, str]) -> None:
    """After PublicPersonErased consumers delete that pseudonym; a fact arriving later (another topic lags)
    still counts, under a pseudonym that links to nothing."""
    from services.common.events import new_event
    from services.reporting.pseudonyms import pseudonym

    # A database of its own: the module's shared stream keeps "every attendee was delegated".
    stream = db_platform(pg_server, db_templates).settings("reporting")

    person, sid, programme = (str(uuid.uuid4()) for _ in range(3))
    place = {"session_id": sid, "programme_id": programme, "registration_id": str(uuid.uuid4()),
             "person_id": person, "company_id": str(uuid.uuid4())}
    feed_all(stream, [
        new_event("sessions", "ParticipantRegistered", sid, place),
        new_event("enrolment", "PersonErased", person, {"person_id": person, "erased_on": "2026-03-10"}),
        new_event("sessions", "AttendanceRecorded", sid, {**place, "attendance": "attended"}),
    ])
    registered, erased, attended = external(stream)
    masked = pseudonym(stream.reporting_pseudonym_secret, "person", person)
    assert registered["data"]["person_id"] == masked and erased["data"]["person_id"] == masked
    assert attended["type"].endswith("PublicAttendanceRecorded.v1")
    assert attended["data"]["person_id"] != masked and attended["data"]["attendance"] == "attended"
    assert PSEUDONYM.match(attended["data"]["person_id"])


def test_pseudonyms_are_stable_per_person(stream: Settings) -> None:
    delegated = [e["data"] for e in external(stream) if e["type"].endswith("PublicParticipantDelegated.v1")]
    attended = {e["data"]["person_id"] for e in external(stream) if e["type"].endswith("PublicAttendanceRecorded.v1")}
    assert len({d["person_id"] for d in delegated}) == 36
    assert attended <= {d["person_id"] for d in delegated}


def test_the_pull_feed_pages_through_everything_without_gaps(app: Flask, stream: Settings) -> None:
    client = app.test_client()
    token = bearer(stream, "reporting_consumer", sub="bi-team")
    seen: list[int] = []
    url = "/api/v1/feed?page_size=97"
    while True:
        body = client.get(url, headers=token).get_json()
        seen += [e["position"] for e in body["items"]]
        if not body["has_more"]:
            break
        url = body["links"]["next"]
    assert seen == [e["position"] for e in external(stream)]
    only = client.get("/api/v1/feed?type=progadmin.reporting.PublicSessionHeld.v1&page_size=100", headers=token)
    assert [e["type"] for e in only.get_json()["items"]] == ["progadmin.reporting.PublicSessionHeld.v1"] * 15
    assert client.get("/api/v1/feed", headers=bearer(stream, "coordinator", regions=["Noord"])).status_code == 403


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


CONSUMER = Principal(subject="bi-team", roles=frozenset({"reporting_consumer"}))


def _subscribe(app: Flask, url: str, types: list[str] | None = None) -> dict[str, Any]:
    service: Reporting = app.extensions["reporting"]
    return service.create_subscription(CONSUMER, {"url": url, "event_types": types or [], "description": "BI"})


def _new_events(settings: Settings, count: int, start: int = 0) -> list[int]:
    """Project `count` more facts (new sessions held); return the positions they got."""
    before = len(external(settings))
    extra = []
    for i in range(start, start + count):
        sid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"extra-{settings.database_url}-{i}"))
        from services.common.events import new_event

        extra.append(new_event("sessions", "SessionHeld", sid, {
            "session_id": sid, "programme_id": str(uuid.uuid4()), "type": "workshop", "region": "Zuid",
            "attended": 5, "no_shows": 0, "excused": 0}))
    feed_all(settings, extra)
    return [e["position"] for e in external(settings)[before:]]


def test_deliveries_are_signed_verifiable_with_the_documented_recipe_and_in_order(
        app: Flask, stream: Settings, receiver: Receiver) -> None:
    verify = readme_verifier()
    sub = _subscribe(app, receiver.url)
    positions = _new_events(stream, 3)
    dispatcher = Dispatcher(stream, app.config["POOL"])
    assert dispatcher.tick() == 3
    assert receiver.positions() == positions
    for headers, body in receiver.received:
        assert verify(sub["secret"], headers, body)
        assert not verify(new_secret(), headers, body)
        assert not verify(sub["secret"], headers, body + b" ")
        assert headers["Content-Type"].startswith("application/cloudevents+json")
    stale = {**receiver.received[0][0], "Webhook-Timestamp": str(int(receiver.received[0][0]["Webhook-Timestamp"])
                                                                   - 3600)}
    assert not verify(sub["secret"], stale, receiver.received[0][1])
    assert dispatcher.tick() == 0  # nothing twice


def test_a_failing_endpoint_is_retried_with_backoff_then_disabled_and_catches_up_without_gaps(
        app: Flask, stream: Settings, receiver: Receiver) -> None:
    clock = Clock()
    dispatcher = Dispatcher(stream, app.config["POOL"], clock=clock)
    sub = _subscribe(app, receiver.url, ["progadmin.reporting.PublicSessionHeld.v1"])
    service: Reporting = app.extensions["reporting"]
    receiver.status = 503
    missed = _new_events(stream, 4, start=100)
    waits = []
    for _ in range(200):
        dispatcher.tick()
        state = service.subscription(CONSUMER, sub["id"])
        assert state is not None
        if state["status"] == "disabled":
            break
        waits.append(state["next_attempt_at"] - clock.now)
        clock.now = state["next_attempt_at"]
    assert [w.total_seconds() for w in waits[:5]] == [30, 60, 120, 240, 480]
    assert max(waits) == timedelta(hours=1)
    assert state["status"] == "disabled" and "failing since" in state["disabled_reason"]
    assert clock.now - state["failing_since"] == timedelta(hours=24)
    # Only the first pending delivery was ever attempted: order is kept.
    log, total = service.deliveries(CONSUMER, sub["id"], None, 100, 0)  # type: ignore[misc]
    assert total == 4 and sorted(d["attempts"] for d in log) == [0, 0, 0, len(waits) + 1]
    assert receiver.received == []
    # Disabled: nothing is attempted, however much time passes.
    clock.now += timedelta(days=2)
    assert dispatcher.tick() == 0
    # The consumer is back: re-activate, and every missed event arrives in order.
    receiver.status = 200
    client = app.test_client()
    token = bearer(stream, "reporting_consumer", sub="bi-team")
    activated = client.post(f"/api/v1/subscriptions/{sub['id']}/activation", headers=token)
    assert activated.status_code == 200 and activated.get_json()["status"] == "active"
    again = client.post(f"/api/v1/subscriptions/{sub['id']}/activation", headers=token)
    assert again.status_code == 409 and again.get_json()["allowed_next"] == ["deactivation"]
    more = _new_events(stream, 2, start=200)
    assert dispatcher.tick() == 6
    assert receiver.positions() == missed + more


def test_an_endpoint_that_now_resolves_privately_is_not_called_in_production(
        app: Flask, stream: Settings, receiver: Receiver) -> None:
    """Checked again at send time: DNS may point a registered host inside the network later."""
    sub = _subscribe(app, "https://hooks.example.org/progadmin")
    _new_events(stream, 1, start=300)
    calls: list[str] = []

    def send(url: str, body: bytes, headers: dict[str, str], timeout: float, connect_to: str | None) -> Any:
        calls.append(url)
        raise AssertionError("must not be called")

    production = Dispatcher(stream.with_(env="production"), app.config["POOL"], send=send,
                            resolver=lambda host: ["10.0.0.7"])
    assert production.tick() == 0 and calls == []
    service: Reporting = app.extensions["reporting"]
    log, _ = service.deliveries(CONSUMER, sub["id"], None, 10, 0)  # type: ignore[misc]
    assert log[0]["attempt_log"][0]["error"].startswith("endpoint refused: resolves to a private")
    service.delete_subscription(CONSUMER, sub["id"])


def test_production_connects_to_the_address_it_checked(app: Flask, stream: Settings, receiver: Receiver) -> None:
    """DNS rebinding: the dispatcher hands the sender the vetted address, so no second lookup decides."""
    sub = _subscribe(app, "https://hooks.example.org/progadmin")
    _new_events(stream, 1, start=400)
    calls: list[tuple[str, str | None]] = []

    def send(url: str, body: bytes, headers: dict[str, str], timeout: float, connect_to: str | None) -> Any:
        calls.append((url, connect_to))
        return Outcome(ok=True, status_code=204, error=None, duration_ms=1)

    production = Dispatcher(stream.with_(env="production"), app.config["POOL"], send=send,
                            resolver=lambda host: ["93.184.216.34"])
    assert production.tick() == 1
    assert calls == [("https://hooks.example.org/progadmin", "93.184.216.34")]
    app.extensions["reporting"].delete_subscription(CONSUMER, sub["id"])


def test_replay_from_a_point_in_time_and_redelivery(app: Flask, stream: Settings, receiver: Receiver) -> None:
    dispatcher = Dispatcher(stream, app.config["POOL"])
    client = app.test_client()
    token = bearer(stream, "reporting_consumer", sub="bi-team")
    sub = _subscribe(app, receiver.url, ["progadmin.reporting.PublicSessionHeld.v1"])
    replay = client.post(f"/api/v1/subscriptions/{sub['id']}/replays", json={"from_position": 1}, headers=token)
    assert replay.status_code == 201, replay.get_json()
    held = [e["position"] for e in external(stream) if e["type"].endswith("PublicSessionHeld.v1")]
    assert replay.get_json()["enqueued"] == len(held)
    dispatcher.tick()
    assert receiver.positions() == held
    since = client.post(f"/api/v1/subscriptions/{sub['id']}/replays",
                        json={"since": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}, headers=token)
    assert since.get_json()["enqueued"] == 0
    log = client.get(f"/api/v1/subscriptions/{sub['id']}/deliveries?page_size=1", headers=token).get_json()
    assert log["total"] == len(held) and log["items"][0]["attempt_log"][0]["status_code"] == 204
    delivery = log["items"][0]["id"]
    again = client.post(f"/api/v1/subscriptions/{sub['id']}/deliveries/{delivery}/redelivery", headers=token)
    assert again.status_code == 201 and again.get_json()["origin"] == "redelivery"
    dispatcher.tick()
    assert receiver.positions()[-1] == log["items"][0]["position"]
    # Another consumer may not know this subscription exists.
    other = bearer(stream, "reporting_consumer", sub="ministry")
    assert client.get(f"/api/v1/subscriptions/{sub['id']}", headers=other).status_code == 404
    assert client.post(f"/api/v1/subscriptions/{sub['id']}/replays", json={"from_position": 1},
                       headers=other).status_code == 404
    assert client.get(f"/api/v1/subscriptions/{sub['id']}", headers=bearer(stream, "fund_admin")).status_code == 200
