"""People and a session: invitations, registrations, the waiting list, cancellations, attendance.

Invitations that get an answer: an invitee who has not answered after
`mail_invitation_reminder_hours` hears again (`invitation_reminder`), once per
session and person, never at or after the session's start; answering
(registering, joining the waiting list, declining) cancels the queued reminder,
and the sender checks again when it falls due. A place on the waiting list
(`waitlist_placement`) and a registration cancelled by the participant or by
staff (`registration_cancelled`) get a mail of their own; a cancelled session's
people get `session_cancelled` as before. Each mail's row is keyed by its event,
so a redelivered event claims nothing new.
"""

from __future__ import annotations

from typing import Any

from services.common.consumer import Handler
from services.common.events import Event, event_type
from services.notifications import db
from services.notifications import schemas as s
from services.notifications.domain import invitation_reminder_key, invitation_reminder_time
from services.notifications.handlers.base import Conn, Triggers

# Whoever cancelled, the participant hears of it; withdrawal, removal and erasure stop their mail altogether.
CANCELLATIONS_MAILED = ("participant",)


class RegistrationTriggers(Triggers):
    """Person-and-session events of `progadmin.sessions.events`."""

    def _session_person(self, conn: Conn, event: Event,
                        state: str) -> tuple[dict[str, Any], bool, dict[str, Any] | None]:
        """Record the person's state; (data, may mail them, session if known)."""
        d = s.SessionPersonV1().load(event["data"])
        db.set_session_person(conn, d["session_id"], d["person_id"], d["company_id"], state)
        session = db.session(conn, d["session_id"])
        # An unknown session is still on its way: mail about it waits for it when sending.
        mailable = ((session is None or session["status"] in ("planned", "confirmed"))
                    and self._person_may_get_mail(conn, d["person_id"], d["company_id"], d["programme_id"]))
        return d, mailable, session

    def _answered(self, conn: Conn, d: dict[str, Any]) -> None:
        """The invitee answered: the reminder to answer is void."""
        db.mark_answered(conn, d["session_id"], d["person_id"], d["company_id"], self.clock.now())
        db.cancel_scheduled(conn, "invitee answered", session_id=d["session_id"], recipient_id=d["person_id"],
                            kinds=["invitation_reminder"])

    def participant_invited(self, conn: Conn, event: Event) -> None:
        d, mailable, session = self._session_person(conn, event, "invited")
        if not mailable:
            return
        self._schedule(conn, event, "session_invitation", d["person_id"], session_id=d["session_id"],
                       company_id=d["company_id"], programme_id=d["programme_id"])
        when = invitation_reminder_time(self.clock.now(), self.settings.mail_invitation_reminder_hours,
                                        session["starts_at"] if session else None)
        if when is not None:
            # Keyed by session and person, not by event: one reminder per invitation, never a second one.
            self._schedule(conn, event, "invitation_reminder", d["person_id"], send_after=when,
                           key=invitation_reminder_key(d["session_id"], d["person_id"]),
                           session_id=d["session_id"], company_id=d["company_id"], programme_id=d["programme_id"])

    def invitation_responded(self, conn: Conn, event: Event) -> None:
        """Registered, waiting list or declined: any answer counts (the registration events say the rest)."""
        self._answered(conn, s.SessionPersonV1().load(event["data"]))

    def participant_registered(self, conn: Conn, event: Event) -> None:
        d, mailable, session = self._session_person(conn, event, "registered")
        self._answered(conn, d)
        if mailable and d["moved_from_session_id"]:
            # A go/no-go merge moved them here: their old session's notice says it is off, this says where to go.
            before = db.session(conn, d["moved_from_session_id"])
            self._schedule(conn, event, "session_transfer", d["person_id"], session_id=d["session_id"],
                           company_id=d["company_id"], programme_id=d["programme_id"],
                           context={"moved_from_session_id": d["moved_from_session_id"],
                                    "previous_starts_at": before["starts_at"].isoformat() if before else None})
        if mailable and session is not None:
            self._schedule_reminder(conn, event, session, d["person_id"], d["company_id"])

    def participant_waitlisted(self, conn: Conn, event: Event) -> None:
        d, mailable, _ = self._session_person(conn, event, "waitlisted")
        self._answered(conn, d)
        if mailable:
            self._schedule(conn, event, "waitlist_placement", d["person_id"], session_id=d["session_id"],
                           company_id=d["company_id"], programme_id=d["programme_id"],
                           context={"position": d["position"]})

    def waitlist_promoted(self, conn: Conn, event: Event) -> None:
        d, mailable, session = self._session_person(conn, event, "registered")
        self._answered(conn, d)
        if mailable:
            self._schedule(conn, event, "waitlist_promotion", d["person_id"], session_id=d["session_id"],
                           company_id=d["company_id"], programme_id=d["programme_id"])
            if session is not None:
                self._schedule_reminder(conn, event, session, d["person_id"], d["company_id"])

    def registration_cancelled(self, conn: Conn, event: Event) -> None:
        d = s.SessionPersonV1().load(event["data"])
        before = db.session_person(conn, d["session_id"], d["person_id"])
        db.set_session_person(conn, d["session_id"], d["person_id"], d["company_id"], "cancelled")
        if d["cause"] == "session_cancelled":
            # Sessions cancels every registration of a cancelled session right after SessionCancelled:
            # the person's other mail about it goes, the cancellation notice stays (and is queued here
            # should this event come first), one per person and session.
            db.cancel_scheduled(conn, "session cancelled", session_id=d["session_id"], recipient_id=d["person_id"],
                                except_kinds=["session_cancelled"])
            if self._person_may_get_mail(conn, d["person_id"], d["company_id"], d["programme_id"]):
                self._schedule(conn, event, "session_cancelled", d["person_id"], session_id=d["session_id"],
                               company_id=d["company_id"], programme_id=d["programme_id"], once_per_session=True)
            return
        # Everything queued about the session for them is void, except a confirmation of a cancellation.
        db.cancel_scheduled(conn, "registration cancelled", session_id=d["session_id"], recipient_id=d["person_id"],
                            except_kinds=["registration_cancelled"])
        if d["cause"] in CANCELLATIONS_MAILED and self._person_may_get_mail(
                conn, d["person_id"], d["company_id"], d["programme_id"]):
            self._schedule(conn, event, "registration_cancelled", d["person_id"], session_id=d["session_id"],
                           company_id=d["company_id"], programme_id=d["programme_id"],
                           context={"cancelled_by": d["cancelled_by"], "late": d["late"],
                                    "was": before["state"] if before else None})
        if d["late"] and d["cause"] == "participant":
            self._risk_point(conn, event, d["company_id"], d["programme_id"], "late_cancellation")

    def attendance_recorded(self, conn: Conn, event: Event) -> None:
        d = s.SessionPersonV1().load(event["data"])
        db.set_attendance(conn, d["session_id"], d["person_id"], d["company_id"], d["attendance"])
        if d["attendance"] == "attended" and self._person_may_get_mail(
                conn, d["person_id"], d["company_id"], d["programme_id"]):
            self._schedule(conn, event, "evaluation_request", d["person_id"], session_id=d["session_id"],
                           company_id=d["company_id"], programme_id=d["programme_id"], once_per_session=True)
        elif d["attendance"] == "no_show":
            self._risk_point(conn, event, d["company_id"], d["programme_id"], "no_show")

    def table(self) -> dict[str, Handler]:
        ss: dict[str, Handler] = {
            "ParticipantInvited": self.participant_invited, "ParticipantRegistered": self.participant_registered,
            "ParticipantWaitlisted": self.participant_waitlisted, "WaitlistPromoted": self.waitlist_promoted,
            "RegistrationCancelled": self.registration_cancelled, "AttendanceRecorded": self.attendance_recorded,
            "InvitationResponded": self.invitation_responded,
        }
        return {event_type("sessions", n): h for n, h in ss.items()}
