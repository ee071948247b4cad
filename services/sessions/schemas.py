"""Marshmallow schemas of sessions' HTTP bodies (event payloads it reads live in handlers.py)."""

from __future__ import annotations

import uuid
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.schemas import PageQuery, Region, page_schema
from services.sessions.domain import ATTENDANCE, DECISIONS, FORMATS, SERIES_SCOPES, STATUSES, TYPES

_TIME_DOC = "RFC 3339 with a UTC offset, e.g. 2031-03-20T10:00:00+01:00 (a time without offset is refused)"
# A session is led by a few people; a longer list is a mistake, not a plan.
MAX_FACILITATORS = 10
_FACILITATORS = validate.Length(max=MAX_FACILITATORS)


class _Where(Schema):
    """A plan without its time: what a single session and a series share."""

    format = fields.String(validate=validate.OneOf(FORMATS))
    venue_address = fields.String(allow_none=True, validate=validate.Length(max=500))
    online_url = fields.Url(allow_none=True, schemes={"https", "http"})
    host_company_id = fields.UUID(allow_none=True, metadata={"description": "company hosting an on-site session"})
    capacity_min = fields.Integer(validate=validate.Range(min=0, max=1000))
    capacity_max = fields.Integer(validate=validate.Range(min=1, max=1000))
    facilitator_ids = fields.List(fields.String(validate=validate.Length(min=1, max=200)), validate=_FACILITATORS,
                                  metadata={"description": "the facilitators' user ids (token subjects)"})
    working_method = fields.String(allow_none=True, validate=validate.Length(max=200),
                                   metadata={"description": "e.g. incident method, liefdevol roddelen, "
                                                            "keukentafelgesprek"})
    sequence_number = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=1000),
                                     metadata={"description": "number of this session in its series"})


class _Plan(_Where):
    starts_at = fields.AwareDateTime(metadata={"description": _TIME_DOC})
    duration_minutes = fields.Integer(validate=validate.Range(min=1, max=24 * 60))
    ends_at = fields.AwareDateTime(metadata={"description": "alternative to duration_minutes; " + _TIME_DOC})


class SessionIn(_Plan):
    programme_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.OneOf(TYPES))
    region = Region(required=True, metadata={"description": "one of the programme's regions"})
    format = fields.String(required=True, validate=validate.OneOf(FORMATS))
    starts_at = fields.AwareDateTime(required=True, metadata={"description": _TIME_DOC})
    capacity_min = fields.Integer(required=True, validate=validate.Range(min=0, max=1000))
    capacity_max = fields.Integer(required=True, validate=validate.Range(min=1, max=1000))
    facilitator_ids = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list,
                                  validate=_FACILITATORS,
                                  metadata={"description": "the facilitators' user ids (token subjects)"})


_SCOPE = {"description": "a session of a series: `this` occurrence only (default), or `this_and_following` "
                         "(every open occurrence from this one on moves by the same number of days, to the same "
                         "new time of day)"}


class RescheduleIn(_Plan):
    """Only the fields that change; the result is validated as a whole."""

    scope = fields.String(load_default="this", validate=validate.OneOf(SERIES_SCOPES), metadata=_SCOPE)


class SessionOut(Schema):
    id = fields.UUID()
    programme_id = fields.UUID()
    type = fields.String()
    region = fields.String()
    format = fields.String()
    venue_address = fields.String(allow_none=True)
    online_url = fields.String(allow_none=True)
    host_company_id = fields.UUID(allow_none=True)
    starts_at = fields.DateTime(metadata={"description": "UTC"})
    ends_at = fields.DateTime(metadata={"description": "UTC"})
    starts_at_local = fields.DateTime(metadata={"description": "Europe/Amsterdam, with offset"})
    duration_minutes = fields.Integer()
    capacity_min = fields.Integer()
    capacity_max = fields.Integer()
    facilitator_ids = fields.List(fields.String())
    working_method = fields.String(allow_none=True)
    sequence_number = fields.Integer(allow_none=True)
    series_id = fields.UUID(allow_none=True, metadata={"description": "the recurring series it belongs to"})
    status = fields.String(validate=validate.OneOf(STATUSES))
    cancel_reason = fields.String(allow_none=True)
    version = fields.Integer()
    registered = fields.Integer()
    waitlisted = fields.Integer()


