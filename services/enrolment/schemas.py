"""Marshmallow schemas: HTTP bodies in and out, one per body."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

# An audit entry reads the same in every service; enrolment keeps its own filters (AuditQuery below).
from services.common.audit import AuditEntry
from services.common.schemas import SINGLE_LINE, PageQuery, Region, page_schema, region_list
from services.enrolment.domain import (
    ADOPTION_LEVELS,
    COMPANY_SIZES,
    FOLLOW_UP_ACTIVITIES,
    INTERVIEWEE_ROLES,
    JOB_LEVELS,
    LANGUAGES,
    STANDARD_COMMITMENTS,
    STATES,
    WITHDRAWAL_REASONS,
    kvk_number_problem,
)

SESSION_TYPES = ("dialogue", "intervision", "workshop", "kick_off")
_NAME = [validate.Length(min=1, max=200), SINGLE_LINE]
_TEXT = validate.Length(max=2000)
_KEY = validate.Regexp(r"^[a-z][a-z0-9_]{0,59}$", error="must be snake_case letters, digits and _")


# -- persons ------------------------------------------------------------------
class PersonIn(Schema):
    name = fields.String(required=True, validate=_NAME)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    phone = fields.String(validate=validate.Regexp(r"^\+?[0-9 ()-]{6,20}$", error="must be a phone number"))
    language = fields.String(load_default="nl", validate=validate.OneOf(LANGUAGES))


def distinct_emails(people: list[dict[str, Any]]) -> None:
    """One person per e-mail address: addresses differing only in case are the same person."""
    emails = [p["email"].lower() for p in people if p.get("email")]
    if len(set(emails)) != len(emails):
        raise ValidationError("two directors have the same e-mail address (case does not count)")


class DirectorIn(PersonIn):
    role = fields.String(load_default="director", validate=validate.OneOf(INTERVIEWEE_ROLES))


class PersonOut(Schema):
    person_id = fields.UUID()
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    language = fields.String()
    erased = fields.Boolean()


class DirectorOut(PersonOut):
    role = fields.String()


# -- programmes ---------------------------------------------------------------
class SessionRules(Schema):
    min_duration_minutes = fields.Integer(load_default=60, validate=validate.Range(min=1, max=24 * 60))
    max_duration_minutes = fields.Integer(load_default=210, validate=validate.Range(min=1, max=24 * 60))
    online_facilitators = fields.Integer(load_default=2, validate=validate.Range(min=1, max=10))

    @validates_schema
    def check_order(self, data: dict[str, Any], **_: Any) -> None:
        low, high = data.get("min_duration_minutes"), data.get("max_duration_minutes")
        if low is not None and high is not None and low > high:
            raise ValidationError("must not be below min_duration_minutes", "max_duration_minutes")


class AdmissionRuleSchema(Schema):
    required_commitments = fields.List(fields.String(validate=_KEY), load_default=lambda: list(STANDARD_COMMITMENTS))
    min_assessed_level = fields.Integer(load_default=3, validate=validate.Range(min=1, max=5))


def programme_problems(data: dict[str, Any]) -> dict[str, str | list[str]]:
    """Cross-field rules of a (merged) programme; {field: reason}."""
    problems: dict[str, str | list[str]] = {}
    start, end = data.get("period_start"), data.get("period_end")
    if start and end and end < start:
        problems["period_end"] = "must not be before period_start"
    rule = data.get("admission_rule")
    if rule is not None:
        known = set(STANDARD_COMMITMENTS) | set(data.get("extra_commitments") or [])
        unknown = sorted(set(rule.get("required_commitments", [])) - known)
        if unknown:
            problems["admission_rule.required_commitments"] = \
                f"not a checklist item: {', '.join(unknown)} (add it to extra_commitments)"
    return problems


class ProgrammeIn(Schema):
    name = fields.String(required=True, validate=_NAME)
    fund = fields.String(load_default="", validate=[validate.Length(max=200), SINGLE_LINE])
    theme = fields.String(load_default="", validate=[validate.Length(max=200), SINGLE_LINE])
    period_start = fields.Date(load_default=None, allow_none=True)
    period_end = fields.Date(load_default=None, allow_none=True)
    regions = region_list(required=True)
    planned_sessions = fields.Dict(keys=fields.String(validate=validate.OneOf(SESSION_TYPES)),
                                   values=fields.Integer(validate=validate.Range(min=0, max=500)),
                                   load_default=dict)
    extra_commitments = fields.List(fields.String(validate=_KEY), load_default=list)
    admission_rule = fields.Nested(AdmissionRuleSchema, load_default=lambda: AdmissionRuleSchema().load({}))
    max_delegates_per_company = fields.Integer(required=True, validate=validate.Range(min=1, max=100))
    session_rules = fields.Nested(SessionRules, load_default=lambda: SessionRules().load({}))
    teaser_question = fields.String(load_default="", validate=_TEXT)
    reminder_hours_before = fields.Integer(load_default=48, validate=validate.Range(min=1, max=24 * 14))
    follow_up_info = fields.String(load_default="", validate=_TEXT)

    @validates_schema
    def check_cross_fields(self, data: dict[str, Any], **_: Any) -> None:
        problems = programme_problems(data)
        if problems:
            raise ValidationError(problems)


class ProgrammePatch(ProgrammeIn):
    """Any subset of a programme's fields (load with partial=True: no defaults applied).

    Cross-field rules are checked by the use case on the merged programme,
    since a patch alone does not know the stored values.
    """

    def check_cross_fields(self, data: dict[str, Any], **_: Any) -> None:
        return None


class ProgrammeOut(Schema):
    id = fields.UUID()
    status = fields.String()
    allowed_next = fields.List(fields.String())
    name = fields.String()
    fund = fields.String()
    theme = fields.String()
    period_start = fields.Date(allow_none=True)
    period_end = fields.Date(allow_none=True)
    regions = fields.List(fields.String())
    planned_sessions = fields.Dict(keys=fields.String(), values=fields.Integer())
    extra_commitments = fields.List(fields.String())
    admission_rule = fields.Nested(AdmissionRuleSchema)
    max_delegates_per_company = fields.Integer()
    session_rules = fields.Nested(SessionRules)
    teaser_question = fields.String()
    reminder_hours_before = fields.Integer()
    follow_up_info = fields.String()
    opened_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ProgrammeQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(("draft", "open", "closed")))


# -- companies ----------------------------------------------------------------
class Address(Schema):
    street = fields.String(load_default="", validate=validate.Length(max=200))
    postal_code = fields.String(load_default="", validate=validate.Regexp(
        r"^$|^[1-9][0-9]{3} ?[A-Z]{2}$", error="must be a Dutch postal code like 1234 AB"))
    city = fields.String(load_default="", validate=validate.Length(max=100))


_NO_ADDRESS: dict[str, Any] = Address().load({})


class CompanyIn(Schema):
    name = fields.String(required=True, validate=_NAME)
    # The pattern states the rule in the OpenAPI document; check_kvk gives the message.
    kvk_number = fields.String(required=True, metadata={"pattern": "^[0-9]{8}$",
                                                        "description": "KvK number: exactly 8 digits"})
    region = Region(required=True)
    # A fresh copy of the empty address (built once: a schema per request cost a write ~0.1 ms, issue 14).
    address = fields.Nested(Address, load_default=lambda: dict(_NO_ADDRESS))
    size = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(COMPANY_SIZES))
    directors = fields.List(fields.Nested(DirectorIn), load_default=list,
                            validate=[validate.Length(max=5), distinct_emails])
    contact_person = fields.Nested(PersonIn, load_default=None, allow_none=True)

    @validates("kvk_number")
    def check_kvk(self, value: str, **_: Any) -> None:
        problem = kvk_number_problem(value)
        if problem:
            raise ValidationError(problem)


class CompanyPatch(Schema):
    """Fields that may change after registration (KvK number and region identify the company)."""

    name = fields.String(validate=_NAME)
    address = fields.Nested(Address)
    size = fields.String(allow_none=True, validate=validate.OneOf(COMPANY_SIZES))
    directors = fields.List(fields.Nested(DirectorIn), validate=[validate.Length(max=5), distinct_emails])
    contact_person = fields.Nested(PersonIn, allow_none=True)


class EnrolmentSummary(Schema):
    id = fields.UUID()
    programme_id = fields.UUID()
    state = fields.String()


class CompanyOut(Schema):
    id = fields.UUID()
    name = fields.String()
    kvk_number = fields.String()
    region = fields.String()
    address = fields.Nested(Address)
    size = fields.String(allow_none=True)
    directors = fields.List(fields.Nested(DirectorOut))
    contact_person = fields.Nested(PersonOut, allow_none=True)
    enrolments = fields.List(fields.Nested(EnrolmentSummary))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CompanyQuery(PageQuery):
    region = Region()
    status = fields.String(validate=validate.OneOf(STATES))
    programme_id = fields.UUID()
    q = fields.String(validate=validate.Length(min=1, max=100))


# -- enrolments ---------------------------------------------------------------
class EnrolmentIn(Schema):
    company_id = fields.UUID(required=True)
    programme_id = fields.UUID(required=True)


class Withdrawal(Schema):
    reason_code = fields.String()
    reason_text = fields.String(allow_none=True)
    withdrawn_on = fields.Date()


class EnrolmentOut(Schema):
    id = fields.UUID()
    company_id = fields.UUID()
    company_name = fields.String()
    region = fields.String()
    programme_id = fields.UUID()
    state = fields.String()
    allowed_next = fields.List(fields.String())
    admitted_on = fields.Date(allow_none=True)
    declined_on = fields.Date(allow_none=True)
    decline_reason = fields.String(allow_none=True)
    activated_on = fields.Date(allow_none=True)
    completed_on = fields.Date(allow_none=True)
    withdrawal = fields.Nested(Withdrawal, allow_none=True)
    adoption_level = fields.String(allow_none=True)
    delegate_count = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class EnrolmentQuery(PageQuery):
    programme_id = fields.UUID()
    company_id = fields.UUID()
    state = fields.String(validate=validate.OneOf(STATES))
    region = Region()


class IntakeScheduleIn(Schema):
    scheduled_at = fields.AwareDateTime(required=True)
    location = fields.String(load_default="", validate=validate.Length(max=300))


class IntakeOutcomeIn(Schema):
    held_on = fields.Date(required=True)
    interviewee_role = fields.String(required=True, validate=validate.OneOf(INTERVIEWEE_ROLES))
    interviewee_person_id = fields.UUID(load_default=None, allow_none=True)
    interviewer = fields.String(required=True, validate=_NAME)
    # Strict booleans: a checklist answer "yes" is not a commitment.
    commitments = fields.Dict(keys=fields.String(validate=_KEY), values=fields.Boolean(truthy={True}, falsy={False}),
                              required=True)
    assessed_level = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    notes = fields.String(load_default="", validate=validate.Length(max=5000))


class IntakeOut(Schema):
    id = fields.UUID()
    enrolment_id = fields.UUID()
    status = fields.String()
    scheduled_at = fields.AwareDateTime()
    location = fields.String()
    sequence = fields.Integer()
    held_on = fields.Date(allow_none=True)
    interviewee_person_id = fields.UUID(allow_none=True)
    interviewee_role = fields.String(allow_none=True)
    interviewer = fields.String(allow_none=True)
    commitments = fields.Dict(keys=fields.String(), values=fields.Boolean(), allow_none=True)
    assessed_level = fields.Integer(allow_none=True)
    meets_admission_rule = fields.Boolean(allow_none=True)
    missing_for_admission = fields.List(fields.String())
    notes = fields.String(allow_none=True)


class AdmissionIn(Schema):
    admitted_on = fields.Date(load_default=None)


class DeclinationIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    declined_on = fields.Date(load_default=None)


class WithdrawalIn(Schema):
    reason_code = fields.String(required=True, validate=validate.OneOf(WITHDRAWAL_REASONS))
    reason_text = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=2000))
    withdrawn_on = fields.Date(load_default=None)

    @validates_schema
    def text_for_other(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("reason_code") == "other" and not data.get("reason_text"):
            raise ValidationError("required when reason_code is other", "reason_text")


class CompletionIn(Schema):
    completed_on = fields.Date(load_default=None)


class DelegateIn(PersonIn):
    job_level = fields.String(required=True, validate=validate.OneOf(JOB_LEVELS))
    replaces = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "person_id of a current delegate this one replaces"})


class DelegateOut(Schema):
    person_id = fields.UUID()
    enrolment_id = fields.UUID()
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    language = fields.String()
    job_level = fields.String()
    below_management = fields.Boolean()
    delegated_on = fields.Date()
    removed_on = fields.Date(allow_none=True)
    replaced_by = fields.UUID(allow_none=True)
    warnings = fields.List(fields.String())


class DelegateQuery(PageQuery):
    include_removed = fields.Boolean(load_default=False)


class FollowUpIn(Schema):
    activity = fields.String(required=True, validate=validate.OneOf(FOLLOW_UP_ACTIVITIES))
    occurred_on = fields.Date(required=True)
    adoption_level = fields.String(required=True, validate=validate.OneOf(ADOPTION_LEVELS))
    description = fields.String(load_default="", validate=_TEXT)


class FollowUpOut(Schema):
    id = fields.UUID()
    enrolment_id = fields.UUID()
    activity = fields.String()
    occurred_on = fields.Date()
    adoption_level = fields.String()
    description = fields.String()
    created_at = fields.DateTime()


# -- privacy and audit --------------------------------------------------------
class DirectorOf(Schema):
    company_id = fields.UUID()
    company_name = fields.String()
    role = fields.String()


class ContactPersonOf(Schema):
    company_id = fields.UUID()
    company_name = fields.String()


class Delegation(Schema):
    enrolment_id = fields.UUID()
    job_level = fields.String()
    below_management = fields.Boolean()
    delegated_on = fields.Date()
    removed_on = fields.Date(allow_none=True)
    replaced_by = fields.UUID(allow_none=True)


class IntakeRecord(Schema):
    intake_id = fields.UUID()
    enrolment_id = fields.UUID()
    held_on = fields.Date(allow_none=True)
    interviewee_role = fields.String(allow_none=True)
    interviewer = fields.String(allow_none=True)
    commitments = fields.Dict(keys=fields.String(), values=fields.Boolean(), allow_none=True)
    assessed_level = fields.Integer(allow_none=True)
    notes = fields.String(allow_none=True)


class PersonExport(Schema):
    person = fields.Nested(PersonOut)
    director_of = fields.List(fields.Nested(DirectorOf))
    contact_person_of = fields.List(fields.Nested(ContactPersonOf))
    delegations = fields.List(fields.Nested(Delegation))
    intakes = fields.List(fields.Nested(IntakeRecord))


class PersonQuery(PageQuery):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))


class ErasureOut(Schema):
    person_id = fields.UUID()
    erased_on = fields.Date()


class AuditQuery(PageQuery):
    subject_type = fields.String(validate=validate.Length(min=1, max=50))
    subject_id = fields.String(validate=validate.Length(min=1, max=100))
    action = fields.String(validate=validate.Length(min=1, max=100))


ProgrammePage = page_schema(ProgrammeOut)
CompanyPage = page_schema(CompanyOut)
EnrolmentPage = page_schema(EnrolmentOut)
IntakePage = page_schema(IntakeOut)
DelegatePage = page_schema(DelegateOut)
FollowUpPage = page_schema(FollowUpOut)
AuditPage = page_schema(AuditEntry)
PersonPage = page_schema(PersonOut)
