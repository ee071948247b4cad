"""How reporting projects the events it consumes, and what it publishes for them.

Each handler loads the fields it needs with reporting's own schema copy,
writes its projection rows (order-tolerant upserts, see db.py) and then
publishes the pseudonymous public event for it, all in the consumer's one
transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any
from uuid import UUID

import psycopg

from services.common.consumer import Handler
from services.common.events import Event
from services.reporting import db
from services.reporting import schemas as s
from services.reporting.public_events import EVALUATED, PublicStream
from services.reporting.settings import ReportingSettings

Projection = Callable[[psycopg.Connection[Any], Event], None]


@cache
def _schema(schema: type[s.Schema]) -> s.Schema:
    """One instance per schema, reused: building one cost more than loading with it (issue 14, rebuild profile)."""
    return schema()


def _load(schema: type[s.Schema], event: Event) -> dict[str, Any]:
    loaded: dict[str, Any] = _schema(schema).load(event["data"])
    return loaded


# -- enrolment -------------------------------------------------------------------------------
def on_company_registered(conn: psycopg.Connection[Any], event: Event) -> None:
    data = _load(s.CompanyRegisteredV1, event)
    db.upsert_company(conn, data["company_id"], data["region"], event["time"], data["name"])


def on_programme_snapshot(conn: psycopg.Connection[Any], event: Event) -> None:
    db.upsert_programme_snapshot(conn, _load(s.ProgrammeSnapshotV1, event), event["time"], event["id"])


def on_programme_closed(conn: psycopg.Connection[Any], event: Event) -> None:
    data = _load(s.ProgrammeClosedV1, event)
    db.close_programme(conn, data["programme_id"], data["closed_on"])


def _enrolment_fact(schema: type[s.Schema], **facts: str) -> Projection:
    """A projection setting enrolment columns from payload fields (column=field), or the event time."""
    def project(conn: psycopg.Connection[Any], event: Event) -> None:
        data = _load(schema, event)
        values = {column: event["time"] if field == "@time" else data[field] for column, field in facts.items()}
        db.record_enrolment_fact(conn, data, **values)
    return project


def on_intake_held(conn: psycopg.Connection[Any], event: Event) -> None:
    db.record_intake(conn, _load(s.IntakeHeldV1, event))


def on_participant_delegated(conn: psycopg.Connection[Any], event: Event) -> None:
    db.record_delegate(conn, _load(s.ParticipantDelegatedV1, event), event["time"])


def on_participant_removed(conn: psycopg.Connection[Any], event: Event) -> None:
    db.record_delegate_removed(conn, _load(s.ParticipantRemovedV1, event))


def on_follow_up_recorded(conn: psycopg.Connection[Any], event: Event) -> None:
    db.record_follow_up(conn, _load(s.FollowUpRecordedV1, event), event["time"])


def on_person_erased(conn: psycopg.Connection[Any], event: Event) -> None:
    # Reporting holds no names or e-mail, only this pseudonymous id: nothing to remove.
    data = _load(s.PersonErasedV1, event)
    db.record_erasure(conn, data["person_id"], data["erased_on"])


# -- sessions --------------------------------------------------------------------------------
def on_session_snapshot(conn: psycopg.Connection[Any], event: Event) -> None:
    db.upsert_session_snapshot(conn, _load(s.SessionSnapshotV1, event))


def on_session_cancelled(conn: psycopg.Connection[Any], event: Event) -> None:
    db.cancel_session(conn, _load(s.SessionCancelledV1, event))


def on_session_held(conn: psycopg.Connection[Any], event: Event) -> None:
    db.hold_session(conn, _load(s.SessionHeldV1, event), event["time"])


def _place_fact(fact: str) -> Projection:
    def project(conn: psycopg.Connection[Any], event: Event) -> None:
        db.record_place_fact(conn, _load(s.PlaceV1, event), fact, event["time"])
    return project


def on_registration_cancelled(conn: psycopg.Connection[Any], event: Event) -> None:
    data = _load(s.RegistrationCancelledV1, event)
    db.record_place_fact(conn, data, "cancelled_at", event["time"], cancelled_late=data["late"],
                         cancel_cause=data["cause"])


def on_attendance_recorded(conn: psycopg.Connection[Any], event: Event) -> None:
    db.record_attendance(conn, _load(s.AttendanceRecordedV1, event), event["time"], event["id"])


def on_participant_invited(conn: psycopg.Connection[Any], event: Event) -> None:
    db.record_invitation(conn, _load(s.ParticipantInvitedV1, event))


def on_evaluation_submitted(conn: psycopg.Connection[Any], event: Event) -> None:
    db.record_evaluation(conn, _load(s.EvaluationSubmittedV1, event))


# -- notifications ---------------------------------------------------------------------------
def _notification(outcome: str) -> Projection:
    def project(conn: psycopg.Connection[Any], event: Event) -> None:
        data = _load(s.NotificationOutcomeV1, event)
        db.record_notification(conn, data["delivery_id"], data["kind"], outcome, event["time"])
    return project


E, S, N = "progadmin.enrolment.", "progadmin.sessions.", "progadmin.notifications."
PROJECTIONS: dict[str, Projection] = {
    E + "ProgrammeOpened.v1": on_programme_snapshot,
    E + "ProgrammeUpdated.v1": on_programme_snapshot,
    E + "ProgrammeClosed.v1": on_programme_closed,
    E + "CompanyRegistered.v1": on_company_registered,
    E + "CompanyShowedInterest.v1": _enrolment_fact(s.EnrolmentFactV1, interested_at="@time"),
    E + "IntakeHeld.v1": on_intake_held,
    E + "CompanyAdmitted.v1": _enrolment_fact(s.CompanyAdmittedV1, admitted_on="admitted_on"),
    E + "CompanyDeclined.v1": _enrolment_fact(s.CompanyDeclinedV1, declined_on="declined_on"),
    E + "CompanyActivated.v1": _enrolment_fact(s.CompanyActivatedV1, activated_on="activated_on"),
    E + "CompanyWithdrew.v1": _enrolment_fact(s.CompanyWithdrewV1, withdrawn_on="withdrawn_on",
                                              withdrawal_reason="reason_code"),
    E + "CompanyCompleted.v1": _enrolment_fact(s.CompanyCompletedV1, completed_on="completed_on"),
    E + "FollowUpRecorded.v1": on_follow_up_recorded,
    E + "ParticipantDelegated.v1": on_participant_delegated,
    E + "ParticipantRemoved.v1": on_participant_removed,
    E + "PersonErased.v1": on_person_erased,
    S + "SessionScheduled.v1": on_session_snapshot,
    S + "SessionRescheduled.v1": on_session_snapshot,
    S + "SessionCancelled.v1": on_session_cancelled,
    S + "SessionHeld.v1": on_session_held,
    S + "ParticipantInvited.v1": on_participant_invited,
    S + "ParticipantRegistered.v1": _place_fact("registered_at"),
    S + "ParticipantWaitlisted.v1": _place_fact("waitlisted_at"),
    S + "WaitlistPromoted.v1": _place_fact("promoted_at"),
    S + "RegistrationCancelled.v1": on_registration_cancelled,
    S + "AttendanceRecorded.v1": on_attendance_recorded,
    S + "EvaluationSubmitted.v1": on_evaluation_submitted,
    N + "NotificationSent.v1": _notification("sent"),
    N + "NotificationFailed.v1": _notification("failed"),
}
# v2 left out contact data and free text, which the projections never read: both versions project alike.
PROJECTIONS.update({E + f"{name}.v2": PROJECTIONS[E + f"{name}.v1"] for name in (
    "CompanyAdmitted", "CompanyDeclined", "CompanyWithdrew", "ParticipantDelegated")})
EVALUATION_SUBMITTED = S + "EvaluationSubmitted.v1"


def handlers(settings: ReportingSettings, erased: set[UUID] | None = None) -> dict[str, Handler]:
    """Every projection, each followed by the public event it causes (if any).

    `erased`: the rebuild's record of erased persons, which then holds every row of `erased_persons`
    (see PublicStream); the PersonErased projection adds to it as it writes the row.
    """
    stream = PublicStream(settings, erased)
    min_responses = settings.evaluation_min_group

    def publishing(project: Projection) -> Handler:
        def handle(conn: psycopg.Connection[Any], event: Event) -> None:
            project(conn, event)
            stream.publish_translation(conn, event)
        return handle

    def evaluation(conn: psycopg.Connection[Any], event: Event) -> None:
        on_evaluation_submitted(conn, event)
        data = event["data"]
        responses, average = db.session_evaluation(conn, data["session_id"])
        # Individual scores never leave; an average only once the group is large enough, and then only
        # per further full group: averages over n and n+1 responses would give away response n+1.
        if responses >= min_responses and responses % min_responses == 0 and average is not None:
            stream.publish(conn, event, EVALUATED, {"session_id": data["session_id"],
                                                    "programme_id": data["programme_id"],
                                                    "responses": responses, "average_score": round(average, 2)})

    def person_erased(conn: psycopg.Connection[Any], event: Event) -> None:
        on_person_erased(conn, event)
        if erased is not None:
            erased.add(UUID(str(event["data"]["person_id"])))
        stream.publish_translation(conn, event)

    out: dict[str, Handler] = {t: publishing(p) for t, p in PROJECTIONS.items()}
    out[E + "PersonErased.v1"] = person_erased
    out[EVALUATION_SUBMITTED] = evaluation
    return out
