"""Enrolment's HTTP routes: parse with schemas, call the use case, dump.

Access: fund administrators write and read everything; coordinators read
programmes, and companies and enrolments in their own regions (404 outside
them); every other role gets 403.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, url_for
from flask_smorest import Blueprint

from services.common.auth import current_principal, require_roles
from services.common.schemas import offset_of, page
from services.enrolment import access
from services.enrolment import schemas as s
from services.enrolment.service import Enrolment

Body = dict[str, Any]
Created = tuple[Body, int, dict[str, str]]

programmes = Blueprint("programmes", __name__, url_prefix="/api/v1/programmes",
                       description="Programmes: settings, admission rule, opening and closing")
companies = Blueprint("companies", __name__, url_prefix="/api/v1/companies",
                      description="Companies, their directors and contact person")
enrolments = Blueprint("enrolments", __name__, url_prefix="/api/v1/enrolments",
                       description="A company in a programme: intake (the gate), admission, delegates, "
                                   "withdrawal, completion, follow-up")
persons = Blueprint("persons", __name__, url_prefix="/api/v1/persons",
                    description="Privacy: export and erase what is held about a person")
audit_log = Blueprint("audit", __name__, url_prefix="/api/v1/audit-entries",
                      description="The audit trail of every write")
BLUEPRINTS = (programmes, companies, enrolments, persons, audit_log)


def _service() -> Enrolment:
    service: Enrolment = current_app.extensions["enrolment"]
    return service


def _coordinator_regions() -> list[str] | None:
    """None for fund administrators (everything); a coordinator's regions otherwise (access.py)."""
    return access.region_scope(current_principal())


def _visible_enrolment(enrolment_id: uuid.UUID) -> Body:
    return access.visible_enrolment(_service(), current_principal(), enrolment_id)


# -- programmes ---------------------------------------------------------------
@programmes.post("")
@require_roles("fund_admin")
@programmes.arguments(s.ProgrammeIn)
@programmes.response(201, s.ProgrammeOut)
def create_programme(body: Body) -> Created:
    """Create a programme (draft)."""
    row = _service().programmes.create_programme(body)
    return row, 201, {"Location": url_for("programmes.get_programme", programme_id=row["id"])}


@programmes.get("")
@require_roles("fund_admin", "coordinator")
@programmes.arguments(s.ProgrammeQuery, location="query")
@programmes.response(200, s.ProgrammePage)
def list_programmes(query: Body) -> Body:
    """List programmes, optionally by status."""
    limit, offset = offset_of(query)
    rows, total = _service().programmes.programmes(query.get("status"), limit, offset)
    return page(rows, total, query)


@programmes.get("/<uuid:programme_id>")
@require_roles("fund_admin", "coordinator")
@programmes.response(200, s.ProgrammeOut)
def get_programme(programme_id: uuid.UUID) -> Body:
    """One programme."""
    return _service().programmes.programme(programme_id)


@programmes.patch("/<uuid:programme_id>")
@require_roles("fund_admin")
@programmes.arguments(s.ProgrammePatch(partial=True))
@programmes.response(200, s.ProgrammeOut)
def update_programme(body: Body, programme_id: uuid.UUID) -> Body:
    """Change a draft or open programme (an open one publishes ProgrammeUpdated)."""
    return _service().programmes.update_programme(programme_id, body)


@programmes.post("/<uuid:programme_id>/opening")
@require_roles("fund_admin")
@programmes.response(200, s.ProgrammeOut)
def open_programme(programme_id: uuid.UUID) -> Body:
    """Open a draft programme for enrolment (ProgrammeOpened)."""
    return _service().programmes.open_programme(programme_id)


@programmes.post("/<uuid:programme_id>/closing")
@require_roles("fund_admin")
@programmes.response(200, s.ProgrammeOut)
def close_programme(programme_id: uuid.UUID) -> Body:
    """Close an open programme (ProgrammeClosed)."""
    return _service().programmes.close_programme(programme_id)


