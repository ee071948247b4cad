"""Enrolment's facts: programmes, companies, the director's letters, delegates, campaigns, withdrawal, erasure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.common.consumer import Handler
from services.common.contacts import CONTACT_DETAILS_CHANGED, CONTACTS_TOPIC, tombstone_handler_key
from services.common.events import Event, event_type
from services.notifications import db
from services.notifications import schemas as s
from services.notifications.domain import in_audience, step_times
from services.notifications.handlers.base import Conn, Triggers, load


class EnrolmentTriggers(Triggers):
    """Events of `progadmin.enrolment.events` and the contacts topic."""

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
        d = load(event, s.IntakeScheduledV1, s.IntakeScheduledV2)
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
        d = load(event, s.CompanyAdmittedV1, s.CompanyAdmittedV2)
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
        d = load(event, s.CompanyDeclinedV1, s.CompanyDeclinedV2)
        director = self._director(conn, d, "declined")
        self._schedule(conn, event, "decline", director, enrolment_id=d["enrolment_id"],
                       company_id=d["company_id"], programme_id=d["programme_id"],
                       context={"reason": d["reason"], "declined_on": d["declined_on"]})

    def participant_delegated(self, conn: Conn, event: Event) -> None:
        d = load(event, s.ParticipantDelegatedV1, s.ParticipantDelegatedV2)
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

    def table(self) -> dict[str, Handler]:
        e: dict[str, Handler] = {
            "ProgrammeOpened": self.programme_snapshot, "ProgrammeUpdated": self.programme_snapshot,
            "CompanyRegistered": self.company_registered, "CompanyShowedInterest": self.company_showed_interest,
            "IntakeScheduled": self.intake_scheduled, "IntakeHeld": self.intake_held,
            "CompanyAdmitted": self.company_admitted, "CompanyDeclined": self.company_declined,
            "ParticipantDelegated": self.participant_delegated, "ParticipantRemoved": self.participant_removed,
            "CompanyWithdrew": self.company_withdrew, "CompanyCompleted": self.company_completed,
            "PersonErased": self.person_erased,
        }
        # v2: the same facts without contact data or free text (the handlers read both versions).
        e2 = {n: e[n] for n in ("IntakeScheduled", "CompanyAdmitted", "CompanyDeclined", "ParticipantDelegated",
                                "CompanyWithdrew")}
        return {**{event_type("enrolment", n): h for n, h in e.items()},
                **{event_type("enrolment", n, 2): h for n, h in e2.items()},
                CONTACT_DETAILS_CHANGED: self.contact_details,
                tombstone_handler_key(CONTACTS_TOPIC): self.contact_tombstone}
