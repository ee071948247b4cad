"""Regression tests for defects found in review: erasure that a late event undid, doubled reminders,
and SMTP error texts that kept (and published) a person's e-mail address."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from deploy.infra import free_port
from tests.conftest import Platform
from tests.integration.notifications.conftest import START, Notifier, SmtpServer, make_notifier
from tests.integration.notifications.programme import Person, Programme, admitted_with_delegate

pytestmark = pytest.mark.integration


def test_a_late_event_does_not_bring_an_erased_person_back(notifier: Notifier, smtp: SmtpServer) -> None:
    p = Programme(notifier)
    els = Person("Els Bakker", "els@betonnoord.nl")
    c = p.company("Betonbouw Noord BV", "Noord", els)
    p.admit(c)
    anna = Person("Anna de Jong", "anna@betonnoord.nl")
    p.delegate(c, anna)
    p.erase(anna)
    p.erase(els)
    # Events from before the erasure, arriving (or replayed) after it.
    p.delegate(c, anna)
    p.intake(c, START + timedelta(days=3))
    notifier.send()
    assert smtp.kinds("els@betonnoord.nl") == [] and smtp.kinds("anna@betonnoord.nl") == []
    for person in (anna, els):
        assert notifier.rows("SELECT * FROM recipients WHERE person_id = %s", (person.person_id,)) == []
    assert notifier.rows("SELECT * FROM deliveries WHERE status IN ('scheduled', 'sending', 'sent')"
                         " AND recipient_id = ANY(%s)", ([anna.person_id, els.person_id],)) == []


def test_a_second_reschedule_does_not_double_the_reminder(notifier: Notifier, smtp: SmtpServer) -> None:
    p, c, anna = admitted_with_delegate(notifier, reminder_hours=24)
    first = START + timedelta(days=10)
    s = p.session("Noord", first, [])
    p.invite(s, c, anna)
    p.register(s, c, anna)
    notifier.clock.set(first - timedelta(hours=23))
    notifier.send()
    assert smtp.kinds("anna@betonnoord.nl").count("session_reminder") == 1
    p.reschedule(s, first + timedelta(days=7))   # reminded already: a new reminder is queued
    p.reschedule(s, first + timedelta(days=8))   # the queued one moves; no second one
    queued = notifier.rows("SELECT * FROM deliveries WHERE kind = 'session_reminder' AND status = 'scheduled'")
    assert len(queued) == 1 and queued[0]["send_after"] == first + timedelta(days=8) - timedelta(hours=24)
    notifier.clock.set(first + timedelta(days=8) - timedelta(hours=23))
    notifier.send()
    assert smtp.kinds("anna@betonnoord.nl").count("session_reminder") == 2


class RefusingHandler:
    """An SMTP server that refuses every recipient, quoting the address (as real servers do)."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"