# -- companies ----------------------------------------------------------------
@companies.post("")
@require_roles("fund_admin")
@companies.arguments(s.CompanyIn)
@companies.response(201, s.CompanyOut)
def register_company(body: Body) -> Created:
    """Register a company (fund administrators)."""
    row = _service().companies.register_company(body)
    return row, 201, {"Location": url_for("companies.get_company", company_id=row["id"])}


@companies.get("")
@require_roles("fund_admin", "coordinator")
@companies.arguments(s.CompanyQuery, location="query")
@companies.response(200, s.CompanyPage)
def list_companies(query: Body) -> Body:
    """Search companies by name or KvK number (q), region, enrolment status and programme; coordinators
    see their own regions only."""
    access.check_region_filter(current_principal(), query.get("region"))
    limit, offset = offset_of(query)
    rows, total = _service().companies.companies(query, _coordinator_regions(), limit, offset)
    return page(rows, total, query)


@companies.get("/<uuid:company_id>")
@require_roles("fund_admin", "coordinator")
@companies.response(200, s.CompanyOut)
def get_company(company_id: uuid.UUID) -> Body:
    """One company; 404 for a coordinator outside its region (it may not know it exists)."""
    return access.visible_company(_service(), current_principal(), company_id)


@companies.patch("/<uuid:company_id>")
@require_roles("fund_admin")
@companies.arguments(s.CompanyPatch)
@companies.response(200, s.CompanyOut)
def update_company(body: Body, company_id: uuid.UUID) -> Body:
    """Change name, address, size, directors (replaced as a whole) or contact person."""
    return _service().companies.update_company(company_id, body)


# -- enrolments ---------------------------------------------------------------
@enrolments.post("")
@require_roles("fund_admin")
@enrolments.arguments(s.EnrolmentIn)
@enrolments.response(201, s.EnrolmentOut)
def create_enrolment(body: Body) -> Created:
    """A registered company shows interest in an open programme (state interested)."""
    row = _service().lifecycle.enrol(body["company_id"], body["programme_id"])
    return row, 201, {"Location": url_for("enrolments.get_enrolment", enrolment_id=row["id"])}


@enrolments.get("")
@require_roles("fund_admin", "coordinator")
@enrolments.arguments(s.EnrolmentQuery, location="query")
@enrolments.response(200, s.EnrolmentPage)
def list_enrolments(query: Body) -> Body:
    """Enrolments by programme, company, state, region; coordinators see their own regions only."""
    access.check_region_filter(current_principal(), query.get("region"))
    limit, offset = offset_of(query)
    rows, total = _service().lifecycle.enrolments(query, _coordinator_regions(), limit, offset)
    return page(rows, total, query)


@enrolments.get("/<uuid:enrolment_id>")
@require_roles("fund_admin", "coordinator")
@enrolments.response(200, s.EnrolmentOut)
def get_enrolment(enrolment_id: uuid.UUID) -> Body:
    """One enrolment with its state and the allowed next states."""
    return _visible_enrolment(enrolment_id)


@enrolments.post("/<uuid:enrolment_id>/intakes")
@require_roles("fund_admin")
@enrolments.arguments(s.IntakeScheduleIn)
@enrolments.response(201, s.IntakeOut)
def schedule_intake(body: Body, enrolment_id: uuid.UUID) -> Created:
    """Schedule the director intake interview (IntakeScheduled; mails the director)."""
    row = _service().lifecycle.schedule_intake(enrolment_id, body)
    return row, 201, {"Location": url_for("enrolments.get_intake", enrolment_id=enrolment_id, intake_id=row["id"])}


@enrolments.get("/<uuid:enrolment_id>/intakes")
@require_roles("fund_admin")
@enrolments.arguments(s.PageQuery, location="query")
@enrolments.response(200, s.IntakePage)
def list_intakes(query: Body, enrolment_id: uuid.UUID) -> Body:
    """The enrolment's intake interviews, oldest first."""
    limit, offset = offset_of(query)
    rows, total = _service().lifecycle.intakes(enrolment_id, limit, offset)
    return page(rows, total, query)


