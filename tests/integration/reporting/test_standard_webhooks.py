"""Webhooks by the Standard Webhooks specification, proven with the `standardwebhooks` package from PyPI.

Real deliveries: reporting's own dispatcher (its delivery loop, or one `tick` of it when the test
moves the clock) reads a real database and POSTs to real HTTP servers on 127.0.0.1; the receivers
verify exactly as a subscriber would, with `standardwebhooks.Webhook(secret).verify(body, headers)`.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from standardwebhooks import Webhook, WebhookVerificationError

from deploy.infra import free_port
from services.common.config import Settings
from services.common.events import new_event
from services.reporting import subscriber_example
from services.reporting.app import create_app
from services.reporting.webhooks import Dispatcher
from tests.conftest import Platform
from tests.integration.reporting.support import Receiver, feed_all
from tests.support import bearer, wait_until

pytestmark = pytest.mark.integration


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def reporting(db_only: Platform) -> Iterator[Flask]:
    app = create_app(db_only.settings("reporting", reporting_webhook_poll_ms=50))
    yield app
    app.config["POOL"].close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def publish(settings: Settings, count: int) -> list[dict[str, Any]]:
    """`count` new public events, as the consumer and the sequencer make them; returns them."""
    held = []
    for _ in range(count):
        sid = str(uuid.uuid4())
        held.append(new_event("sessions", "SessionHeld", sid, {
            "session_id": sid, "programme_id": str(uuid.uuid4()), "type": "workshop", "region": "Zuid",
            "attended": 5, "no_shows": 0, "excused": 0}))
    feed_all(settings, held)
    with psycopg.connect(settings.database_url) as conn:
        rows = conn.execute("SELECT payload FROM external_events WHERE position IS NOT NULL"
                            " ORDER BY position DESC LIMIT %s", (count,)).fetchall()
    return [r[0] for r in reversed(rows)]


def subscribe(app: Flask, url: str) -> dict[str, Any]:
    made = app.test_client().post("/api/v1/subscriptions", json={"url": url, "description": "BI"},
                                  headers=bearer(app.config["SETTINGS"], "reporting_consumer", sub="bi-team"))
    assert made.status_code == 201, made.get_json()
    body: dict[str, Any] = made.get_json()
    return body


def test_a_real_delivery_verifies_with_the_standardwebhooks_package_and_a_tampered_one_does_not(
        reporting: Flask, receiver: Receiver, tmp_path: Path) -> None:
    settings: Settings = reporting.config["SETTINGS"]
    sub = subscribe(reporting, receiver.url)
    assert sub["secret"].startswith("whsec_")
    # A second subscription: the example subscriber's own webhook endpoint (subscriber_example.py).
    port = free_port()
    example_sub = subscribe(reporting, f"http://127.0.0.1:{port}/")
    store = subscriber_example.open_store(str(tmp_path / "seen.sqlite3"))
    example = subscriber_example.webhook_server(store, example_sub["secret"], port)
    threading.Thread(target=example.serve_forever, daemon=True).start()
    stop = threading.Event()
    loop = threading.Thread(target=Dispatcher(settings, reporting.config["POOL"]).run, args=(stop,), daemon=True)
    loop.start()  # the worker's delivery loop itself
    try:
        events = publish(settings, 2)
        wait_until(lambda: len(receiver.received) == 2, 30, what="two deliveries")
        for (headers, body), event in zip(receiver.received, events, strict=True):
            assert Webhook(sub["secret"]).verify(body, headers) == json.loads(body)
            assert {k.lower() for k in headers} >= {"webhook-id", "webhook-timestamp", "webhook-signature"}
            assert headers["Webhook-Id"] == event["id"] == json.loads(body)["id"]  # the public event's id
            assert headers["Webhook-Signature"].startswith("v1,") and " " not in headers["Webhook-Signature"]
            with pytest.raises(WebhookVerificationError):
                Webhook(sub["secret"]).verify(body.replace(b'"attended"', b'"attended" ', 1), headers)
            with pytest.raises(WebhookVerificationError):
                Webhook(example_sub["secret"]).verify(body, headers)  # another subscription's secret
        # The example subscriber verified and applied each event once, keyed by its id.
        seen = sqlite3.connect(str(tmp_path / "seen.sqlite3"))
        wait_until(lambda: seen.execute("SELECT count(*) FROM seen_events").fetchone()[0] == 2, 30,
                   what="the example subscriber to apply both events")
        assert {r[0] for r in seen.execute("SELECT id FROM seen_events")} == {e["id"] for e in events}
        # It answers 401 to a delivery that does not verify (here: signed for the other subscription).
        headers, body = receiver.received[0]
        forged = urllib.request.Request(f"http://127.0.0.1:{port}/", data=body, headers=headers, method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(forged, timeout=10)
        assert refused.value.code == 401
        assert seen.execute("SELECT count(*) FROM seen_events").fetchone()[0] == 2
    finally:
        stop.set()
        loop.join(10)
        example.shutdown()
        example.server_close()


def test_a_retry_keeps_the_webhook_id(reporting: Flask, receiver: Receiver) -> None:
    settings: Settings = reporting.config["SETTINGS"]
    clock = Clock()
    dispatcher = Dispatcher(settings, reporting.config["POOL"], clock=clock)
    sub = subscribe(reporting, receiver.url)
    [event] = publish(settings, 1)
    receiver.status = 503
    assert dispatcher.tick() == 0
    clock.now += timedelta(seconds=30)  # the first backoff; still within the receivers' 5 minutes
    receiver.status = 204
    assert dispatcher.tick() == 1
    (first, _), (second, body) = receiver.requests  # the refused attempt and the accepted one
    assert first["Webhook-Id"] == second["Webhook-Id"] == event["id"]
    assert int(second["Webhook-Timestamp"]) - int(first["Webhook-Timestamp"]) == 30  # each attempt signs anew
    Webhook(sub["secret"]).verify(body, second)


def test_after_a_rotation_both_secrets_verify_during_the_overlap_and_only_the_new_one_after(
        reporting: Flask, receiver: Receiver) -> None:
    settings: Settings = reporting.config["SETTINGS"]
    client = reporting.test_client()
    owner = bearer(settings, "reporting_consumer", sub="bi-team")
    sub = subscribe(reporting, receiver.url)
    old = sub["secret"]
    # The overlap is the request's; two minutes keep the test's clock within the receivers' 5-minute tolerance.
    rotated = client.post(f"/api/v1/subscriptions/{sub['id']}/secret-rotation",
                          json={"overlap_seconds": 120}, headers=owner)
    assert rotated.status_code == 200, rotated.get_json()
    new = rotated.get_json()["secret"]
    assert new != old and new.startswith("whsec_") and "previous_secret" not in rotated.get_json()
    until = datetime.fromisoformat(rotated.get_json()["previous_secret_expires_at"])
    shown = client.get(f"/api/v1/subscriptions/{rotated.get_json()['id']}", headers=owner).get_json()
    assert "secret" not in shown and "previous_secret" not in shown
    assert client.post(f"/api/v1/subscriptions/{rotated.get_json()['id']}/secret-rotation", json={},
                       headers=bearer(settings, "reporting_consumer", sub="ministry")).status_code == 404

    clock = Clock()
    dispatcher = Dispatcher(settings, reporting.config["POOL"], clock=clock)
    assert clock.now < until
    publish(settings, 1)
    assert dispatcher.tick() == 1
    headers, body = receiver.received[-1]
    assert len(headers["Webhook-Signature"].split(" ")) == 2
    for secret in (old, new):  # a receiver still holding the old secret, and one already switched
        Webhook(secret).verify(body, headers)

    clock.now = until + timedelta(seconds=1)  # the overlap is over
    publish(settings, 1)
    assert dispatcher.tick() == 1
    headers, body = receiver.received[-1]
    assert len(headers["Webhook-Signature"].split(" ")) == 1
    Webhook(new).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, headers)


def test_the_subscription_page_rotates_the_secret_in_dutch_and_shows_the_new_one_once(reporting: Flask) -> None:
    settings: Settings = reporting.config["SETTINGS"]
    client = reporting.test_client()
    mine = bearer(settings, "reporting_consumer", sub="bi-team")
    sub = subscribe(reporting, "http://127.0.0.1:9/hook")
    page = f"/subscriptions/{sub['id']}"
    assert "Nieuwe geheime sleutel" in client.get(page, headers=mine).get_data(as_text=True)
    confirm = client.get(f"{page}/secret-rotation", headers=mine).get_data(as_text=True)
    assert "blijft nog 24 uur geldig" in confirm and "direct intrekken" in confirm
    done = client.post(f"{page}/secret-rotation", headers=mine, data={})
    text = done.get_data(as_text=True)
    new = re.search(r"whsec_[A-Za-z0-9+/=]+", text)
    assert done.status_code == 200 and new is not None and new.group(0) != sub["secret"]
    assert "De vorige sleutel blijft geldig tot" in text
    detail = client.get(page, headers=mine).get_data(as_text=True)
    assert "whsec_" not in detail and "de vorige blijft geldig tot" in detail
    revoked = client.post(f"{page}/secret-rotation", headers=mine, data={"revoke_now": "1"}).get_data(as_text=True)
    assert "De vorige sleutel is ingetrokken" in revoked
    assert "de vorige blijft geldig tot" not in client.get(page, headers=mine).get_data(as_text=True)
    other = bearer(settings, "reporting_consumer", sub="ministry")
    assert client.post(f"{page}/secret-rotation", headers=other, data={}).status_code == 404
    with psycopg.connect(settings.database_url) as conn:
        row = conn.execute("SELECT previous_secret, previous_secret_expires_at <= now() FROM subscriptions"
                           " WHERE id = %s", (sub["id"],)).fetchone()
    assert row == (new.group(0), True)  # the revoked one signs no more
