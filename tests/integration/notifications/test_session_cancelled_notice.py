"""Issue 12: a cancelled session's people get exactly one cancellation notice, on the worker's real Kafka path.

Sessions cancels a session in one transaction: SessionCancelled, then a
RegistrationCancelled (cause `session_cancelled`) per live registration, all
keyed by the session id. The per-registration events must not cancel the
notice the session event just queued, whichever arrives first.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from tests.integration.notifications.conftest import Notifier, SmtpServer
from tests.integration.notifications.programme import (
    Company,
    Person,
    Programme,
    Session,
    four_in_noord,
)

pytestmark = pytest.mark.integration


def _cast(n: Notifier) -> tuple[Programme, Session, list[tuple[Company, Person]]]:
    p, c, (anna, bram, cor, dirk), s = four_in_noord(n)
    for person in (anna, bram, cor, dirk):
        p.invite(s, c, person)
    p.register(s, c, anna)
    p.register(s, c, bram)
    p.waitlist(s, c, cor)  # dirk stays only invited
    return p, s, [(c, anna), (c, bram), (c, cor)]


def _expect_one_notice_each(n: Notifier, smtp: SmtpServer, s: Session) -> None:
    n.send()
    for address in ("anna@betonnoord.nl", "bram@betonnoord.nl", "cor@betonnoord.nl", "dirk@betonnoord.nl",
                    "petra@begeleiding.nl"):
        assert smtp.kinds(address).count("session_cancelled") == 1, (address, smtp.kinds(address))
    rows = n.rows("SELECT kind, status, last_error FROM deliveries WHERE session_id = %s", (s.session_id,))
    notices = Counter(r["status"] for r in rows if r["kind"] == "session_cancelled")
    assert notices == {"sent": 5}, rows
    # Everything else queued for the session (reminders) is cancelled, and stays so.
    others = {(r["kind"], r["status"]) for r in rows if r["kind"] not in ("session_cancelled", "session_invitation",
                                                                           "facilitator_assignment",
                                                                           "waitlist_placement")}
    assert others == {("session_reminder", "cancelled"), ("invitation_reminder", "cancelled")}, rows
    n.clock.advance(timedelta(days=10))
    n.send()
    assert "session_reminder" not in smtp.kinds()


def test_cancelling_a_session_notifies_every_registrant_once(kafka_notifier: Notifier, smtp: SmtpServer) -> None:
    n = kafka_notifier
    p, s, regs = _cast(n)
    n.send()  # invitations and the facilitator's assignment go out first
    # Exactly what Sessions.cancel writes to its outbox, in that order.
    p.cancel(s, "Te weinig aanmeldingen")
    for company, person in regs:
        p.unregister(s, company, person, cause="session_cancelled")
    _expect_one_notice_each(n, smtp, s)
    for m in smtp.messages():
        body = m.get_body(preferencelist=("plain",))
        if m["X-Progadmin-Kind"] == "session_cancelled":
            assert body is not None and "Te weinig aanmeldingen" in str(body.get_content())


def test_registration_cancellations_arriving_before_the_session_event_still_leave_one_notice(
        kafka_notifier: Notifier, smtp: SmtpServer) -> None:
    """A replay from the dead-letter topic can deliver the session's event after its registrations'."""
    n = kafka_notifier
    p, s, regs = _cast(n)
    n.send()
    for company, person in regs:
        p.unregister(s, company, person, cause="session_cancelled")
    p.cancel(s, "Te weinig aanmeldingen")
    _expect_one_notice_each(n, smtp, s)
