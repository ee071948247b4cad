"""Wake-ups (LISTEN/NOTIFY) instead of poll sleeps: who is woken, when, and that the poll stays the fallback."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg.rows import dict_row

from services.common import wakeup
from services.common.events import new_event
from services.common.outbox import Outbox, Relay
from services.notifications import db as notifications_db
from tests.conftest import Platform
from tests.support import wait_until

pytestmark = pytest.mark.integration


def company_event(n: int) -> dict:
    subject = str(uuid.uuid4())
    return new_event("enrolment", "CompanyRegistered", subject, {
        "company_id": subject, "name": f"Bedrijf {n}", "kvk_number": f"{n:08d}", "region": "Noord"})


def test_a_committed_outbox_row_wakes_the_listener_and_a_rolled_back_one_does_not(db_only: Platform) -> None:
    settings = db_only.settings("enrolment")
    waiter = wakeup.Waiter(settings.database_url, wakeup.OUTBOX)
    waiter.start()
    try:
        with psycopg.connect(settings.database_url) as conn:
            with pytest.raises(RuntimeError), conn.transaction():
                Outbox(settings).add(conn, [company_event(1)])
                raise RuntimeError("use case refused")
            assert not waiter.wait(0.5), "a rolled-back insert must not wake anyone"
            with conn.transaction():
                Outbox(settings).add(conn, [company_event(2), company_event(3)])
        assert waiter.wait(10)
        # Two rows, one statement each, one transaction: one notification, drained by the first wait.
        assert not waiter.wait(0.3)
    finally:
        waiter.close()


def test_only_a_delivery_due_now_wakes_the_sender_never_its_own_updates(db_only: Platform) -> None:
    settings = db_only.settings("notifications")
    waiter = wakeup.Waiter(settings.database_url, wakeup.MAIL)
    waiter.start()
    now = datetime.now(UTC)
    try:
        with psycopg.connect(settings.database_url, row_factory=dict_row) as conn:
            with conn.transaction():
                notifications_db.schedule(conn, event_id=str(uuid.uuid4()), kind="intake_invitation",
                                          recipient_id="person-later", send_after=now + timedelta(hours=2))
            assert not waiter.wait(0.5), "a delivery due in two hours is for the poll"
            with conn.transaction():
                due = notifications_db.schedule(conn, event_id=str(uuid.uuid4()), kind="intake_invitation",
                                                recipient_id="person-now", send_after=now)
            assert due is not None
            assert waiter.wait(10)
            with conn.transaction():  # the sender's claim and its outcome
                conn.execute("UPDATE deliveries SET status = 'sending' WHERE id = %s", (due,))
                conn.execute("UPDATE deliveries SET status = 'sent' WHERE id = %s", (due,))
            assert not waiter.wait(0.5), "the sender's own updates must not wake it (it would loop)"
    finally:
        waiter.close()


def test_the_relay_publishes_at_once_although_its_poll_interval_is_a_minute(platform: Platform) -> None:
    """With a 60 s poll, a row published within seconds can only have been woken for."""
    settings = platform.settings("enrolment", relay_poll_ms=60000)
    platform.create_topics()
    relay = Relay(settings)
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_until(lambda: relay.holds_lock, timeout=30, what="the relay to hold its lock")
        time.sleep(1)  # its first (empty) look is done: it waits now
        for n in range(3):
            with psycopg.connect(settings.database_url) as conn, conn.transaction():
                Outbox(settings).add(conn, [company_event(10 + n)])
            wait_until(lambda n=n: relay.published == n + 1, timeout=20, what=f"event {n} published")
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive(), "the relay must see its stop within a second, whatever its poll interval"
