"""Event payloads built from rows satisfy the published contracts and carry no more personal data than they
name (no phone numbers, no interview notes, no free-text descriptions)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from services.common.events import validate_event
from services.enrolment import payloads

E: dict[str, Any] = {
    "id": uuid.uuid4(), "company_id": uuid.uuid4(), "programme_id": uuid.uuid4(), "region": "Midden",
    "admitted_on": date(2026, 2, 1), "declined_on": date(2026, 2, 2), "decline_reason": "te vrijblijvend",
    "activated_on": date(2026, 2, 3), "completed_on": date(2027, 6, 1), "withdrawn_on": date(2026, 9, 1),
    "withdrawal_reason": "understaffing", "withdrawal_text": None,
}
PERSON = {"id": uuid.uuid4(), "name": "Els Bakker", "email": "els@prefab.nl", "phone": "06 12345678",
          "language": "nl"}
INTAKE = {"id": uuid.uuid4(), "scheduled_at": datetime(2026, 1, 10, 9, tzinfo=UTC), "location": "", "sequence": 2,
          "held_on": date(2026, 1, 10), "interviewee_role": "director", "commitments": {"staff_time_released": True},
          "assessed_level": 4, "meets_admission_rule": False, "notes": "vertrouwelijk"}


def test_every_payload_builder_produces_a_valid_event_keyed_by_the_enrolment() -> None:
    events = [
        payloads.company_showed_interest(E), payloads.intake_scheduled(E, INTAKE, PERSON),
        payloads.intake_held(E, INTAKE), payloads.company_admitted(E, PERSON), payloads.company_declined(E, PERSON),
        payloads.company_activated(E), payloads.participant_delegated(E, PERSON, "foreman", True),
        payloads.participant_removed(E, PERSON["id"], date(2026, 3, 1), None), payloads.company_withdrew(E),
        payloads.company_completed(E),
        payloads.follow_up_recorded(E, {"id": uuid.uuid4(), "activity": "other", "occurred_on": date(2027, 7, 1),
                                        "adoption_level": "none", "description": "Jan de Vries belde"}),
    ]
    for event in events:
        validate_event(event)
        assert event["subject"] == str(E["id"])
        text = str(event["data"])
        assert "06 12345678" not in text and "vertrouwelijk" not in text and "Jan de Vries" not in text
    assert "location" not in events[1]["data"] and "reason_text" not in events[8]["data"]


def test_events_name_people_by_id_only_and_their_contact_data_is_a_record_of_its_own() -> None:
    events = [payloads.intake_scheduled(E, INTAKE, PERSON), payloads.company_admitted(E, PERSON),
              payloads.company_declined(E, PERSON), payloads.participant_delegated(E, PERSON, "manager", False),
              payloads.company_withdrew({**E, "withdrawal_reason": "other", "withdrawal_text": "Jan ziek"})]
    for event in events:
        assert event["type"].endswith(".v2") and "Els" not in str(event) and "els@" not in str(event)
        assert str(PERSON["id"]) in str(event["data"]) or "Jan ziek" not in str(event)
    record = payloads.contact_details_changed(PERSON)
    validate_event(record)
    assert record["type"] == "progadmin.enrolment.ContactDetailsChanged.v1" and record["subject"] == str(PERSON["id"])
    assert record["data"] == {"person_id": str(PERSON["id"]), "name": "Els Bakker", "email": "els@prefab.nl",
                              "language": "nl"}


def test_an_erased_contact_in_a_v1_event_still_satisfies_the_contract_and_is_marked() -> None:
    # v1 events with contact data may still wait in an outbox after the upgrade; an erasure scrubs them so.
    data = {**payloads.enrolment_ids(E), "region": "Midden", "person_id": str(PERSON["id"]), "job_level": "manager",
            "below_management": False, "contact": payloads.erased_contact(str(PERSON["id"]))}
    event = payloads.event("ParticipantDelegated", E["id"], data)
    validate_event(event)
    assert event["data"]["contact"]["erased"] is True and "Els" not in str(event)
