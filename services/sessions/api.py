"""Sessions' HTTP routes for coordinators, facilitators and fund administrators: parse, call, dump."""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any

from flask import current_app, url_for
from flask_smorest import Blueprint

from services.common.auth import current_principal, require_roles
from services.common.schemas import offset_of, page
from services.sessions import access, domain
from services.sessions.schemas import (
    AttendanceIn,
    AttendanceOut,
    CancellationIn,
    DecisionIn,
    DecisionOut,
    DecisionsOut,
    DelegatePage,
    DelegateQuery,
    EvaluationIn,
    EvaluationOut,
    EvaluationSummaryOut,
    InvitationIn,
    InvitationPage,
    InvitationsOut,
    NeedingDecisionList,
    NeedingDecisionQuery,
    PageQuery,
    ProgrammePage,
    RegistrationIn,
    RegistrationOut,
    RegistrationPage,
    RegistrationQuery,
    RescheduleIn,
    SeriesIn,
    SeriesOut,
    SessionIn,
    SessionOut,
    SessionPage,
    SessionQuery,
)
from services.sessions.service import Sessions

sessions = Blueprint("sessions", __name__, url_prefix="/api/v1/sessions",
                     description="Sessions: scheduling, invitations, registrations, attendance, evaluations")
registrations = Blueprint("registrations", __name__, url_prefix="/api/v1/registrations",
                          description="One registration (a place or a waiting-list spot)")
series = Blueprint("series", __name__, url_prefix="/api/v1/session-series",
                   description="Recurring series: every occurrence is a session of its own")
read_model = Blueprint("read_model", __name__, url_prefix="/api/v1",
                       description="What sessions knows of enrolment: programmes and delegates (ids only)")

STAFF = ("fund_admin", "coordinator")
ANYONE_ON_SESSIONS = ("fund_admin", "coordinator", "facilitator")


def _service() -> Sessions:
    service: Sessions = current_app.extensions["sessions"]
    return service


def session_out(row: dict[str, Any]) -> dict[str, Any]:
    """Times in UTC plus the local start, as the API promises."""
    starts = row["starts_at"].astimezone(UTC)
    return {**row, "starts_at": starts, "ends_at": domain.ends_at(starts, row["duration_minutes"]),
            "starts_at_local": domain.local(starts)}


# -- sessions ---------------------------------------------------------------------


