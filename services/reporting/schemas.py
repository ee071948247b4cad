"""Reporting's schemas: its own copy of the event payload fields it reads, and HTTP bodies.

Event copies read only what a projection needs and ignore everything else
(`unknown = EXCLUDE`): names, e-mail and director/contact objects are never
loaded, so they cannot end up in reporting's database.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

# ProgrammeClosed and PersonErased are read exactly as sessions reads them: one copy in common, re-exported.
from services.common.event_data import EnrolmentIds
from services.common.event_data import PersonErasedV1 as PersonErasedV1
from services.common.event_data import ProgrammeClosedV1 as ProgrammeClosedV1
from services.common.schemas import EventData, PageQuery, Region, page_schema

# A position in the external stream (a PostgreSQL bigint).
MAX_POSITION = 2**63 - 1


# -- enrolment -------------------------------------------------------------------------------
class CompanyRegisteredV1(EventData):
    """What reporting needs of progadmin.enrolment.CompanyRegistered.v1 (unknown fields ignored)."""

    company_id = fields.UUID(required=True)
    region = fields.String(required=True)
    name = fields.String(load_default=None)


class ProgrammeSnapshotV1(EventData):
    """ProgrammeOpened.v1 and ProgrammeUpdated.v1 (full snapshots)."""

    programme_id = fields.UUID(required=True)
    name = fields.String(required=True)
    fund = fields.String(load_default=None)
    theme = fields.String(load_default=None)
    period_start = fields.Date(load_default=None)
    period_end = fields.Date(load_default=None)
    regions = fields.List(fields.String(), required=True)
    planned_sessions = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class EnrolmentFactV1(EnrolmentIds):
    """The ids every enrolment event carries (region where it has one); CompanyShowedInterest is just these."""


class IntakeHeldV1(EnrolmentFactV1):
    intake_id = fields.UUID(required=True)
    held_on = fields.Date(required=True)
    assessed_level = fields.Integer(required=True)
    meets_admission_rule = fields.Boolean(required=True)


class CompanyAdmittedV1(EnrolmentFactV1):
    admitted_on = fields.Date(required=True)


class CompanyDeclinedV1(EnrolmentFactV1):
    declined_on = fields.Date(required=True)


class CompanyActivatedV1(EnrolmentFactV1):
    activated_on = fields.Date(required=True)


class CompanyWithdrewV1(EnrolmentFactV1):
    reason_code = fields.String(required=True)
    withdrawn_on = fields.Date(required=True)


class CompanyCompletedV1(EnrolmentFactV1):
    completed_on = fields.Date(required=True)


class FollowUpRecordedV1(EnrolmentFactV1):
    follow_up_id = fields.UUID(required=True)
    activity = fields.String(required=True)
    occurred_on = fields.Date(required=True)
    adoption_level = fields.String(required=True)


class ParticipantDelegatedV1(EnrolmentFactV1):
    person_id = fields.UUID(required=True)
    job_level = fields.String(required=True)
    below_management = fields.Boolean(required=True)


class ParticipantRemovedV1(EnrolmentFactV1):
    person_id = fields.UUID(required=True)
    removed_on = fields.Date(required=True)


# -- sessions --------------------------------------------------------------------------------
class SessionFactV1(EventData):
    """The ids every sessions event carries."""

    session_id = fields.UUID(required=True)
    programme_id = fields.UUID(required=True)


class PersonInSessionV1(SessionFactV1):
    """A person of a company in a session: invitations and places."""

    person_id = fields.UUID(required=True)
    company_id = fields.UUID(required=True)


class SessionSnapshotV1(SessionFactV1):
    """SessionScheduled.v1 and SessionRescheduled.v1 (full snapshots with a version)."""

    type = fields.String(required=True)
    region = fields.String(required=True)
    format = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    duration_minutes = fields.Integer(required=True)
    capacity_min = fields.Integer(required=True)
    capacity_max = fields.Integer(required=True)
    facilitator_ids = fields.List(fields.String(), required=True)
    working_method = fields.String(load_default=None, allow_none=True)
    status = fields.String(required=True)
    version = fields.Integer(required=True)


class SessionCancelledV1(SessionFactV1):
    version = fields.Integer(required=True)


class SessionHeldV1(SessionFactV1):
    type = fields.String(required=True)
    region = fields.String(required=True)
    attended = fields.Integer(required=True)
    no_shows = fields.Integer(required=True)
    excused = fields.Integer(required=True)


class PlaceV1(PersonInSessionV1):
    """ParticipantRegistered, ParticipantWaitlisted, WaitlistPromoted."""

    registration_id = fields.UUID(required=True)


class RegistrationCancelledV1(PlaceV1):
    late = fields.Boolean(required=True)
    cause = fields.String(required=True)


class AttendanceRecordedV1(PlaceV1):
    attendance = fields.String(required=True)


class ParticipantInvitedV1(PersonInSessionV1):
    invitation_id = fields.UUID(required=True)


class EvaluationSubmittedV1(SessionFactV1):
    evaluation_id = fields.UUID(required=True)
    person_id = fields.UUID(required=True)
    company_id = fields.UUID(load_default=None)
    score = fields.Integer(required=True)
    facilitator_ids = fields.List(fields.String(), required=True)


# -- notifications ---------------------------------------------------------------------------
class NotificationOutcomeV1(EventData):
    """NotificationSent.v1 and NotificationFailed.v1 (recipient ids are not read)."""

    delivery_id = fields.String(required=True)
    kind = fields.String(required=True)


# -- HTTP ------------------------------------------------------------------------------------
class CompanyCounts(Schema):
    total = fields.Integer()
    by_region = fields.Dict(keys=fields.String(), values=fields.Integer())


class ProgrammeOut(Schema):
    programme_id = fields.UUID()
    name = fields.String(allow_none=True)
    fund = fields.String(allow_none=True)
    period_start = fields.Date(allow_none=True)
    period_end = fields.Date(allow_none=True)
    regions = fields.List(fields.String())
    closed_on = fields.Date(allow_none=True)


ProgrammePage = page_schema(ProgrammeOut)

REPORT_FORMATS = ("json", "html", "csv", "xlsx")


class ReportQuery(Schema):
    format = fields.String(validate=validate.OneOf(REPORT_FORMATS), load_default=None,
                           metadata={"description": "json (default), html, csv or xlsx; or use the Accept header"})
    region = fields.List(Region(), load_default=None,
                         metadata={"description": "limit the figures to these regions (repeatable)"})


class CompanyFiguresQuery(PageQuery):
    region = Region()


class CompanyFiguresOut(Schema):
    company_id = fields.UUID()
    name = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    status = fields.String()
    delegates = fields.Integer()
    delegates_below_management = fields.Integer()
    sessions_attended = fields.Integer()
    attended = fields.Integer()
    no_shows = fields.Integer()
    attendance_rate = fields.Float(allow_none=True)
    withdrawn_on = fields.Date(allow_none=True)
    withdrawal_reason = fields.String(allow_none=True)
    follow_up_level = fields.String()
    follow_up_activities = fields.List(fields.String())


CompanyFiguresPage = page_schema(CompanyFiguresOut)


class SubscriptionIn(Schema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    event_types = fields.List(fields.String(), load_default=list,
                              metadata={"description": "public event types to receive; empty: all"})
    description = fields.String(load_default="", validate=validate.Length(max=500))


class SubscriptionOut(Schema):
    id = fields.UUID()
    owner = fields.String()
    url = fields.String()
    description = fields.String()
    event_types = fields.List(fields.String())
    status = fields.String()
    disabled_reason = fields.String(allow_none=True)
    cursor = fields.Integer()
    failing_since = fields.DateTime(allow_none=True)
    consecutive_failures = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    allowed_next = fields.List(fields.String())
    secret_rotated_at = fields.DateTime(allow_none=True)
    previous_secret_expires_at = fields.DateTime(
        allow_none=True, metadata={"description": "until then deliveries carry a second signature, by the previous "
                                                  "secret"})


class CreatedSubscriptionOut(SubscriptionOut):
    secret = fields.String(metadata={"description": "signing secret (`whsec_` + base64, Standard Webhooks); "
                                                    "shown only now"})


class SecretRotationIn(Schema):
    overlap_seconds = fields.Integer(
        load_default=24 * 3600, validate=validate.Range(min=0, max=7 * 24 * 3600),
        metadata={"description": "how long the previous secret keeps signing beside the new one (0: not at all, "
                                 "for a secret that leaked); default 24 h"})


SubscriptionPage = page_schema(SubscriptionOut)


class AttemptOut(Schema):
    attempted_at = fields.DateTime()
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer()


class DeliveryOut(Schema):
    id = fields.UUID()
    subscription_id = fields.UUID()
    position = fields.Integer()
    event_type = fields.String()
    origin = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    last_attempt_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    attempt_log = fields.List(fields.Nested(AttemptOut))


DeliveryPage = page_schema(DeliveryOut)


class DeliveryQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(("pending", "delivered")))


class ReplayIn(Schema):
    since = fields.AwareDateTime(load_default=None, metadata={"description": "replay events recorded since then"})
    from_position = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_POSITION),
                                   metadata={"description": "replay events from this position on"})


class ReplayOut(Schema):
    subscription_id = fields.UUID()
    enqueued = fields.Integer()
    from_position = fields.Integer(allow_none=True)


class FeedQuery(Schema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_POSITION),
                           metadata={"description": "cursor: the last position you have (0: from the start)"})
    page_size = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    type = fields.List(fields.String(), load_default=None, metadata={"description": "only these event types"})


class FeedOut(Schema):
    items = fields.List(fields.Dict(), metadata={"description": "public CloudEvents in position order"})
    cursor = fields.Integer(metadata={"description": "pass as `after` to get the next page"})
    has_more = fields.Boolean()
    links = fields.Dict()


class ReportLinkOut(Schema):
    url = fields.String()
    expires_at = fields.Integer(metadata={"description": "unix seconds"})


class EventTypeOut(Schema):
    type = fields.String()
    schema = fields.Dict()


class EventTypeList(Schema):
    items = fields.List(fields.Nested(EventTypeOut))
