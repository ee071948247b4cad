"""How sessions keeps its read model of enrolment and enforces the gate when enrolment's facts change.

Only ids, regions, job levels and delegates' names are kept (attendance
needs to tell people apart); e-mail addresses are not read. Names come from
enrolment's compacted contacts topic (ContactDetailsChanged, keyed by
person id; a tombstone there deletes the name), or from the contact object
of the v1 ParticipantDelegated events still in the history. Every v1 type
whose v2 dropped personal data is handled in both versions. Each event is keyed by its enrolment (or
programme, or person), so order holds per key; the handlers are still
written to tolerate facts arriving late (a withdrawal after an invitation
or registration) or out of order (a delegation before its admission).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
from marshmallow import fields

from services.common import audit
from services.common.config import Settings
from services.common.consumer import Handler
from services.common.contacts import CONTACT_DETAILS_CHANGED, CONTACTS_TOPIC, tombstone_handler_key
from services.common.event_data import EnrolmentIds, PersonErasedV1, ProgrammeClosedV1
from services.common.events import Event
from services.common.outbox import Outbox
from services.common.schemas import EventData
from services.sessions import db, roster

Conn = psycopg.Connection[Any]
ENROLMENT = "progadmin.enrolment.{}.v1"
ENROLMENT_V2 = "progadmin.enrolment.{}.v2"


class SessionRulesV1(EventData):
    min_duration_minutes = fields.Integer(required=True)
    max_duration_minutes = fields.Integer(required=True)
    online_facilitators = fields.Integer(required=True)
    below_minimum_days = fields.Integer(load_default=None)


class ProgrammeV1(EventData):
    """Sessions' copy of what it reads from ProgrammeOpened.v1 / ProgrammeUpdated.v1."""

    programme_id = fields.UUID(required=True)
    name = fields.String(required=True)
    regions = fields.List(fields.String(), required=True)
    session_rules = fields.Nested(SessionRulesV1, required=True)


class EnrolmentFactV1(EnrolmentIds):
    """CompanyAdmitted / CompanyWithdrew / CompanyDeclined: the enrolment's ids and dates."""

    admitted_on = fields.Date(load_default=None)
    withdrawn_on = fields.Date(load_default=None)


class DelegateContactV1(EventData):
    name = fields.String(load_default=None)


class ParticipantDelegatedV1(EnrolmentIds):
    # Only the name is kept of the contact data: attendance needs to tell people apart, mail is not ours.
    contact = fields.Nested(DelegateContactV1, load_default=None)
    region = fields.String(required=True)  # a delegate's region decides which sessions it may join
    person_id = fields.UUID(required=True)
    job_level = fields.String(required=True)
    below_management = fields.Boolean(required=True)


class ContactDetailsV1(EventData):
    person_id = fields.UUID(required=True)
    name = fields.String(required=True)


class ParticipantRemovedV1(EventData):
    programme_id = fields.UUID(required=True)
    person_id = fields.UUID(required=True)
    removed_on = fields.Date(required=True)


def _withdraw_places(conn: Conn, outbox: Outbox, regs: list[db.Row], cause: str, now: datetime) -> None:
    """Cancel future registrations (grouped per session, sessions locked in id order) and refill places."""
    by_session: dict[UUID, list[UUID]] = {}
    for reg in regs:
        by_session.setdefault(reg["session_id"], []).append(reg["id"])
    for session_id in sorted(by_session, key=str):
        session = db.get_session(conn, session_id, lock=True)
        assert session is not None
        # Re-read under the lock: a registration may have changed meanwhile.
        live = [r for r in (db.get_registration(conn, rid) for rid in by_session[session_id])
                if r is not None and r["status"] in db.LIVE]
        if live:
            outbox.add(conn, roster.cancel(conn, session, live, cause, now, cancelled_by="system"))


