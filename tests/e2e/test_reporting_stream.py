"""Reporting through real processes: the scripted programme's events on the topics
become the final report in every format; a reporting consumer subscribes, verifies
signatures, misses deliveries while down, and catches up from the pull feed without gaps."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Platform
from tests.e2e.processes import Processes, call
from tests.integration.reporting.scripted import PROGRAMME_ID, build
from tests.integration.reporting.support import Receiver, readme_verifier
from tests.support import bearer, publish_events, read_topic, wait_until

pytestmark = pytest.mark.e2e
SCRIPT = build()


def get(url: str, headers: dict[str, str]) -> tuple[int, bytes, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), ""


@pytest.fixture
def running(platform: Platform, tmp_path: Path) -> Iterator[Processes]:
    platform.create_topics()
    env = {**platform.env(), "PROGADMIN_REPORTING_WEBHOOK_POLL_MS": "100"}
    procs = Processes(env, tmp_path)
    try:
        procs.web("reporting")
        procs.worker("reporting")
        yield procs
    finally:
        procs.stop()


def test_reports_from_events_alone_and_a_subscriber_catches_up_without_gaps(
        platform: Platform, running: Processes) -> None:
    base = running.urls["reporting"]
    settings = platform.settings("reporting")
    consumer = {k: str(v) for k, v in bearer(settings, "reporting_consumer", sub="ministry").items()}
    receiver = Receiver()
    try:
        status, sub = call(f"{base}/api/v1/subscriptions", consumer, {"url": receiver.url, "description": "SZW"})
        assert status == 201, sub
        verify = readme_verifier()
        half = len(SCRIPT.events) // 2
        publish_events(platform.settings("reporting"), SCRIPT.events[:half])

        def delivered_first_half() -> bool:
            return len(receiver.received) >= 50
        try:
            wait_until(delivered_first_half, timeout=150, interval=0.2, what="webhook deliveries")
        except AssertionError:
            raise AssertionError(running.log("reporting-worker")) from None
        # The consumer goes down; the rest of the programme happens meanwhile.
        receiver.close()
        assert all(verify(sub["secret"], headers, body) for headers, body in receiver.received)
        got = receiver.positions()
        assert got == list(range(1, len(got) + 1))  # in order, no gaps
        publish_events(platform.settings("reporting"), SCRIPT.events[half:])

        def report_complete() -> dict[str, Any] | None:
            _, body, _ = get(f"{base}/api/v1/programmes/{PROGRAMME_ID}/final-report", consumer)
            report = json.loads(body) if body else {}
            # The topics are consumed side by side: wait for the last fact of each.
            done = (report.get("companies", {}).get("completed") == 10 and report["programme"]["closed_on"]
                    and report["sessions"]["held_total"] == 15
                    and report["evaluations"]["programme"]["responses"] == 45)
            return report if done else None
        report = wait_until(report_complete, timeout=150, interval=0.3, what="the whole programme projected")
        assert report["sessions"]["held_by_type"] == {"dialogue": 9, "intervision": 6}
        assert report["follow_up"]["label_nl"] == "8 van 10"
        for fmt, kind in (("html", "text/html"), ("csv", "text/csv"), ("xlsx", "spreadsheetml")):
            status, body, content_type = get(f"{base}/api/v1/programmes/{PROGRAMME_ID}/final-report?format={fmt}",
                                             consumer)
            assert status == 200 and kind in content_type and len(body) > 500

        # Back up: catch up from the last position received, through the pull feed, without gaps.
        cursor, caught_up = got[-1], []
        while True:
            _, body, _ = get(f"{base}/api/v1/feed?after={cursor}&page_size=100", consumer)
            page = json.loads(body)
            caught_up += [e["position"] for e in page["items"]]
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        assert got + caught_up == list(range(1, len(got) + len(caught_up) + 1))

        def pending() -> bool:  # the webhooks will bring them too, in order, once the endpoint answers
            _, body, _ = get(f"{base}/api/v1/subscriptions/{sub['id']}/deliveries?status=pending", consumer)
            return bool(json.loads(body)["total"] == len(caught_up))
        wait_until(pending, timeout=20, interval=0.2, what="every missed event queued for the webhook")

        # The public Kafka topic carries the same events (for consumers inside the fund's network).
        total = len(got) + len(caught_up)
        records = read_topic(settings, settings.topic("reporting"), at_least=total, settle=0.2)
        on_topic = [json.loads(r.value) for r in records]
        assert sorted(e["position"] for e in on_topic) == list(range(1, total + 1))
        assert not any(name in r.value.decode() for r in records for name in SCRIPT.names)
        assert all(e["type"].startswith("progadmin.reporting.Public") for e in on_topic)
    finally:
        receiver.close()
