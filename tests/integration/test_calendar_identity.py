"""Calendar identity across services: the .ics in the invitation mail (notifications) and the calendar
feed (sessions) are one calendar entry, in step, through a reschedule.

Real events drive both: enrolment's facts (as its contract has them) reach sessions and notifications,
sessions schedules, invites and reschedules through its API, and every event sessions wrote to its
outbox is applied by notifications' real consumer; its sender mails over SMTP to a real server. At each
step the mail's VEVENT and the feed's VEVENT for the session carry the same UID and the same SEQUENCE,
and the SEQUENCE grows with every reschedule.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from icalendar import Calendar

from services.common.calendar_identity import session_uid
from tests.integration.notifications.conftest import Notifier, SmtpServer
from tests.integration.sessions.world import RULES, Company, World, enrolment_event, future

pytestmark = pytest.mark.integration


class Both:
    """Sessions and notifications, with every event of one applied by the other as its consumer would."""

    def __init__(self, world: World, notifier: Notifier) -> None:
        self.world, self.notifier = world, notifier
        self.passed: set[str] = set()

    def enrolment(self, event: dict[str, Any]) -> None:
        self.world.apply(event)
        self.notifier.consumer.apply(event)

    def sessions_events(self) -> None:
        """Hand notifications what sessions published since the last call, in outbox order, then mail."""
        for event in self.world.events():
            if event["id"] not in self.passed:
                self.passed.add(event["id"])
                self.notifier.consumer.apply(event)
        self.notifier.send()


def mail_vevent(message: EmailMessage) -> Any:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    raw = part.get_content()
    [event] = Calendar.from_ical(raw if isinstance(raw, bytes) else raw.encode()).walk("VEVENT")
    return event


def feed_vevent(world: World, url: str, session_id: str) -> Any:
    r = world.client.get(urlsplit(url).path)
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    events = [e for e in Calendar.from_ical(r.get_data()).walk("VEVENT") if str(e["UID"]) == session_uid(session_id)]
    assert len(events) == 1, r.get_data(as_text=True)
    return events[0]


def test_the_invitation_mail_and_the_feed_are_one_entry_in_step_across_reschedules(
        sessions_app: Flask, notifier: Notifier, smtp: SmtpServer) -> None:
    world = World(sessions_app)
    both = Both(world, notifier)
    pid = str(uuid.uuid4())
    both.enrolment(enrolment_event("ProgrammeOpened", pid, {
        "programme_id": pid, "name": "Vanzelfsprekend", "regions": ["Noord"], "planned_sessions": {"dialogue": 9},
        "max_delegates_per_company": 4, "session_rules": RULES}))
    company = Company(str(uuid.uuid4()), str(uuid.uuid4()), pid, "Noord")
    person = str(uuid.uuid4())
    both.enrolment(world.admitted_event(company))
    both.enrolment(world.delegated_event(company, person, name="Anna de Jong"))
    address = "p@example.nl"  # the world's delegates' address

    session = world.schedule(pid, capacity_min=1, capacity_max=12, starts_at=future(40).isoformat())
    sid = session["id"]
    invited = world.client.post(f"/api/v1/sessions/{sid}/invitations", json={}, headers=world.admin)
    assert invited.status_code in (200, 201), invited.get_json()
    both.sessions_events()
    feeds = {kind: world.client.post("/api/v1/calendar-feeds", json={"kind": kind, "subject": subject},
                                     headers=world.coordinator("Noord")).get_json()["url"]
             for kind, subject in (("region", "Noord"), ("participant", person))}

    assert [str(m["X-Progadmin-Kind"]) for m in smtp.to(address)] == ["session_invitation"]
    sequences = []
    for step, kind in enumerate(["session_invitation", "session_rescheduled", "session_rescheduled"]):
        if step:  # move the session a day later; the invitee gets a change notice with the new .ics
            moved = world.client.post(f"/api/v1/sessions/{sid}/rescheduling", headers=world.admin,
                                      json={"starts_at": future(40 + step).isoformat()})
            assert moved.status_code == 200, moved.get_json()
            both.sessions_events()
        mails = smtp.to(address)
        assert len(mails) == step + 1 and str(mails[-1]["X-Progadmin-Kind"]) == kind
        in_mail = mail_vevent(mails[-1])
        # The participant's own feed lists the session once they hold a place: they accept the invitation.
        for url in feeds.values() if step else [feeds["region"]]:
            in_feed = feed_vevent(world, url, sid)
            assert str(in_mail["UID"]) == str(in_feed["UID"]) == session_uid(sid)
            assert int(in_mail["SEQUENCE"]) == int(in_feed["SEQUENCE"]), (step, in_mail, in_feed)
            assert in_mail.decoded("DTSTART") == in_feed.decoded("DTSTART")  # the same moment, whatever the zone
        assert in_mail.decoded("DTSTART") - future(40) == timedelta(days=step)
        if not step:
            assert world.register(sid, person).status_code == 201
            both.sessions_events()
        sequences.append(int(in_mail["SEQUENCE"]))
    assert sequences == sorted(set(sequences)), sequences  # strictly increasing with every reschedule