def handlers(settings: Settings, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> dict[str, Handler]:
    outbox = Outbox(settings)

    def on_programme(conn: Conn, event: Event) -> None:
        db.upsert_programme(conn, ProgrammeV1().load(event["data"]))

    def on_programme_closed(conn: Conn, event: Event) -> None:
        data = ProgrammeClosedV1().load(event["data"])
        db.close_programme(conn, data["programme_id"], data["closed_on"])

    def on_admitted(conn: Conn, event: Event) -> None:
        d = EnrolmentFactV1().load(event["data"])
        db.upsert_enrolment(conn, d["enrolment_id"], d["company_id"], d["programme_id"], d["region"],
                            admitted_on=d["admitted_on"])

    def on_declined(conn: Conn, event: Event) -> None:
        d = EnrolmentFactV1().load(event["data"])
        db.upsert_enrolment(conn, d["enrolment_id"], d["company_id"], d["programme_id"], d["region"])

    def on_withdrew(conn: Conn, event: Event) -> None:
        d = EnrolmentFactV1().load(event["data"])
        db.upsert_enrolment(conn, d["enrolment_id"], d["company_id"], d["programme_id"], d["region"],
                            withdrawn_on=d["withdrawn_on"])
        regs = db.future_live_registrations(conn, clock(), programme_id=d["programme_id"], company_id=d["company_id"])
        _withdraw_places(conn, outbox, regs, "company_withdrew", clock())
        audit.record(conn, "enrolment.withdrew", "company", str(d["company_id"]),
                     {"cancelled_registrations": len(regs)}, actor="system")

    def on_delegated(conn: Conn, event: Event) -> None:
        d = ParticipantDelegatedV1().load(event["data"])
        # The enrolment may be unknown yet (a delegation seen first): record it without admission.
        db.upsert_enrolment(conn, d["enrolment_id"], d["company_id"], d["programme_id"], d["region"])
        db.upsert_delegate(conn, d)

    def on_contact(conn: Conn, event: Event) -> None:
        d = ContactDetailsV1().load(event["data"])
        db.set_delegate_name(conn, d["person_id"], d["name"])

    def on_contact_tombstone(conn: Conn, record: Event) -> None:
        try:
            person_id = UUID(record["subject"])
        except ValueError:
            return  # not a key of ours: nothing stored under it
        db.forget_delegate_name(conn, person_id)

    def on_removed(conn: Conn, event: Event) -> None:
        d = ParticipantRemovedV1().load(event["data"])
        db.remove_delegate(conn, d["programme_id"], d["person_id"], d["removed_on"])
        regs = db.future_live_registrations(conn, clock(), programme_id=d["programme_id"], person_id=d["person_id"])
        _withdraw_places(conn, outbox, regs, "person_removed", clock())

    def on_erased(conn: Conn, event: Event) -> None:
        d = PersonErasedV1().load(event["data"])
        db.erase_person(conn, d["person_id"], d["erased_on"])
        regs = db.person_live_registrations_anywhere(conn, d["person_id"], clock())
        _withdraw_places(conn, outbox, regs, "person_erased", clock())
        audit.record(conn, "person.erased", "person", str(d["person_id"]), {}, actor="system")

    return {
        ENROLMENT.format("ProgrammeOpened"): on_programme,
        ENROLMENT.format("ProgrammeUpdated"): on_programme,
        ENROLMENT.format("ProgrammeClosed"): on_programme_closed,
        ENROLMENT.format("CompanyAdmitted"): on_admitted,
        ENROLMENT.format("CompanyDeclined"): on_declined,
        ENROLMENT.format("CompanyWithdrew"): on_withdrew,
        ENROLMENT.format("ParticipantDelegated"): on_delegated,
        ENROLMENT.format("ParticipantRemoved"): on_removed,
        ENROLMENT.format("PersonErased"): on_erased,
        # v2 without contact data or free text; the schemas above read only what both versions carry.
        ENROLMENT_V2.format("CompanyAdmitted"): on_admitted,
        ENROLMENT_V2.format("CompanyDeclined"): on_declined,
        ENROLMENT_V2.format("CompanyWithdrew"): on_withdrew,
        ENROLMENT_V2.format("ParticipantDelegated"): on_delegated,
        CONTACT_DETAILS_CHANGED: on_contact,
        tombstone_handler_key(CONTACTS_TOPIC): on_contact_tombstone,
    }