@sessions.post("")
@require_roles(*STAFF)
@sessions.arguments(SessionIn)
@sessions.response(201, SessionOut)
def schedule_session(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Schedule a session in one of your regions (coordinators) or anywhere (fund administrators)."""
    access.may_schedule_in(current_principal(), body["region"])
    row = _service().scheduling.schedule(body)
    return session_out({**row, "registered": 0, "waitlisted": 0}), 201, {
        "Location": url_for("sessions.get_session", session_id=row["id"])}


@sessions.get("")
@require_roles(*ANYONE_ON_SESSIONS)
@sessions.arguments(SessionQuery, location="query")
@sessions.response(200, SessionPage)
def list_sessions(query: dict[str, Any]) -> dict[str, Any]:
    """Sessions you may see: your regions (coordinators) or your own sessions (facilitators)."""
    limit, offset = offset_of(query)
    filters = {k: v for k, v in query.items() if k not in ("page", "page_size")}
    rows, total = _service().queries.sessions(access.session_filters(current_principal(), filters), limit, offset)
    return page([session_out(r) for r in rows], total, query)


@sessions.get("/<uuid:session_id>")
@require_roles(*ANYONE_ON_SESSIONS)
@sessions.response(200, SessionOut)
def get_session(session_id: uuid.UUID) -> dict[str, Any]:
    """One session with its numbers of registered and waiting people."""
    return session_out(access.visible_session(_service(), current_principal(), session_id))


def _with_counts(row: dict[str, Any]) -> dict[str, Any]:
    return session_out(access.visible_session(_service(), current_principal(), row["id"]))


def _manage(session_id: uuid.UUID) -> None:
    """404 / 403 before the use case runs (access.py: the one place for these rules)."""
    access.manageable_session(_service(), current_principal(), session_id)


@sessions.post("/<uuid:session_id>/rescheduling")
@require_roles(*STAFF)
@sessions.arguments(RescheduleIn)
@sessions.response(200, SessionOut)
def reschedule_session(body: dict[str, Any], session_id: uuid.UUID) -> dict[str, Any]:
    """Change time, place, capacity or facilitators; the whole plan is checked again."""
    _manage(session_id)
    if body.pop("scope") == "this_and_following":
        return _with_counts(_service().series.reschedule_rest(session_id, body))
    return _with_counts(_service().scheduling.reschedule(session_id, body))


@sessions.post("/<uuid:session_id>/confirmation")
@require_roles(*STAFF)
@sessions.response(200, SessionOut)
def confirm_session(session_id: uuid.UUID) -> dict[str, Any]:
    """Confirm a planned session (it will go ahead)."""
    _manage(session_id)
    return _with_counts(_service().scheduling.confirm(session_id))


@sessions.post("/<uuid:session_id>/cancellation")
@require_roles(*STAFF)
@sessions.arguments(CancellationIn)
@sessions.response(200, SessionOut)
def cancel_session(body: dict[str, Any], session_id: uuid.UUID) -> dict[str, Any]:
    """Cancel a session with a reason (or, in a series, it and every open occurrence after it)."""
    _manage(session_id)
    if body["scope"] == "this_and_following":
        return _with_counts(_service().series.cancel_rest(session_id, body["reason"]))
    return _with_counts(_service().scheduling.cancel(session_id, body["reason"]))


@sessions.post("/<uuid:session_id>/closing")
@require_roles(*STAFF)
@sessions.response(200, SessionOut)
def close_session(session_id: uuid.UUID) -> dict[str, Any]:
    """Close a session that took place (attendance of every registration recorded): it becomes held."""
    _manage(session_id)
    return _with_counts(_service().attendance.close(session_id))


@sessions.post("/<uuid:session_id>/invitations")
@require_roles(*STAFF)
@sessions.arguments(InvitationIn)
@sessions.response(201, InvitationsOut)
def invite(body: dict[str, Any], session_id: uuid.UUID) -> dict[str, Any]:
    """Invite every eligible delegate of the session's region, or the people named (all or none)."""
    _manage(session_id)
    invited = _service().invitations.invite(session_id, body.get("person_ids"))
    return {"invited": invited, "count": len(invited)}


@sessions.get("/<uuid:session_id>/invitations")
@require_roles(*ANYONE_ON_SESSIONS)
@sessions.arguments(PageQuery, location="query")
@sessions.response(200, InvitationPage)
def list_invitations(query: dict[str, Any], session_id: uuid.UUID) -> dict[str, Any]:
    limit, offset = offset_of(query)
    access.visible_session(_service(), current_principal(), session_id)
    rows, total = _service().queries.invitations(session_id, limit, offset)
    return page(rows, total, query)


@sessions.post("/<uuid:session_id>/registrations")
@require_roles(*STAFF)
@sessions.arguments(RegistrationIn)
@sessions.response(201, RegistrationOut)
def register(body: dict[str, Any], session_id: uuid.UUID) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Register a delegate: a place while there is one, else the waiting list (status says which)."""
    _manage(session_id)
    reg = _service().registrations.register(session_id, body["person_id"])
    return reg, 201, {"Location": url_for("registrations.get_registration", registration_id=reg["id"])}


@sessions.get("/<uuid:session_id>/registrations")
@require_roles(*ANYONE_ON_SESSIONS)
@sessions.arguments(RegistrationQuery, location="query")
@sessions.response(200, RegistrationPage)
def list_registrations(query: dict[str, Any], session_id: uuid.UUID) -> dict[str, Any]:
    """Registrations in arrival order; the waiting list is `?status=waitlisted`."""
    limit, offset = offset_of(query)
    access.visible_session(_service(), current_principal(), session_id)
    rows, total = _service().queries.registrations(session_id, query.get("status"), limit, offset)
    return page(rows, total, query)


@sessions.post("/<uuid:session_id>/attendance")
@require_roles(*ANYONE_ON_SESSIONS)
@sessions.arguments(AttendanceIn)
@sessions.response(200, AttendanceOut)
def record_attendance(body: dict[str, Any], session_id: uuid.UUID) -> dict[str, Any]:
    """Record attended / no_show / excused per registration (facilitators of the session may too)."""
    access.attendance_session(_service(), current_principal(), session_id)
    return {"records": _service().attendance.record(session_id, body["records"])}


@sessions.post("/<uuid:session_id>/evaluations")
@require_roles(*STAFF)
@sessions.arguments(EvaluationIn)
@sessions.response(201, EvaluationOut)
def enter_evaluation(body: dict[str, Any], session_id: uuid.UUID) -> dict[str, Any]:
    """Enter an attendee's evaluation (e.g. a paper form); participants use their signed link."""
    _manage(session_id)
    return _service().evaluations.evaluate(session_id, body["person_id"], body["score"], body.get("comment"))


@sessions.get("/<uuid:session_id>/evaluation-summary")
@require_roles(*ANYONE_ON_SESSIONS)
@sessions.response(200, EvaluationSummaryOut)
def evaluation_summary(session_id: uuid.UUID) -> dict[str, Any]:
    """Number of evaluations, and the average and comments once the group is large enough to stay anonymous."""
    access.visible_session(_service(), current_principal(), session_id)
    return _service().evaluations.summary(session_id)


@sessions.get("/needing-decision")
@require_roles(*STAFF)
@sessions.arguments(NeedingDecisionQuery, location="query")
@sessions.response(200, NeedingDecisionList)
def needing_decision(query: dict[str, Any]) -> dict[str, Any]:
    """Go/no-go: open sessions below their minimum within their horizon (the programme's `below_minimum_days`,
    else PROGADMIN_SESSIONS_BELOW_MINIMUM_DAYS) without a decision for their date."""
    regions = access.region_scope(current_principal(), query.get("region"))
    rows = _service().decisions.needing_decision(regions, query.get("region"))
    return {"items": [session_out(r) for r in rows]}


@sessions.post("/<uuid:session_id>/decisions")
@require_roles(*STAFF)
@sessions.arguments(DecisionIn)
@sessions.response(201, DecisionOut)
def decide(body: dict[str, Any], session_id: uuid.UUID) -> dict[str, Any]:
    """Record a go/no-go decision (who and when) and carry it out: go confirms, cancel cancels, merge moves
    every registration to the other session (places first come first served, else its waiting list)."""
    principal = current_principal()
    _manage(session_id)
    if body.get("merge_into_session_id") is not None:
        access.manageable_session(_service(), principal, body["merge_into_session_id"])
    return _service().decisions.decide(session_id, body["decision"], principal.subject,
                                       merge_into=body.get("merge_into_session_id"), reason=body.get("reason"),
                                       decided_by_name=principal.name or None)


@sessions.get("/<uuid:session_id>/decisions")
@require_roles(*ANYONE_ON_SESSIONS)
@sessions.response(200, DecisionsOut)
def list_decisions(session_id: uuid.UUID) -> dict[str, Any]:
    """The go/no-go decisions taken for this session, oldest first."""
    access.visible_session(_service(), current_principal(), session_id)
    return {"items": _service().decisions.decisions(session_id)}


# -- series ----------------------------------------------------------------------------


@series.post("")
@require_roles(*STAFF)
@series.arguments(SeriesIn)
@series.response(201, SeriesOut)
def schedule_series(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Schedule a series in one step: `count` sessions, every `interval_weeks` weeks from `start_date`, from
    `start_time` to `end_time` local time. All are planned, or none (422 names each failing field)."""
    principal = current_principal()
    access.may_schedule_in(principal, body["region"])
    row, occurrences = _service().series.schedule(body, principal.subject)
    out = {**row, "sessions": [session_out({**s, "registered": 0, "waitlisted": 0}) for s in occurrences]}
    return out, 201, {"Location": url_for("series.get_series", series_id=row["id"])}


@series.get("/<uuid:series_id>")
@require_roles(*ANYONE_ON_SESSIONS)
@series.response(200, SeriesOut)
def get_series(series_id: uuid.UUID) -> dict[str, Any]:
    """A series with its occurrences (a facilitator sees only their own occurrences)."""
    row = access.visible_series(_service(), current_principal(), series_id)
    return {**row, "sessions": [session_out(s) for s in row["sessions"]]}


# -- registrations --------------------------------------------------------------------


@registrations.get("/<uuid:registration_id>")
@require_roles(*ANYONE_ON_SESSIONS)
@registrations.response(200, RegistrationOut)
def get_registration(registration_id: uuid.UUID) -> dict[str, Any]:
    return access.visible_registration(_service(), current_principal(), registration_id)


@registrations.post("/<uuid:registration_id>/cancellation")
@require_roles(*STAFF)
@registrations.response(200, RegistrationOut)
def cancel_registration(registration_id: uuid.UUID) -> dict[str, Any]:
    """Cancel (afzeggen) on a participant's behalf; the next on the waiting list moves up."""
    access.manageable_registration(_service(), current_principal(), registration_id)
    return _service().registrations.cancel_registration(registration_id)


# -- read model -------------------------------------------------------------------------


@read_model.get("/programmes")
@require_roles(*ANYONE_ON_SESSIONS)
@read_model.arguments(PageQuery, location="query")
@read_model.response(200, ProgrammePage)
def list_programmes(query: dict[str, Any]) -> dict[str, Any]:
    """Programmes known from enrolment's events, with their session rules."""
    limit, offset = offset_of(query)
    rows, total = _service().queries.programmes(limit, offset)
    return page(rows, total, query)


@read_model.get("/delegates")
@require_roles(*STAFF)
@read_model.arguments(DelegateQuery, location="query")
@read_model.response(200, DelegatePage)
def list_delegates(query: dict[str, Any]) -> dict[str, Any]:
    """Delegates (pseudonymous ids, company, job level) and whether they may be invited."""
    limit, offset = offset_of(query)
    regions = access.region_scope(current_principal(), query.get("region"))
    rows, total = _service().queries.delegates(query.get("programme_id"), regions, query.get("region"), limit,
                                               offset)
    return page(rows, total, query)
