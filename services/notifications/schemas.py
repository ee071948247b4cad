"""Notifications' schemas: its own copy of the event fields it reads, and HTTP bodies."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.schemas import EventData, PageQuery, Region, page_schema, region_list
from services.notifications.domain import KINDS, LANGUAGES

JOB_LEVELS = ("manager", "supervisor", "foreman", "employee", "other")
# fund_admin: an alert whose region has no coordinator in the directory goes to them (alerts.py).
STAFF_ROLES = ("coordinator", "facilitator", "fund_admin")


# -- what notifications reads of enrolment events ------------------------------------------
class Contact(EventData):
    person_id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.Email(required=True)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))


class ProgrammeSnapshotV1(EventData):
    programme_id = fields.String(required=True)
    name = fields.String(required=True)
    teaser_question = fields.String(load_default=None)
    reminder_hours_before = fields.Integer(load_default=None)
    follow_up_info = fields.String(load_default=None)


class CompanyRegisteredV1(EventData):
    company_id = fields.String(required=True)
    name = fields.String(required=True)
    region = fields.String(required=True)


class EnrolmentRef(EventData):
    enrolment_id = fields.String(required=True)
    company_id = fields.String(required=True)
    programme_id = fields.String(required=True)
    region = fields.String(load_default=None)


# v1 and v2 differ only in how they name a person: v1 carries the contact data, v2 only the id
# (its contact data comes from the contacts topic). The rest of each event is read once.
class _IntakeScheduled(EnrolmentRef):
    intake_id = fields.String(required=True)
    scheduled_at = fields.AwareDateTime(required=True)
    location = fields.String(load_default=None)
    sequence = fields.Integer(required=True)


class IntakeScheduledV1(_IntakeScheduled):
    director = fields.Nested(Contact, required=True)


class IntakeScheduledV2(_IntakeScheduled):
    director_id = fields.String(required=True)


class IntakeHeldV1(EnrolmentRef):
    intake_id = fields.String(required=True)
    held_on = fields.String(required=True)
    commitments = fields.Dict(keys=fields.String(), values=fields.Boolean(), load_default=dict)
    meets_admission_rule = fields.Boolean(required=True)


class _CompanyAdmitted(EnrolmentRef):
    admitted_on = fields.String(required=True)


class CompanyAdmittedV1(_CompanyAdmitted):
    director = fields.Nested(Contact, required=True)


class CompanyAdmittedV2(_CompanyAdmitted):
    director_id = fields.String(required=True)


class _CompanyDeclined(EnrolmentRef):
    reason = fields.String(required=True)
    declined_on = fields.String(required=True)


class CompanyDeclinedV1(_CompanyDeclined):
    director = fields.Nested(Contact, required=True)


class CompanyDeclinedV2(_CompanyDeclined):
    director_id = fields.String(required=True)


class ParticipantDelegatedV2(EnrolmentRef):
    person_id = fields.String(required=True)
    job_level = fields.String(required=True)


class ParticipantDelegatedV1(ParticipantDelegatedV2):
    contact = fields.Nested(Contact, required=True)


class ContactDetailsV1(Contact):
    """ContactDetailsChanged.v1 on the contacts topic."""


class ParticipantRemovedV1(EnrolmentRef):
    person_id = fields.String(required=True)


class CompanyWithdrewV1(EnrolmentRef):
    reason_code = fields.String(required=True)


class PersonErasedV1(EventData):
    person_id = fields.String(required=True)


# -- what notifications reads of sessions events -------------------------------------------
class SessionSnapshotV1(EventData):
    session_id = fields.String(required=True)
    programme_id = fields.String(required=True)
    type = fields.String(required=True)
    region = fields.String(required=True)
    format = fields.String(required=True)
    venue_address = fields.String(load_default=None, allow_none=True)
    online_url = fields.String(load_default=None, allow_none=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Integer(required=True)
    facilitator_ids = fields.List(fields.String(), required=True)
    working_method = fields.String(load_default=None, allow_none=True)
    status = fields.String(required=True)
    version = fields.Integer(required=True)


class SessionCancelledV1(EventData):
    session_id = fields.String(required=True)
    programme_id = fields.String(required=True)
    reason = fields.String(required=True)
    version = fields.Integer(required=True)


class SessionPersonV1(EventData):
    """ParticipantInvited/Registered/Waitlisted, WaitlistPromoted, RegistrationCancelled, AttendanceRecorded,
    InvitationResponded."""

    session_id = fields.String(required=True)
    programme_id = fields.String(required=True)
    person_id = fields.String(required=True)
    company_id = fields.String(required=True)
    position = fields.Integer(load_default=None)
    late = fields.Boolean(load_default=False)
    cause = fields.String(load_default=None)
    # RegistrationCancelled: participant (own link) | staff (on their behalf, or the session went) | system.
    cancelled_by = fields.String(load_default=None)
    attendance = fields.String(load_default=None)
    response = fields.String(load_default=None)  # InvitationResponded: registered | waitlisted | declined
    # ParticipantRegistered/Waitlisted after a go/no-go merge: the session they were moved from.
    moved_from_session_id = fields.String(load_default=None)


class SessionBelowMinimumV1(EventData):
    session_id = fields.String(required=True)
    programme_id = fields.String(required=True)
    region = fields.String(required=True)
    registered = fields.Integer(required=True)
    capacity_min = fields.Integer(required=True)
    starts_at = fields.AwareDateTime(required=True)


class RepeatedNoShowV1(EventData):
    person_id = fields.String(required=True)
    company_id = fields.String(required=True)
    programme_id = fields.String(required=True)
    session_ids = fields.List(fields.String(), required=True)


# -- HTTP ---------------------------------------------------------------------------------
class DeliveryOut(Schema):
    id = fields.UUID()
    kind = fields.String()
    recipient_id = fields.String()
    optional = fields.Boolean()
    language = fields.String(allow_none=True)
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    send_after = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    event_id = fields.String(metadata={"description": "What caused the mail (event id or a logical key)"})
    session_id = fields.String(allow_none=True)
    company_id = fields.String(allow_none=True)
    campaign_id = fields.UUID(allow_none=True)
    alert_region = fields.String(allow_none=True, metadata={"description": "An alert's region"})
    escalated_reason = fields.String(allow_none=True, metadata={
        "description": "Why an alert went to the fund administrators instead of the region's coordinators (Dutch);"
                       " an `unaddressed` alert had nobody to go to"})


DeliveryPage = page_schema(DeliveryOut)


class DeliveryQuery(PageQuery):
    recipient_id = fields.String()
    kind = fields.String(validate=validate.OneOf(sorted(KINDS)))
    status = fields.String(validate=validate.OneOf(
        ("scheduled", "sending", "sent", "failed", "suppressed", "cancelled", "unaddressed")))
    session_id = fields.String()
    company_id = fields.String()
    campaign_id = fields.UUID()


class StaffIn(Schema):
    # The rule coordinator_has_region checks, stated for the OpenAPI document.
    OPENAPI_EXTRA = {"if": {"properties": {"role": {"const": "coordinator"}}, "required": ["role"]},
                     "then": {"required": ["regions"], "properties": {"regions": {"minItems": 1}}}}

    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))
    # No control characters: the name goes into mail headers.
    name = fields.String(required=True, validate=[validate.Length(min=1, max=200),
                                                  validate.Regexp(r"^[^\x00-\x1f\x7f]*$",
                                                                  error="must not contain control characters")])
    email = fields.Email(required=True)
    language = fields.String(load_default="nl", validate=validate.OneOf(LANGUAGES))
    regions = region_list(load_default=list, min_items=0,
                          metadata={"description": "the regions a coordinator serves (required for a coordinator)"})

    @validates_schema(skip_on_field_errors=False)  # report every failing field at once
    def coordinator_has_region(self, data: dict[str, object], **_: object) -> None:
        if data.get("role") == "coordinator" and not data.get("regions"):
            raise ValidationError("a coordinator needs at least one region", "regions")


class StaffOut(Schema):
    staff_id = fields.String()
    role = fields.String()
    name = fields.String()
    email = fields.String()
    language = fields.String()
    regions = fields.List(fields.String())
    updated_at = fields.DateTime()


StaffPage = page_schema(StaffOut)


class StaffQuery(PageQuery):
    role = fields.String(validate=validate.OneOf(STAFF_ROLES))
    region = Region()


class LocalisedText(Schema):
    nl = fields.String(required=True, validate=validate.Length(min=1))
    en = fields.String(validate=validate.Length(min=1))


class CampaignStep(Schema):
    offset_days = fields.Integer(required=True, validate=validate.Range(min=0, max=365))
    subject = fields.Nested(LocalisedText, required=True)
    body = fields.Nested(LocalisedText, required=True)


class CampaignIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    programme_id = fields.String(load_default=None, allow_none=True)
    job_levels = fields.List(fields.String(validate=validate.OneOf(JOB_LEVELS)), load_default=lambda: ["manager"],
                             validate=validate.Length(min=1))
    steps = fields.List(fields.Nested(CampaignStep), required=True, validate=validate.Length(min=1, max=52))


class CampaignOut(Schema):
    id = fields.UUID()
    name = fields.String()
    programme_id = fields.String(allow_none=True)
    job_levels = fields.List(fields.String())
    steps = fields.List(fields.Nested(CampaignStep))
    status = fields.String()
    members = fields.Dict(keys=fields.String(), values=fields.Integer())
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


CampaignPage = page_schema(CampaignOut)


class CampaignQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(("active", "paused", "stopped")))


class SuppressionIn(Schema):
    person_id = fields.String(required=True, validate=validate.Length(min=1))
    reason = fields.String(load_default="requested")


class SuppressionOut(Schema):
    person_id = fields.String()
    reason = fields.String()
    created_at = fields.DateTime()


SuppressionPage = page_schema(SuppressionOut)


class TemplateOut(Schema):
    kind = fields.String()
    audience = fields.String()
    optional = fields.Boolean()
    languages = fields.List(fields.String())


class PreviewQuery(Schema):
    language = fields.String(load_default="nl", validate=validate.OneOf(LANGUAGES))


class PreviewOut(Schema):
    kind = fields.String()
    language = fields.String()
    subject = fields.String()
    text = fields.String()
    html = fields.String()
    attachments = fields.List(fields.String())
