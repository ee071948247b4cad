"""The worker's real path: events on the enrolment and sessions topics in, NotificationSent on the topic out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.common.events import decode, encode
from tests.integration.notifications.conftest import START, Notifier, SmtpServer
from tests.integration.notifications.programme import Person, Programme
from tests.support import read_topic

pytestmark = pytest.mark.integration


def test_events_from_both_topics_become_mail_and_notification_sent_events(kafka_notifier: Notifier,
                                                                          smtp: SmtpServer) -> None:
    n = kafka_notifier
    p = Programme(n)
    c = p.company("Betonbouw Noord BV", "Noord", Person("Els Bakker", "els@betonnoord.nl"))
    admitted = p.admit(c)
    anna = Person("Anna de Jong", "anna@betonnoord.nl")
    p.delegate(c, anna)
    s = p.session("Noord", START + timedelta(days=10), [])
    invited = p.invite(s, c, anna)
    for event, service in ((admitted, "enrolment"), (invited, "sessions")):  # a relay resending after a crash
        assert n.producer is not None
        n.producer.send(n.settings.topic(service), key=event["subject"].encode(), value=encode(event))
    assert n.send() == 2  # admission and invitation, once each (digest and reminder are not due yet)
    assert sorted(smtp.kinds()) == ["admission", "session_invitation"]
    records = read_topic(n.settings, n.settings.topic("notifications"), at_least=2)
    sent = [decode(r.value) for r in records]
    assert sorted(e["data"]["kind"] for e in sent) == ["admission", "session_invitation"]
    assert {e["type"] for e in sent} == {"progadmin.notifications.NotificationSent.v1"}
    by_kind = {e["data"]["kind"]: e for e in sent}
    assert by_kind["admission"]["data"]["cause_event_id"] == admitted["id"]
    assert by_kind["admission"]["data"]["recipient_id"] == c.director.person_id
    assert by_kind["session_invitation"]["data"]["cause_event_id"] == invited["id"]