@pytest.fixture
def refusing_notifier(db_only: Platform) -> Iterator[Notifier]:
    port = free_port()
    controller = Controller(RefusingHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    n = make_notifier(db_only, SimpleNamespace(port=port))  # type: ignore[arg-type]
    try:
        yield n
    finally:
        n.close()
        controller.stop()


def test_a_refused_address_is_not_kept_in_the_log_or_published(refusing_notifier: Notifier) -> None:
    n = refusing_notifier
    p = Programme(n)
    els = Person("Els Bakker", "els@betonnoord.nl")
    c = p.company("Betonbouw Noord BV", "Noord", els)
    p.admit(c)
    n.send()
    [admission] = n.rows("SELECT * FROM deliveries WHERE kind = 'admission'")
    assert admission["status"] == "failed" and admission["last_error"]
    assert "els@betonnoord.nl" not in admission["last_error"]
    failed = n.rows("SELECT payload FROM outbox WHERE event_type = %s",
                    ("progadmin.notifications.NotificationFailed.v1",))
    assert failed and not any("els@betonnoord.nl" in str(r["payload"]) for r in failed)


def test_a_mail_that_cannot_be_built_fails_alone_and_the_rest_go_out(notifier: Notifier, smtp: SmtpServer) -> None:
    """A header the mail library refuses (a line break in a name) must not stall the queue forever."""
    from tests.integration.notifications.programme import staff

    staff(notifier, "fac-1", "facilitator", "Petra\nVisser", "petra@begeleiding.nl")
    p = Programme(notifier)
    c = p.company("Betonbouw Noord BV", "Noord", Person("Els Bakker", "els@betonnoord.nl"))
    p.session("Noord", START + timedelta(days=10), ["fac-1"])
    p.admit(c)
    notifier.send()
    assert smtp.kinds("els@betonnoord.nl") == ["admission"]
    [broken] = notifier.rows("SELECT * FROM deliveries WHERE kind = 'facilitator_assignment'")
    assert broken["status"] == "failed" and "cannot compose" in broken["last_error"]
    assert "progadmin.notifications.NotificationFailed.v1" in notifier.outbox_types()
    assert notifier.rows("SELECT * FROM deliveries WHERE status = 'sending'") == []


def test_a_line_break_in_a_staff_name_is_a_422(notifier: Notifier) -> None:
    from tests.support import bearer

    client = notifier.app.test_client()
    bad = client.put("/api/v1/staff/fac-9", json={"role": "facilitator", "name": "Petra\r\nBcc: x@y.nl",
                                                   "email": "petra@b.nl"},
                     headers=bearer(notifier.settings, "fund_admin"))
    assert bad.status_code == 422 and "name" in str(bad.get_json())
    assert client.get("/api/v1/staff/fac-9", headers=bearer(notifier.settings, "fund_admin")).status_code == 404


def test_a_facilitator_taken_off_a_session_gets_no_reminder_for_it(notifier: Notifier, smtp: SmtpServer) -> None:
    from tests.integration.notifications.programme import staff

    staff(notifier, "fac-1", "facilitator", "Petra Visser", "petra@begeleiding.nl")
    staff(notifier, "fac-2", "facilitator", "Kees Jansen", "kees@begeleiding.nl")
    p = Programme(notifier, reminder_hours=24)
    first = START + timedelta(days=10)
    s = p.session("Noord", first, ["fac-1"])
    notifier.send()
    s.data = {**s.data, "facilitator_ids": ["fac-2"]}
    p.reschedule(s, first + timedelta(days=1))
    notifier.clock.set(first + timedelta(days=1) - timedelta(hours=23))
    notifier.send()
    assert smtp.kinds("petra@begeleiding.nl") == ["facilitator_assignment"]
    assert sorted(smtp.kinds("kees@begeleiding.nl")) == ["facilitator_assignment", "session_reminder"]


def test_a_session_moved_close_and_then_back_gets_its_reminder_again(notifier: Notifier, smtp: SmtpServer) -> None:
    p, c, anna = admitted_with_delegate(notifier, reminder_hours=24)
    first = START + timedelta(days=10)
    s = p.session("Noord", first, [])
    p.invite(s, c, anna)
    p.register(s, c, anna)
    p.reschedule(s, START + timedelta(hours=12))   # too close for a reminder: the queued one is cancelled
    later = START + timedelta(days=20)
    p.reschedule(s, later)                         # far again: a reminder is due again
    queued = notifier.rows("SELECT * FROM deliveries WHERE kind = 'session_reminder' AND status = 'scheduled'")
    assert [q["send_after"] for q in queued] == [later - timedelta(hours=24)]
    notifier.clock.set(later - timedelta(hours=23))
    notifier.send()
    assert smtp.kinds("anna@betonnoord.nl").count("session_reminder") == 1


def test_someone_who_cancelled_after_the_reminder_gets_none_when_the_session_moves(notifier: Notifier,
                                                                                  smtp: SmtpServer) -> None:
    p, c, anna = admitted_with_delegate(notifier, reminder_hours=24)
    first = START + timedelta(days=10)
    s = p.session("Noord", first, [])
    p.invite(s, c, anna)
    p.register(s, c, anna)
    notifier.clock.set(first - timedelta(hours=23))
    notifier.send()
    p.unregister(s, c, anna)
    p.reschedule(s, first + timedelta(days=7))
    assert notifier.rows("SELECT * FROM deliveries WHERE kind = 'session_reminder' AND status = 'scheduled'") == []