@enrolments.get("/<uuid:enrolment_id>/intakes/<uuid:intake_id>")
@require_roles("fund_admin")
@enrolments.response(200, s.IntakeOut)
def get_intake(enrolment_id: uuid.UUID, intake_id: uuid.UUID) -> Body:
    """One intake, with what it lacks for admission under the programme's rule."""
    return _service().lifecycle.intake(enrolment_id, intake_id)


@enrolments.post("/<uuid:enrolment_id>/intakes/<uuid:intake_id>/rescheduling")
@require_roles("fund_admin")
@enrolments.arguments(s.IntakeScheduleIn)
@enrolments.response(200, s.IntakeOut)
def reschedule_intake(body: Body, enrolment_id: uuid.UUID, intake_id: uuid.UUID) -> Body:
    """Move a scheduled intake (IntakeScheduled again, with a higher sequence)."""
    return _service().lifecycle.reschedule_intake(enrolment_id, intake_id, body)


@enrolments.post("/<uuid:enrolment_id>/intakes/<uuid:intake_id>/outcome")
@require_roles("fund_admin")
@enrolments.arguments(s.IntakeOutcomeIn)
@enrolments.response(201, s.IntakeOut)
def record_intake_outcome(body: Body, enrolment_id: uuid.UUID, intake_id: uuid.UUID) -> Created:
    """Record the held interview: interviewee, interviewer, commitment checklist, assessed level, notes."""
    row = _service().lifecycle.record_intake_outcome(enrolment_id, intake_id, body)
    return row, 201, {"Location": url_for("enrolments.get_intake", enrolment_id=enrolment_id, intake_id=intake_id)}


@enrolments.post("/<uuid:enrolment_id>/admission")
@require_roles("fund_admin")
@enrolments.arguments(s.AdmissionIn)
@enrolments.response(200, s.EnrolmentOut)
def admit(body: Body, enrolment_id: uuid.UUID) -> Body:
    """The gate: admit only after a held intake that meets the programme's rule (409 naming what is missing)."""
    return _service().lifecycle.admit(enrolment_id, body)


@enrolments.post("/<uuid:enrolment_id>/declination")
@require_roles("fund_admin")
@enrolments.arguments(s.DeclinationIn)
@enrolments.response(200, s.EnrolmentOut)
def decline(body: Body, enrolment_id: uuid.UUID) -> Body:
    """Decline after the intake, with a reason (a new intake may follow)."""
    return _service().lifecycle.decline(enrolment_id, body)


@enrolments.post("/<uuid:enrolment_id>/withdrawal")
@require_roles("fund_admin")
@enrolments.arguments(s.WithdrawalIn)
@enrolments.response(200, s.EnrolmentOut)
def withdraw(body: Body, enrolment_id: uuid.UUID) -> Body:
    """The company withdraws (from any non-final state); everything planned for it stops."""
    return _service().lifecycle.withdraw(enrolment_id, body)


@enrolments.post("/<uuid:enrolment_id>/completion")
@require_roles("fund_admin")
@enrolments.arguments(s.CompletionIn)
@enrolments.response(200, s.EnrolmentOut)
def complete(body: Body, enrolment_id: uuid.UUID) -> Body:
    """An active company completed the programme."""
    return _service().lifecycle.complete(enrolment_id, body)


@enrolments.post("/<uuid:enrolment_id>/delegates")
@require_roles("fund_admin")
@enrolments.arguments(s.DelegateIn)
@enrolments.response(201, s.DelegateOut)
def delegate(body: Body, enrolment_id: uuid.UUID) -> Created:
    """Delegate (or, with `replaces`, replace) a participant; below management level is accepted with a
    warning; over the programme's maximum is refused (409)."""
    row = _service().participation.delegate(enrolment_id, body)
    return row, 201, {"Location": url_for("enrolments.get_delegate", enrolment_id=enrolment_id,
                                          person_id=row["person_id"])}


@enrolments.get("/<uuid:enrolment_id>/delegates")
@require_roles("fund_admin", "coordinator")
@enrolments.arguments(s.DelegateQuery, location="query")
@enrolments.response(200, s.DelegatePage)
def list_delegates(query: Body, enrolment_id: uuid.UUID) -> Body:
    """The company's current delegates (include_removed=true for all)."""
    _visible_enrolment(enrolment_id)
    limit, offset = offset_of(query)
    rows, total = _service().participation.delegates(enrolment_id, query["include_removed"], limit, offset)
    return page(rows, total, query)


