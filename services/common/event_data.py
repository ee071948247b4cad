"""The parts of enrolment's event payloads that every consumer reading them by uuid reads alike.

Each consumer still keeps its own copy of what it reads (CONVENTIONS: a
producer may add fields, a consumer loads only what it needs and ignores the
rest); these are just the keys and the two small facts whose copies in
sessions and reporting were the same to the letter. A consumer subclasses
them to read more. Notifications does not use them: it keeps ids as text
(its tables and delivery keys are text, and staff recipients are not uuids).
"""

from __future__ import annotations

from marshmallow import fields

from services.common.schemas import EventData


class EnrolmentIds(EventData):
    """The ids every enrolment event carries, and its region where it has one."""

    enrolment_id = fields.UUID(required=True)
    company_id = fields.UUID(required=True)
    programme_id = fields.UUID(required=True)
    region = fields.String(load_default=None)


class ProgrammeClosedV1(EventData):
    """progadmin.enrolment.ProgrammeClosed.v1."""

    programme_id = fields.UUID(required=True)
    closed_on = fields.Date(required=True)


class PersonErasedV1(EventData):
    """progadmin.enrolment.PersonErased.v1 (only the pseudonymous id and the day)."""

    person_id = fields.UUID(required=True)
    erased_on = fields.Date(required=True)