class SessionQuery(PageQuery):
    programme_id = fields.UUID()
    region = Region()
    type = fields.String(validate=validate.OneOf(TYPES))
    status = fields.String(validate=validate.OneOf(STATUSES))
    starts_from = fields.AwareDateTime(metadata={"description": "RFC 3339 with offset"})
    starts_before = fields.AwareDateTime(metadata={"description": "RFC 3339 with offset"})


class CancellationIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    scope = fields.String(load_default="this", validate=validate.OneOf(SERIES_SCOPES),
                          metadata={"description": "`this_and_following` cancels every open occurrence of the "
                                                   "series from this one on"})


class SeriesIn(_Where):
    """A recurring series in one step: "every second Tuesday, 4 times, 14:00-16:30"."""

    programme_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.OneOf(TYPES))
    region = Region(required=True, metadata={"description": "one of the programme's regions"})
    format = fields.String(required=True, validate=validate.OneOf(FORMATS))
    capacity_min = fields.Integer(required=True, validate=validate.Range(min=0, max=1000))
    capacity_max = fields.Integer(required=True, validate=validate.Range(min=1, max=1000))
    facilitator_ids = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list,
                                  validate=_FACILITATORS,
                                  metadata={"description": "the facilitators' user ids (token subjects)"})
    start_date = fields.Date(required=True, metadata={"description": "day of the first occurrence (YYYY-MM-DD)"})
    start_time = fields.Time(required=True, metadata={"description": "local (Europe/Amsterdam) start, HH:MM"})
    end_time = fields.Time(required=True, metadata={"description": "local end on the same day, HH:MM"})
    interval_weeks = fields.Integer(required=True, validate=validate.Range(min=1, max=52),
                                    metadata={"description": "1 = every week, 2 = every second week"})
    count = fields.Integer(required=True, validate=validate.Range(min=2, max=52),
                           metadata={"description": "number of occurrences"})
    sequence_number = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=1000),
                                     metadata={"description": "number of the first occurrence (default 1)"})


class SeriesOut(Schema):
    id = fields.UUID()
    programme_id = fields.UUID()
    type = fields.String()
    region = fields.String()
    start_date = fields.Date()
    start_time = fields.Time()
    end_time = fields.Time()
    interval_weeks = fields.Integer()
    count = fields.Integer()
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sessions = fields.List(fields.Nested(SessionOut))


class DecisionIn(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS),
                             metadata={"description": "go (it goes ahead), merge (into another session), cancel"})
    merge_into_session_id = fields.UUID(allow_none=True, metadata={"description": "required for merge"})
    reason = fields.String(allow_none=True, validate=validate.Length(max=1000),
                           metadata={"description": "required for cancel; participants are told"})


class DecisionOut(Schema):
    id = fields.UUID()
    session_id = fields.UUID()
    decision = fields.String()
    merge_into_session_id = fields.UUID(allow_none=True)
    reason = fields.String(allow_none=True)
    starts_at = fields.DateTime(metadata={"description": "the date the decision was taken for"})
    registered = fields.Integer(metadata={"description": "registered when decided"})
    capacity_min = fields.Integer()
    decided_by = fields.String(metadata={"description": "the staff member's user id (token subject)"})
    decided_by_name = fields.String(allow_none=True, metadata={"description": "their name, for people to read"})
    decided_at = fields.DateTime()
    outcome = fields.Dict(metadata={"description": "status (confirmed, cancelled, merged); for a merge the "
                                                   "moved and not moved registrations"})


class DecisionsOut(Schema):
    items = fields.List(fields.Nested(DecisionOut))


class NeedingDecisionOut(SessionOut):
    programme_name = fields.String()
    horizon_days = fields.Integer(metadata={"description": "days before the start a decision is due"})


class NeedingDecisionQuery(Schema):
    region = Region()


class NeedingDecisionList(Schema):
    items = fields.List(fields.Nested(NeedingDecisionOut))


class InvitationIn(Schema):
    person_ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=500),
                             metadata={"description": "omit to invite every eligible delegate of the region"})


class InvitationOut(Schema):
    id = fields.UUID()
    session_id = fields.UUID()
    person_id = fields.UUID()
    company_id = fields.UUID()
    invited_at = fields.DateTime()


