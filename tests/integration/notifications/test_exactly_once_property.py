"""Property: whatever the order of redeliveries, sender runs and SMTP outages, each logical mail arrives once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.common.events import new_event, validate_event
from tests.conftest import Platform
from tests.integration.notifications.conftest import START, Notifier, SmtpServer, make_notifier

pytestmark = pytest.mark.integration


def story() -> tuple[list[dict[str, Any]], set[tuple[str, str]]]:
    """A company admitted, two delegates invited to a session: events and the mails they must cause."""
    ids = {k: str(uuid.uuid4()) for k in ("programme", "company", "enrolment", "director", "p1", "p2", "session")}
    tag = ids["company"][:8]
    ref = {"enrolment_id": ids["enrolment"], "company_id": ids["company"], "programme_id": ids["programme"]}
    director = {"person_id": ids["director"], "name": "Directeur", "email": f"dir-{tag}@x.nl", "language": "nl"}
    events = [new_event("enrolment", "CompanyAdmitted", ids["enrolment"], {
        **ref, "region": "Noord", "admitted_on": "2026-03-02", "director": director})]
    for key in ("p1", "p2"):
        events.append(new_event("enrolment", "ParticipantDelegated", ids["enrolment"], {
            **ref, "region": "Noord", "person_id": ids[key], "job_level": "supervisor", "below_management": False,
            "contact": {"person_id": ids[key], "name": key, "email": f"{key}-{tag}@x.nl", "language": "en"}}))
    starts = START + timedelta(days=30)
    events.append(new_event("sessions", "SessionScheduled", ids["session"], {
        "session_id": ids["session"], "programme_id": ids["programme"], "type": "dialogue", "region": "Noord",
        "format": "online", "venue_address": None, "online_url": "https://teams.example/x", "host_company_id": None,
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "duration_minutes": 120, "capacity_min": 1, "capacity_max": 8, "facilitator_ids": [], "status": "planned",
        "version": 1}))
    for key in ("p1", "p2"):
        events.append(new_event("sessions", "ParticipantInvited", ids["session"], {
            "session_id": ids["session"], "programme_id": ids["programme"], "person_id": ids[key],
            "company_id": ids["company"], "invitation_id": str(uuid.uuid4())}))
    for event in events:
        validate_event(event)
    expected = {(f"dir-{tag}@x.nl", "admission"), (f"p1-{tag}@x.nl", "session_invitation"),
                (f"p2-{tag}@x.nl", "session_invitation")}
    return events, expected


# One step: deliver event i (again), run the sender, take SMTP down or up, or let time pass.
steps = st.lists(st.one_of(st.tuples(st.just("deliver"), st.integers(min_value=0, max_value=5)),
                           st.tuples(st.sampled_from(["send", "down", "up", "wait"]), st.just(0))),
                 max_size=25)


@pytest.fixture
def patient(db_only: Platform, smtp: SmtpServer) -> Iterator[Notifier]:
    """Enough attempts that no outage in a story exhausts them (exhaustion has its own test)."""
    n = make_notifier(db_only, smtp, mail_max_attempts=1000)
    try:
        yield n
    finally:
        n.pool.close()


# The fixtures live across examples; every example tells a story with fresh ids.
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_each_logical_mail_arrives_exactly_once(patient: Notifier, smtp: SmtpServer,
                                                steps: list[tuple[str, int]]) -> None:
    """Events redelivered and in any order (even across one topic's keys), sender runs, SMTP down and up."""
    notifier = patient
    events, expected = story()
    for op, i in steps:
        if op == "deliver":
            notifier.consumer.apply(events[i])
        elif op == "send":
            notifier.send()
        elif op == "down":
            smtp.stop()
        elif op == "up":
            smtp.start()
        else:
            notifier.clock.advance(timedelta(minutes=30))
    for event in events:  # in the end every event has arrived at least once
        notifier.consumer.apply(event)
    smtp.start()
    for _ in range(4):
        notifier.clock.advance(timedelta(hours=2))
        notifier.send()
    received = [(parseaddr(str(m["To"]))[1], str(m["X-Progadmin-Kind"])) for m in smtp.messages()]
    mine = [r for r in received if r[0] in {address for address, _ in expected}]
    assert sorted(mine) == sorted(expected)
