"""A session's life: scheduled, rescheduled (mail follows the change), cancelled, held; coordinators' alerts."""

from __future__ import annotations

from typing import Any

from services.common.consumer import Handler
from services.common.events import Event, event_type
from services.notifications import db
from services.notifications import schemas as s
from services.notifications.domain import invitation_reminder_key, reminder_time, staff_recipient
from services.notifications.handlers.base import NOTIFIED_STATES, Conn, Triggers

SESSION_FIELDS_THAT_MATTER = ("starts_at", "ends_at", "format", "venue_address", "online_url")


class SessionTriggers(Triggers):
    """Session events of `progadmin.sessions.events` (people's own events: registrations.py)."""

    def session_scheduled(self, conn: Conn, event: Event) -> None:
        d = s.SessionSnapshotV1().load(event["data"])
        db.upsert_session(conn, d)
        for facilitator in d["facilitator_ids"]:
            self._facilitator_assigned(conn, event, d, facilitator)

    def _facilitator_assigned(self, conn: Conn, event: Event, d: dict[str, Any], facilitator: str) -> None:
        recipient = staff_recipient(facilitator)
        self._schedule(conn, event, "facilitator_assignment", recipient, session_id=d["session_id"],
                       programme_id=d["programme_id"])
        self._schedule_reminder(conn, event, d, recipient)

    def session_rescheduled(self, conn: Conn, event: Event) -> None:
        d = s.SessionSnapshotV1().load(event["data"])
        before = db.upsert_session(conn, d)
        if before is not None and before["version"] > d["version"]:
            return  # an older snapshot arriving late changes nothing
        old_facilitators = set(before["facilitator_ids"]) if before else set()
        for facilitator in d["facilitator_ids"]:
            if facilitator not in old_facilitators:
                self._facilitator_assigned(conn, event, d, facilitator)
        for facilitator in old_facilitators - set(d["facilitator_ids"]):
            # Taken off the session: their queued reminder (and anything else about it) is void.
            db.cancel_scheduled(conn, "facilitator taken off the session", session_id=d["session_id"],
                                recipient_id=staff_recipient(facilitator))
        moved = before is None or any(before[f] != d[f] for f in SESSION_FIELDS_THAT_MATTER)
        if not moved:
            return
        context = {"previous_starts_at": before["starts_at"].isoformat() if before else None}
        for person in db.session_people(conn, d["session_id"], NOTIFIED_STATES):
            self._schedule(conn, event, "session_rescheduled", person["person_id"], session_id=d["session_id"],
                           company_id=person["company_id"], programme_id=d["programme_id"], context=context)
        for facilitator in old_facilitators & set(d["facilitator_ids"]):
            self._schedule(conn, event, "session_rescheduled", staff_recipient(facilitator),
                           session_id=d["session_id"], programme_id=d["programme_id"], context=context)
        self._move_reminders(conn, event, d)
        self._remind_unanswered(conn, event, d)

    def _remind_unanswered(self, conn: Conn, event: Event, d: dict[str, Any]) -> None:
        """A session moved later may leave room for a reminder to answer that did not fit before. The key is the
        invitation's (session and person), so whoever has one already gets no second; the sender times it from
        when the invitation went out and drops it when the session starts first."""
        for person in db.session_people(conn, d["session_id"], ["invited"]):
            if person["answered_at"] is None:
                self._schedule(conn, event, "invitation_reminder", person["person_id"],
                               key=invitation_reminder_key(d["session_id"], person["person_id"]),
                               session_id=d["session_id"], company_id=person["company_id"],
                               programme_id=d["programme_id"])

    def _move_reminders(self, conn: Conn, event: Event, d: dict[str, Any]) -> None:
        """Queued reminders move with the session; whoever takes part and has none queued (reminded already,
        or theirs was dropped when the session came too close) gets a new one."""
        programme = db.programme(conn, d["programme_id"])
        when = reminder_time(d["starts_at"], programme["reminder_hours_before"] if programme else None,
                             self.settings.mail_reminder_hours)
        reminders = db.scheduled_reminders(conn, d["session_id"])
        for reminder in reminders:
            if reminder["status"] != "scheduled":
                continue
            if when > self.clock.now():
                db.move(conn, reminder["id"], when)
            else:
                db.cancel_scheduled(conn, "session moved too close for a reminder", session_id=d["session_id"],
                                    recipient_id=reminder["recipient_id"], kinds=["session_reminder"])
        if when <= self.clock.now():
            return
        # Only people still registered and the session's current facilitators: not someone who cancelled
        # or was taken off the session after an earlier reminder.
        queued = {r["recipient_id"] for r in reminders if r["status"] == "scheduled"}
        taking_part = [(p["person_id"], p["company_id"]) for p in db.session_people(conn, d["session_id"],
                                                                                   ["registered"])]
        taking_part += [(staff_recipient(f), None) for f in d["facilitator_ids"]]
        for recipient_id, company_id in taking_part:
            if recipient_id not in queued:
                queued.add(recipient_id)
                self._schedule(conn, event, "session_reminder", recipient_id, send_after=when,
                               session_id=d["session_id"], company_id=company_id, programme_id=d["programme_id"])

    def session_cancelled(self, conn: Conn, event: Event) -> None:
        d = s.SessionCancelledV1().load(event["data"])
        session = db.session(conn, d["session_id"])
        db.cancel_session(conn, d["session_id"], d["version"], d["reason"])
        # Everything queued about the session is void, except the notice itself: a registration's
        # cancellation (from a replay, say) may have queued someone's notice before this event arrived.
        db.cancel_scheduled(conn, "session cancelled", session_id=d["session_id"], except_kinds=["session_cancelled"])
        if session is None:
            return
        context = {"reason": d["reason"]}
        for person in db.session_people(conn, d["session_id"], NOTIFIED_STATES):
            self._schedule(conn, event, "session_cancelled", person["person_id"], session_id=d["session_id"],
                           company_id=person["company_id"], programme_id=d["programme_id"], context=context,
                           once_per_session=True)
        for facilitator in session["facilitator_ids"]:
            self._schedule(conn, event, "session_cancelled", staff_recipient(facilitator),
                           session_id=d["session_id"], programme_id=d["programme_id"], context=context,
                           once_per_session=True)

    def session_held(self, conn: Conn, event: Event) -> None:
        db.set_session_status(conn, event["data"]["session_id"], "held")
        db.cancel_scheduled(conn, "session held", session_id=event["data"]["session_id"],
                            kinds=["session_reminder", "session_invitation", "invitation_reminder"])

    def session_below_minimum(self, conn: Conn, event: Event) -> None:
        d = s.SessionBelowMinimumV1().load(event["data"])
        self._alert_coordinators(conn, event, "alert_below_minimum", d["region"], session_id=d["session_id"],
                                 programme_id=d["programme_id"],
                                 context={"registered": d["registered"], "capacity_min": d["capacity_min"]})

    def repeated_no_show(self, conn: Conn, event: Event) -> None:
        d = s.RepeatedNoShowV1().load(event["data"])
        enrolment = db.enrolment_of_company(conn, d["company_id"], d["programme_id"])
        company = db.company(conn, d["company_id"])
        region = (enrolment["region"] if enrolment else None) or (company["region"] if company else None)
        self._alert_coordinators(conn, event, "alert_repeated_no_show", region, company_id=d["company_id"],
                                 programme_id=d["programme_id"],
                                 context={"person_id": d["person_id"], "session_ids": d["session_ids"]})

    def table(self) -> dict[str, Handler]:
        ss: dict[str, Handler] = {
            "SessionScheduled": self.session_scheduled, "SessionRescheduled": self.session_rescheduled,
            "SessionCancelled": self.session_cancelled, "SessionHeld": self.session_held,
            "SessionBelowMinimum": self.session_below_minimum, "RepeatedNoShow": self.repeated_no_show,
        }
        return {event_type("sessions", n): h for n, h in ss.items()}
