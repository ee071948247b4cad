"""People and a session: invitations, registrations, the waiting list, cancellations, attendance."""

from __future__ import annotations

from typing import Any

from services.common.consumer import Handler
from services.common.events import Event, event_type
from services.notifications import db
from services.notifications import schemas as s
from services.notifications.handlers.base import Conn, Triggers


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

    def participant_invited(self, conn: Conn, event: Event) -> None:
        d, mailable, _ = self._session_person(conn, event, "invited")
        if mailable:
            self._schedule(conn, event, "session_invitation", d["person_id"], session_id=d["session_id"],
                           company_id=d["company_id"], programme_id=d["programme_id"])

    def participant_registered(self, conn: Conn, event: Event) -> None:
        d, mailable, session = self._session_person(conn, event, "registered")
        if mailable and session is not None:
            self._schedule_reminder(conn, event, session, d["person_id"], d["company_id"])

    def participant_waitlisted(self, conn: Conn, event: Event) -> None:
        self._session_person(conn, event, "waitlisted")

    def waitlist_promoted(self, conn: Conn, event: Event) -> None:
        d, mailable, session = self._session_person(conn, event, "registered")
        if mailable:
            self._schedule(conn, event, "waitlist_promotion", d["person_id"], session_id=d["session_id"],
                           company_id=d["company_id"], programme_id=d["programme_id"])
            if session is not None:
                self._schedule_reminder(conn, event, session, d["person_id"], d["company_id"])

    def registration_cancelled(self, conn: Conn, event: Event) -> None:
        d = s.SessionPersonV1().load(event["data"])
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
        db.cancel_scheduled(conn, "registration cancelled", session_id=d["session_id"], recipient_id=d["person_id"])
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
        }
        return {event_type("sessions", n): h for n, h in ss.items()}