class InvitationsOut(Schema):
    invited = fields.List(fields.Nested(InvitationOut))
    count = fields.Integer()


class RegistrationIn(Schema):
    person_id = fields.UUID(required=True)


class RegistrationOut(Schema):
    id = fields.UUID()
    session_id = fields.UUID()
    person_id = fields.UUID()
    company_id = fields.UUID()
    status = fields.String()
    position = fields.Integer(allow_none=True, metadata={"description": "place on the waiting list (1 = next)"})
    created_at = fields.DateTime()
    promoted_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    cancel_late = fields.Boolean(allow_none=True)
    cancel_cause = fields.String(allow_none=True)
    attendance = fields.String(allow_none=True)


class RegistrationQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(("registered", "waitlisted", "cancelled")))


class AttendanceRecord(Schema):
    registration_id = fields.UUID(required=True)
    attendance = fields.String(required=True, validate=validate.OneOf(ATTENDANCE))


class AttendanceIn(Schema):
    records = fields.List(fields.Nested(AttendanceRecord), required=True, validate=validate.Length(min=1, max=500))


class AttendanceOut(Schema):
    records = fields.List(fields.Nested(RegistrationOut))


class EvaluationIn(Schema):
    person_id = fields.UUID(required=True, metadata={"description": "the attendee (e.g. from a paper form)"})
    score = fields.Integer(required=True, validate=validate.Range(min=1, max=10))
    comment = fields.String(allow_none=True, validate=validate.Length(max=2000))


class LinkEvaluationIn(Schema):
    score = fields.Integer(required=True, validate=validate.Range(min=1, max=10))
    comment = fields.String(allow_none=True, validate=validate.Length(max=2000))


class EvaluationOut(Schema):
    id = fields.UUID()
    session_id = fields.UUID()
    score = fields.Integer()
    has_comment = fields.Boolean()


class EvaluationSummaryOut(Schema):
    session_id = fields.UUID()
    count = fields.Integer()
    average = fields.Float(allow_none=True, metadata={"description": "hidden below minimum_group evaluations"})
    minimum_group = fields.Integer()
    comments = fields.List(fields.String(), metadata={"description": "anonymous; hidden like the average"})


class ProgrammeOut(Schema):
    programme_id = fields.UUID()
    name = fields.String()
    regions = fields.List(fields.String())
    min_duration_minutes = fields.Integer()
    max_duration_minutes = fields.Integer()
    online_facilitators = fields.Integer()
    below_minimum_days = fields.Integer(allow_none=True)
    closed_on = fields.Date(allow_none=True)


class DelegateOut(Schema):
    programme_id = fields.UUID()
    person_id = fields.UUID()
    name = fields.String(allow_none=True, metadata={"description": "for attendance; removed on erasure"})
    company_id = fields.UUID()
    region = fields.String()
    job_level = fields.String(allow_none=True)
    below_management = fields.Boolean()
    eligible = fields.Boolean(metadata={"description": "company admitted, not withdrawn, delegate not removed"})


class DelegateQuery(PageQuery):
    programme_id = fields.UUID()
    region = Region()


class FeedIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("region", "facilitator", "participant")))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200),
                            metadata={"description": "region name, facilitator id or person id"})

    @validates_schema
    def subject_fits_kind(self, data: dict[str, Any], **_: Any) -> None:
        """A feed is read again and again: a subject that can never match is refused now, not at every fetch."""
        kind, subject = data.get("kind"), data.get("subject")
        # Regions are data: any region name will do (a programme may add it later), but it must be one.
        if kind == "region":
            try:
                Region().deserialize(subject)
            except ValidationError as exc:
                raise ValidationError(exc.messages, "subject") from None
        if kind == "participant":
            try:
                uuid.UUID(str(subject))
            except ValueError:
                raise ValidationError("must be a person id (UUID)", "subject") from None


class FeedOut(Schema):
    id = fields.UUID()
    kind = fields.String()
    subject = fields.String()
    token = fields.String(metadata={"description": "shown once; only its hash is stored"})
    url = fields.String()
    created_at = fields.DateTime()


SessionPage = page_schema(SessionOut)
RegistrationPage = page_schema(RegistrationOut)
InvitationPage = page_schema(InvitationOut)
ProgrammePage = page_schema(ProgrammeOut)
DelegatePage = page_schema(DelegateOut)
