"""What notifications does with enrolment and sessions events.

Handlers keep the few facts mails need and claim deliveries (one row per
logical mail, unique on cause + kind + recipient) in the consumer's
transaction; the sender loop mails them when due. Nothing is sent here.

Contact data (name, address, language) comes from enrolment's compacted
contacts topic (ContactDetailsChanged, keyed by person id; a tombstone
there clears it); the v2 enrolment events name people by id only. The v1
events, which carried the contact data inside, stay in the history and are
handled alike. The two topics arrive in any order: a mail for someone whose
contact data is not here yet waits for it (see sender.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import psycopg

from services.common.config import Settings
from services.common.consumer import Handler
from services.common.contacts import CONTACT_DETAILS_CHANGED, CONTACTS_TOPIC, tombstone_handler_key
from services.common.events import Event, event_type
from services.notifications import db
from services.notifications import schemas as s
from services.notifications.alerts import address_alert
from services.notifications.clock import Clock, SystemClock
from services.notifications.domain import KINDS, in_audience, reminder_time, staff_recipient, step_times

Conn = psycopg.Connection[Any]
SESSION_FIELDS_THAT_MATTER = ("starts_at", "ends_at", "format", "venue_address", "online_url")
NOTIFIED_STATES = ("invited", "registered", "waitlisted")


class Triggers:
    """The event handlers, sharing settings and a clock."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()

    # -- helpers ------------------------------------------------------------------------
    def _schedule(self, conn: Conn, event: Event, kind: str, recipient_id: str, *,
                  send_after: datetime | None = None, key: str | None = None, **extra: Any) -> str | None:
        if db.is_erased(conn, recipient_id):
            return None  # a late event about an erased person claims nothing
        return db.schedule(conn, event_id=key or event["id"], kind=kind, recipient_id=recipient_id,
                           send_after=send_after or self.clock.now(), optional=KINDS[kind].optional, **extra)

    def _company_active(self, conn: Conn, company_id: str | None, programme_id: str) -> bool:
        if not company_id:
            return True
        enrolment = db.enrolment_of_company(conn, company_id, programme_id)
        return enrolment is None or enrolment["status"] not in ("withdrawn", "declined")

    def _person_may_get_mail(self, conn: Conn, person_id: str, company_id: str | None, programme_id: str) -> bool:
        return db.may_receive(conn, person_id) and self._company_active(conn, company_id, programme_id)

    def _schedule_reminder(self, conn: Conn, event: Event, session: dict[str, Any], recipient_id: str,
                           company_id: str | None = None) -> None:
        programme = db.programme(conn, session["programme_id"])
        when = reminder_time(session["starts_at"], programme["reminder_hours_before"] if programme else None,
                             self.settings.mail_reminder_hours)
        if when <= self.clock.now():
            return  # too close to the start for a reminder to make sense
        self._schedule(conn, event, "session_reminder", recipient_id, send_after=when,
                       session_id=session["session_id"], company_id=company_id,
                       programme_id=session["programme_id"], once_per_session=True)

    def _alert_coordinators(self, conn: Conn, event: Event, kind: str, region: str | None, key: str | None = None,
                            **extra: Any) -> None:
        """The region's coordinators, else the fund administrators, else a visible unaddressed entry (alerts.py)."""
        address_alert(conn, cause=key or event["id"], kind=kind, region=region, send_after=self.clock.now(), **extra)

    def _risk_point(self, conn: Conn, event: Event, company_id: str, programme_id: str, why: str) -> None:
        """No-shows and late cancellations add up; past the threshold the coordinators hear of it, once."""
        enrolment = db.enrolment_of_company(conn, company_id, programme_id)
        if enrolment is None or enrolment["status"] != "admitted":
            return
        row = db.add_risk_point(conn, enrolment["enrolment_id"])
        if row and row["risk_points"] >= self.settings.mail_at_risk_threshold and db.mark_at_risk_alerted(
                conn, enrolment["enrolment_id"]):
            self._alert_coordinators(conn, event, "alert_company_at_risk", enrolment["region"],
                                     key=f"at-risk:{enrolment['enrolment_id']}", company_id=company_id,
                                     enrolment_id=enrolment["enrolment_id"], programme_id=programme_id,
                                     context={"risk_points": row["risk_points"], "last_signal": why})

    def _stop_person(self, conn: Conn, person_id: str, reason: str) -> None:
        db.cancel_scheduled(conn, reason, recipient_id=person_id)
        db.stop_memberships(conn, person_id, reason)

    # -- enrolment ----------------------------------------------------------------------
    def programme_snapshot(self, conn: Conn, event: Event) -> None:
        d = s.ProgrammeSnapshotV1().load(event["data"])
        before = db.programme(conn, d["programme_id"])
        db.upsert_programme(conn, d)
        if before is not None and before["reminder_hours_before"] != d["reminder_hours_before"]:
            # A new lead time applies to reminders still queued, not only to future registrations.
            db.move_programme_reminders(conn, d["programme_id"],
                                        d["reminder_hours_before"] or self.settings.mail_reminder_hours,
                                        self.clock.now())

    def company_registered(self, conn: Conn, event: Event) -> None:
        d = s.CompanyRegisteredV1().load(event["data"])
        db.upsert_company(conn, d["company_id"], d["name"], d["region"])

    def company_showed_interest(self, conn: Conn, event: Event) -> None:
        d = s.EnrolmentRef().load(event["data"])
        db.upsert_enrolment(conn, d["enrolment_id"], d["company_id"], d["programme_id"], d["region"])

    def _director(self, conn: Conn, d: dict[str, Any], status: str | None = None) -> str:
        contact = d.get("director")  # v1: the contact data inside the event; v2: only the id
        director_id = str(contact["person_id"]) if contact else d["director_id"]
        db.upsert_enrolment(conn, d["enrolment_id"], d["company_id"], d["programme_id"], d.get("region"),
                            director_id, status)
        if contact:
            db.set_contact(conn, contact)
        db.link_recipient(conn, director_id, "director", d["company_id"], d["enrolment_id"], d["programme_id"])
        return director_id

    def contact_details(self, conn: Conn, event: Event) -> None:
        d = s.ContactDetailsV1().load(event["data"])
        if db.set_contact(conn, d):
            db.wake_waiting(conn, d["person_id"], self.clock.now())

    def contact_tombstone(self, conn: Conn, record: Event) -> None:
        db.forget_contact(conn, record["subject"])

    def intake_scheduled(self, conn: Conn, event: Event) -> None:
        d = _load(event, s.IntakeScheduledV1, s.IntakeScheduledV2)
        director = self._director(conn, d)
        self._schedule(conn, event, "intake_invitation", director, enrolment_id=d["enrolment_id"],
                       company_id=d["company_id"], programme_id=d["programme_id"],
                       context={"intake_id": d["intake_id"], "scheduled_at": d["scheduled_at"].isoformat(),
                                "location": d["location"], "sequence": d["sequence"]})

    def intake_held(self, conn: Conn, event: Event) -> None:
        d = s.IntakeHeldV1().load(event["data"])
        enrolment = db.enrolment(conn, d["enrolment_id"])
        if enrolment is None or not enrolment["director_id"]:
            return  # no director known: nobody to confirm to
        committed = sorted(k for k, v in d["commitments"].items() if v)
        self._schedule(conn, event, "intake_confirmation", enrolment["director_id"],
                       enrolment_id=d["enrolment_id"], company_id=d["company_id"], programme_id=d["programme_id"],
                       context={"held_on": d["held_on"], "commitments": committed,
                                "meets_admission_rule": d["meets_admission_rule"]})

    def company_admitted(self, conn: Conn, event: Event) -> None:
        d = _load(event, s.CompanyAdmittedV1, s.CompanyAdmittedV2)
        director = self._director(conn, d, "admitted")
        self._schedule(conn, event, "admission", director, enrolment_id=d["enrolment_id"],
                       company_id=d["company_id"], programme_id=d["programme_id"],
                       context={"admitted_on": d["admitted_on"]})
        # The progress digest keeps the director's commitment alive; each one sent plans the next.
        due = self.clock.now() + timedelta(days=self.settings.mail_digest_days)
        self._schedule(conn, event, "progress_digest", director, key=f"digest:{d['enrolment_id']}:1",
                       send_after=due, enrolment_id=d["enrolment_id"], company_id=d["company_id"],
                       programme_id=d["programme_id"], context={"number": 1, "due": due.isoformat()})

    def company_declined(self, conn: Conn, event: Event) -> None:
        d = _load(event, s.CompanyDeclinedV1, s.CompanyDeclinedV2)
        director = self._director(conn, d, "declined")
        self._schedule(conn, event, "decline", director, enrolment_id=d["enrolment_id"],
                       company_id=d["company_id"], programme_id=d["programme_id"],
                       context={"reason": d["reason"], "declined_on": d["declined_on"]})

    def participant_delegated(self, conn: Conn, event: Event) -> None:
        d = _load(event, s.ParticipantDelegatedV1, s.ParticipantDelegatedV2)
        enrolment = db.enrolment(conn, d["enrolment_id"])
        active = not db.is_erased(conn, d["person_id"]) and (
            enrolment is None or enrolment["status"] not in ("withdrawn", "declined"))
        if d.get("contact"):  # v1 only
            db.set_contact(conn, d["contact"])
        db.link_recipient(conn, d["person_id"], "participant", d["company_id"], d["enrolment_id"],
                          d["programme_id"], d["job_level"], active)
        if active:
            for campaign in db.campaigns_for(conn, d["programme_id"]):
                self.enrol_in_campaign(conn, campaign, d["person_id"], d["company_id"], d["programme_id"])

    def enrol_in_campaign(self, conn: Conn, campaign: dict[str, Any], person_id: str, company_id: str | None,
                          programme_id: str | None) -> bool:
        """Join a delegate to a drip campaign and claim its mails at their offsets."""
        recipient = db.recipient(conn, person_id)
        if not in_audience(recipient["job_level"] if recipient else None, campaign["job_levels"]):
            return False
        now = self.clock.now()
        if not db.join_campaign(conn, str(campaign["id"]), person_id, now):
            return False
        for step, when in enumerate(step_times(now, campaign["steps"])):
            db.schedule(conn, event_id=f"campaign:{campaign['id']}:{step}", kind="drip", recipient_id=person_id,
                        send_after=when, optional=True, campaign_id=str(campaign["id"]), company_id=company_id,
                        programme_id=programme_id, context={"step": step})
        return True

    def participant_removed(self, conn: Conn, event: Event) -> None:
        d = s.ParticipantRemovedV1().load(event["data"])
        db.deactivate_person(conn, d["person_id"])
        self._stop_person(conn, d["person_id"], "person removed")

    def company_withdrew(self, conn: Conn, event: Event) -> None:
        d = s.CompanyWithdrewV1().load(event["data"])
        db.upsert_enrolment(conn, d["enrolment_id"], d["company_id"], d["programme_id"], d["region"],
                            status="withdrawn")
        for person_id in db.deactivate_enrolment_people(conn, d["enrolment_id"]):
            self._stop_person(conn, person_id, "company withdrew")
        db.cancel_scheduled(conn, "company withdrew", company_id=d["company_id"])

    def company_completed(self, conn: Conn, event: Event) -> None:
        d = s.EnrolmentRef().load(event["data"])
        db.upsert_enrolment(conn, d["enrolment_id"], d["company_id"], d["programme_id"], None, status="completed")

    def person_erased(self, conn: Conn, event: Event) -> None:
        d = s.PersonErasedV1().load(event["data"])
        self._stop_person(conn, d["person_id"], "person erased")
        db.erase_person(conn, d["person_id"])
        db.mark_erased(conn, d["person_id"])

    # -- sessions -----------------------------------------------------------------------
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
                            kinds=["session_reminder", "session_invitation"])

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
        e: dict[str, Callable[[Conn, Event], None]] = {
            "ProgrammeOpened": self.programme_snapshot, "ProgrammeUpdated": self.programme_snapshot,
            "CompanyRegistered": self.company_registered, "CompanyShowedInterest": self.company_showed_interest,
            "IntakeScheduled": self.intake_scheduled, "IntakeHeld": self.intake_held,
            "CompanyAdmitted": self.company_admitted, "CompanyDeclined": self.company_declined,
            "ParticipantDelegated": self.participant_delegated, "ParticipantRemoved": self.participant_removed,
            "CompanyWithdrew": self.company_withdrew, "CompanyCompleted": self.company_completed,
            "PersonErased": self.person_erased,
        }
        ss: dict[str, Callable[[Conn, Event], None]] = {
            "SessionScheduled": self.session_scheduled, "SessionRescheduled": self.session_rescheduled,
            "SessionCancelled": self.session_cancelled, "SessionHeld": self.session_held,
            "ParticipantInvited": self.participant_invited, "ParticipantRegistered": self.participant_registered,
            "ParticipantWaitlisted": self.participant_waitlisted, "WaitlistPromoted": self.waitlist_promoted,
            "RegistrationCancelled": self.registration_cancelled, "AttendanceRecorded": self.attendance_recorded,
            "SessionBelowMinimum": self.session_below_minimum, "RepeatedNoShow": self.repeated_no_show,
        }
        # v2: the same facts without contact data or free text (the handlers read both versions).
        e2 = {n: e[n] for n in ("IntakeScheduled", "CompanyAdmitted", "CompanyDeclined", "ParticipantDelegated",
                                "CompanyWithdrew")}
        return {**{event_type("enrolment", n): h for n, h in e.items()},
                **{event_type("enrolment", n, 2): h for n, h in e2.items()},
                **{event_type("sessions", n): h for n, h in ss.items()},
                CONTACT_DETAILS_CHANGED: self.contact_details,
                tombstone_handler_key(CONTACTS_TOPIC): self.contact_tombstone}


def _load(event: Event, v1: type[s.EventData], v2: type[s.EventData]) -> dict[str, Any]:
    """The event's data by its major version."""
    schema = v2 if event["type"].endswith(".v2") else v1
    data: dict[str, Any] = schema().load(event["data"])
    return data


def handlers(settings: Settings, clock: Clock | None = None) -> dict[str, Handler]:
    return Triggers(settings, clock).table()
