"""Enrolment's v2 events (people by id) with contact data from the compacted contacts topic, in either order,
beside the v1 events (contact data inside) that stay in the topic's history."""

from __future__ import annotations

from datetime import timedelta

from services.common.contacts import CONTACTS_TOPIC, tombstone_handler_key
from services.notifications.handlers import handlers
from tests.integration.notifications.conftest import START, Notifier, SmtpServer
from tests.integration.notifications.programme import Person, Programme, admitted_with_delegate


def test_v2_events_and_contact_records_mail_the_same_people_as_v1(notifier: Notifier, smtp: SmtpServer) -> None:
    p, c, anna = admitted_with_delegate(notifier, v2=True)
    s = p.session("Noord", START + timedelta(days=10), [])
    p.invite(s, c, anna)
    notifier.send()
    assert smtp.kinds("els@betonnoord.nl") == ["admission"]
    assert smtp.kinds("anna@betonnoord.nl") == ["session_invitation"]
    [recipient] = notifier.rows("SELECT * FROM recipients WHERE person_id = %s", (anna.person_id,))
    assert (recipient["role"], recipient["name"], recipient["job_level"]) == ("participant", "Anna de Jong", "manager")
    # An old v1 event from the history still works beside them (a second company, as it was sent then).
    old = Programme(notifier)
    c1 = old.company("Oud Bouw BV", "Noord", Person("Piet Oud", "piet@oudbouw.nl"))
    old.admit(c1)
    notifier.send()
    assert smtp.kinds("piet@oudbouw.nl") == ["admission"]


def test_the_contact_record_may_come_first_and_a_later_event_keeps_it(notifier: Notifier, smtp: SmtpServer) -> None:
    p = Programme(notifier, v2=True)
    director = Person("Els Bakker", "els@betonnoord.nl")
    p.contact_details(director)  # the contacts topic was read first
    c = p.company("Betonbouw Noord BV", "Noord", director)
    p.admit(c)
    notifier.send()
    assert smtp.kinds("els@betonnoord.nl") == ["admission"]


def test_a_tombstone_clears_the_contact_data_and_mail_waits_instead_of_going_to_the_old_address(
        notifier: Notifier, smtp: SmtpServer) -> None:
    p, c, anna = admitted_with_delegate(notifier, v2=True)
    with notifier.pool.connection() as conn, conn.transaction():
        table = handlers(notifier.settings, notifier.clock)
        table[tombstone_handler_key(CONTACTS_TOPIC)](conn, {"type": "tombstone", "subject": anna.person_id,
                                                           "data": None})
    [recipient] = notifier.rows("SELECT * FROM recipients WHERE person_id = %s", (anna.person_id,))
    assert (recipient["name"], recipient["email"], recipient["language"]) == (None, None, None)
    s = p.session("Noord", START + timedelta(days=10), [])
    p.invite(s, c, anna)
    notifier.send()
    assert smtp.kinds("anna@betonnoord.nl") == []
    [row] = notifier.rows("SELECT * FROM deliveries WHERE kind = 'session_invitation'")
    assert row["status"] == "scheduled"
    p.erase(anna)  # the erasure that came with the tombstone cancels what waited
    notifier.send()
    [row] = notifier.rows("SELECT * FROM deliveries WHERE kind = 'session_invitation'")
    assert row["status"] == "cancelled" and smtp.kinds("anna@betonnoord.nl") == []
    assert notifier.rows("SELECT * FROM recipients WHERE person_id = %s", (anna.person_id,)) == []
    p.contact_details(anna)  # a late record (before compaction) must not bring her back
    assert notifier.rows("SELECT * FROM recipients WHERE person_id = %s", (anna.person_id,)) == []
