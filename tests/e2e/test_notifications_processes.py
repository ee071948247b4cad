"""Notifications as deployed: the SMTP sink, the web app and the worker (relay, consumer, sender) as processes."""

from __future__ import annotations

import email
import email.policy
import json
import smtplib
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from services.common import broker
from services.common.events import encode, new_event
from tests.conftest import Platform
from tests.e2e.processes import Processes
from tests.support import bearer, wait_until

pytestmark = pytest.mark.e2e


def get(url: str, headers: dict[str, str] | None = None) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as response:
        return bytes(response.read())


@pytest.fixture
def sink(platform: Platform, tmp_path: Path) -> Iterator[tuple[Processes, Path, int]]:
    """The SMTP sink as the local stack runs it."""
    mail = tmp_path / "mail"
    procs = Processes(platform.env(), tmp_path)
    try:
        web_port = procs.mail_sink(mail)
        wait_until(lambda: _answers(f"http://127.0.0.1:{web_port}/messages"), 20, what="smtp sink page")
        yield procs, mail, web_port
    finally:
        procs.stop()


@pytest.fixture
def stack(platform: Platform, sink: tuple[Processes, Path, int]) -> tuple[Processes, Path, int]:
    """The sink plus notifications' web app and worker."""
    platform.create_topics()
    sink[0].web("notifications")
    sink[0].worker("notifications")
    return sink


def _answers(url: str) -> bool:
    try:
        get(url)
        return True
    except OSError:
        return False


def test_the_sink_keeps_mail_and_lists_it(sink: tuple[Processes, Path, int]) -> None:
    procs, mail, web_port = sink
    port = int(procs.env["PROGADMIN_SMTP_PORT"])
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@x.nl", "b@x.nl", "Proefmail"
    msg["X-Progadmin-Kind"] = "drip"
    msg.set_content("Hallo")
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(msg)
    [stored] = wait_until(lambda: sorted(mail.glob("*.eml")), 10, what="stored .eml")
    assert email.message_from_bytes(stored.read_bytes(), policy=email.policy.default)["Subject"] == "Proefmail"
    listed = json.loads(get(f"http://127.0.0.1:{web_port}/messages"))
    assert [(m["subject"], m["to"], m["kind"]) for m in listed] == [("Proefmail", "b@x.nl", "drip")]
    assert b"Proefmail" in get(f"http://127.0.0.1:{web_port}/")
    assert b"Hallo" in get(f"http://127.0.0.1:{web_port}/messages/{stored.name}")


def test_an_event_on_the_topic_becomes_a_mail_in_the_sink_and_a_line_in_the_log(
        platform: Platform, stack: tuple[Processes, Path, int]) -> None:
    procs, mail, _ = stack
    settings = platform.settings("notifications")
    enrolment_id, director = str(uuid.uuid4()), str(uuid.uuid4())
    event = new_event("enrolment", "IntakeScheduled", enrolment_id, {
        "enrolment_id": enrolment_id, "company_id": str(uuid.uuid4()), "programme_id": str(uuid.uuid4()),
        "intake_id": str(uuid.uuid4()), "scheduled_at": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
        "location": "Zwolle", "sequence": 0,
        "director": {"person_id": director, "name": "Els Bakker", "email": "els@beton.nl", "language": "nl"}})
    producer = broker.producer(settings)
    producer.send(settings.topic("enrolment"), key=enrolment_id.encode(), value=encode(event)).get(timeout=10)
    producer.close()
    [stored] = wait_until(lambda: sorted(mail.glob("*.eml")), 60, what="the intake invitation in the sink")
    received = email.message_from_bytes(stored.read_bytes(), policy=email.policy.default)
    assert received["X-Progadmin-Kind"] == "intake_invitation" and received["To"] == "Els Bakker <els@beton.nl>"

    def logged() -> list[tuple[str, str, int]]:
        # The sink has the mail as soon as SMTP accepted it; the sender marks
        # the delivery sent just after that, in its own transaction.
        log = json.loads(get(f"{procs.urls['notifications']}/api/v1/deliveries?recipient_id={director}",
                             bearer(settings, "fund_admin")))
        return [(i["kind"], i["status"], i["attempts"]) for i in log["items"]]

    def marked() -> list[tuple[str, str, int]] | None:
        rows = logged()
        return rows if rows and rows[0][1] != "sending" else None

    assert wait_until(marked, 30, what="the delivery marked") == [("intake_invitation", "sent", 1)]
