"""Notifications reads what enrolment and sessions publish, and publishes what its own schemas promise."""

from __future__ import annotations

from services.common.config import Settings
from services.common.contacts import CONTACTS_TOPIC, TOMBSTONE_PREFIX, tombstone_handler_key
from services.common.events import known_types, new_event, validate_event
from services.notifications.handlers import handlers
from services.notifications.schemas import SessionSnapshotV1

SESSION = {"session_id": "4f1c2f4e-59a3-4f3e-8a50-0a4b3b1f6c11", "programme_id": "7d0d3c36-d08d-4a5a-a1c5-94a1b6c1de10",
           "type": "dialogue", "region": "Noord", "format": "online", "venue_address": None,
           "online_url": "https://teams.example/x", "host_company_id": None, "starts_at": "2026-03-16T08:00:00Z",
           "ends_at": "2026-03-16T11:00:00Z", "duration_minutes": 180, "capacity_min": 4, "capacity_max": 8,
           "facilitator_ids": ["fac-1", "fac-2"], "working_method": None, "sequence_number": None,
           "status": "planned", "version": 3}


def test_every_handled_type_is_a_published_contract() -> None:
    table = handlers(Settings.from_env("notifications"))
    handled = {t for t in table if not t.startswith(TOMBSTONE_PREFIX)}
    assert handled <= set(known_types()), handled - set(known_types())
    assert {t.split(".")[1] for t in handled} == {"enrolment", "sessions"}
    # 26 v1 types, 5 enrolment v2 types without contact data, ContactDetailsChanged on the contacts topic
    assert len(handled) == 32
    assert set(table) - handled == {tombstone_handler_key(CONTACTS_TOPIC)}


def test_the_session_copy_reads_a_valid_snapshot_and_ignores_new_fields() -> None:
    event = new_event("sessions", "SessionScheduled", str(SESSION["session_id"]), SESSION)
    validate_event(event)
    loaded = SessionSnapshotV1().load({**SESSION, "a_field_added_later": 1})
    assert loaded["version"] == 3 and loaded["starts_at"].tzinfo is not None
    assert "a_field_added_later" not in loaded


def test_notification_events_validate_against_their_schemas() -> None:
    sent = new_event("notifications", "NotificationSent", "d", {
        "delivery_id": "4f1c2f4e-59a3-4f3e-8a50-0a4b3b1f6c11", "kind": "drip", "recipient_id": "p",
        "language": "nl", "cause_event_id": "campaign:x:0", "sent_at": "2026-03-16T08:00:00+00:00", "attempts": 1})
    failed = new_event("notifications", "NotificationFailed", "d", {
        "delivery_id": "4f1c2f4e-59a3-4f3e-8a50-0a4b3b1f6c11", "kind": "drip", "recipient_id": "p",
        "cause_event_id": "e", "attempts": 5, "last_error": "421 try later"})
    validate_event(sent)
    validate_event(failed)