@enrolments.get("/<uuid:enrolment_id>/delegates/<uuid:person_id>")
@require_roles("fund_admin", "coordinator")
@enrolments.response(200, s.DelegateOut)
def get_delegate(enrolment_id: uuid.UUID, person_id: uuid.UUID) -> Body:
    """One delegate."""
    _visible_enrolment(enrolment_id)
    return _service().participation.delegate_of(enrolment_id, person_id)


@enrolments.delete("/<uuid:enrolment_id>/delegates/<uuid:person_id>")
@require_roles("fund_admin")
@enrolments.response(204)
def remove_delegate(enrolment_id: uuid.UUID, person_id: uuid.UUID) -> None:
    """Remove a delegate (ParticipantRemoved)."""
    _service().participation.remove_delegate(enrolment_id, person_id)


@enrolments.post("/<uuid:enrolment_id>/follow-ups")
@require_roles("fund_admin")
@enrolments.arguments(s.FollowUpIn)
@enrolments.response(201, s.FollowUpOut)
def record_follow_up(body: Body, enrolment_id: uuid.UUID) -> Created:
    """Record a follow-up ("borging") activity and the company's adoption level."""
    row = _service().participation.record_follow_up(enrolment_id, body)
    return row, 201, {"Location": url_for("enrolments.get_follow_up", enrolment_id=enrolment_id,
                                          follow_up_id=row["id"])}


@enrolments.get("/<uuid:enrolment_id>/follow-ups")
@require_roles("fund_admin", "coordinator")
@enrolments.arguments(s.PageQuery, location="query")
@enrolments.response(200, s.FollowUpPage)
def list_follow_ups(query: Body, enrolment_id: uuid.UUID) -> Body:
    """The company's follow-up activities, by date."""
    _visible_enrolment(enrolment_id)
    limit, offset = offset_of(query)
    rows, total = _service().participation.follow_ups(enrolment_id, limit, offset)
    return page(rows, total, query)


@enrolments.get("/<uuid:enrolment_id>/follow-ups/<uuid:follow_up_id>")
@require_roles("fund_admin", "coordinator")
@enrolments.response(200, s.FollowUpOut)
def get_follow_up(enrolment_id: uuid.UUID, follow_up_id: uuid.UUID) -> Body:
    """One follow-up activity."""
    _visible_enrolment(enrolment_id)
    return _service().participation.follow_up(enrolment_id, follow_up_id)


# -- privacy ------------------------------------------------------------------
@persons.get("")
@require_roles("fund_admin")
@persons.arguments(s.PersonQuery, location="query")
@persons.response(200, s.PersonPage)
def find_persons(query: Body) -> Body:
    """Find the persons behind an e-mail address (to answer a data subject's request)."""
    limit, offset = offset_of(query)
    rows, total = _service().privacy.find_persons(query["email"], limit, offset)
    return page(rows, total, query)


@persons.get("/<uuid:person_id>/export")
@require_roles("fund_admin")
@persons.response(200, s.PersonExport)
def export_person(person_id: uuid.UUID) -> Body:
    """Everything this service holds about a person (a data subject's access request)."""
    return _service().privacy.export_person(person_id)


@persons.post("/<uuid:person_id>/erasure")
@require_roles("fund_admin")
@persons.response(200, s.ErasureOut)
def erase_person(person_id: uuid.UUID) -> Body:
    """Erase a person's personal data on request; the pseudonymous id stays (PersonErased)."""
    return _service().privacy.erase_person(person_id)


# -- audit --------------------------------------------------------------------
@audit_log.get("")
@require_roles("fund_admin")
@audit_log.arguments(s.AuditQuery, location="query")
@audit_log.response(200, s.AuditPage)
def list_audit_entries(query: Body) -> Body:
    """Who wrote what, when, under which correlation id."""
    limit, offset = offset_of(query)
    rows, total = _service().privacy.audit_entries(query, limit, offset)
    return page(rows, total, query)
