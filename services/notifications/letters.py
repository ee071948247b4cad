"""Composing one delivery into a mail: who it goes to, in which language, with which links and calendar file.

Composition happens when the mail is sent, not when it is scheduled: a
reminder shows the session as it is then, and an erased person's address
is never copied into the queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from services.common import signed_links
from services.notifications import db
from services.notifications.calendar import intake_ics, session_ics
from services.notifications.domain import KINDS, STAFF_PREFIX, invitation_reminder_time, language_of
from services.notifications.rendering import render
from services.notifications.settings import NotificationsSettings

Conn = psycopg.Connection[Any]
FALLBACK = {"nl": {"programme": "het programma", "company": "uw bedrijf"},
            "en": {"programme": "the programme", "company": "your company"}}


class NotSendable(Exception):
    """A delivery that cannot be mailed now; `status` says what becomes of it."""

    status = "failed"


class Dropped(NotSendable):
    """The person withdrew, was removed or erased, or the thing it was about is gone."""

    status = "cancelled"


class Suppressed(NotSendable):
    """Optional mail to someone on the suppression list."""

    status = "suppressed"


class UnknownStaff(NotSendable):
    """A staff id (a facilitator named by sessions) that the staff directory does not hold: a mistake to show,
    not data on its way (staff are entered here, by hand). `staff_id` says who."""

    def __init__(self, staff_id: str) -> None:
        super().__init__(f"no staff directory entry for {staff_id}: add them (PUT /api/v1/staff/{staff_id})"
                         " or correct the session's facilitators")
        self.staff_id = staff_id


class NotYetKnown(NotSendable):
    """Data has not arrived (yet): try again later, then give up."""

    status = "retry"


class ContactNotYetKnown(NotYetKnown):
    """The person's contact data has not arrived from the contacts topic (yet): wait for it, never give up.

    The role and the contact data come from two topics in any order; the record
    that brings the data makes the row due at once (handlers/enrolment.py, contact_details).
    """


class InvitationPending(ContactNotYetKnown):
    """A reminder to answer whose invitation has not gone out yet (it waits for contact data, say): it waits
    as long as the invitation does, then goes `mail_invitation_reminder_hours` after it."""


class NotYetDue(NotSendable):
    """Due later than planned (a reminder counts from when its invitation actually went out)."""

    status = "later"

    def __init__(self, due: datetime, why: str) -> None:
        super().__init__(why)
        self.due = due


@dataclass
class Attachment:
    filename: str
    content: bytes
    method: str


@dataclass
class Letter:
    delivery_id: str
    kind: str
    recipient_id: str
    to_name: str
    to_address: str
    language: str
    subject: str
    text: str
    html: str
    attachments: list[Attachment] = field(default_factory=list)
    unsubscribe_url: str | None = None


def link(settings: NotificationsSettings, service: str, action: str, subject: dict[str, str], *, now: datetime,
         until: datetime | None = None) -> str:
    """A signed link to act without a login; valid until `until`, else for `link_ttl_hours` from `now`."""
    ttl = (until - now).total_seconds() if until is not None else settings.link_ttl_hours * 3600
    token = signed_links.sign(settings.link_secret, action, subject, int(ttl), now=now.timestamp())
    return f"{settings.public_urls[service]}/api/v1/links/{action}?token={token}"


def company_report_link(settings: NotificationsSettings, programme_id: str, company_id: str, now: datetime) -> str:
    """The director's link to their company's report (served by reporting); it outlives the next digest."""
    ttl = max(settings.link_ttl_hours * 3600, 2 * settings.mail_digest_days * 86400)
    return signed_links.company_report_url(settings.link_secret, settings.public_urls["reporting"], programme_id,
                                           company_id, ttl, now=now.timestamp())


def unsubscribe_link(settings: NotificationsSettings, person_id: str) -> str:
    # Unsubscribing never expires in practice: a year-old digest's link must still work.
    token = signed_links.sign(settings.link_secret, "unsubscribe", {"person_id": person_id}, 5 * 365 * 86400)
    return f"{settings.public_urls['notifications']}/api/v1/unsubscribe?token={token}"


def _recipient(conn: Conn, delivery: dict[str, Any]) -> dict[str, Any]:
    rid = delivery["recipient_id"]
    if rid.startswith(STAFF_PREFIX):
        staff = db.staff_member(conn, rid[len(STAFF_PREFIX):])
        if staff is None:
            raise UnknownStaff(rid[len(STAFF_PREFIX):])
        return {**staff, "is_staff": True}
    if db.is_erased(conn, rid):
        raise Dropped("person erased")
    person = db.recipient(conn, rid)
    if person is not None and not person["active"]:
        raise Dropped("person withdrawn or removed")
    if person is None or person["email"] is None:
        raise ContactNotYetKnown("no contact data for this person (yet)")
    return {**person, "is_staff": False}


def compose(conn: Conn, settings: NotificationsSettings, delivery: dict[str, Any], now: datetime) -> Letter:
    """Build the mail for a delivery, or raise NotSendable saying why not."""
    kind = KINDS[delivery["kind"]]
    person = _recipient(conn, delivery)
    if kind.optional and not person["is_staff"] and db.is_suppressed(conn, person["person_id"]):
        raise Suppressed("recipient unsubscribed from optional mail")
    lang = language_of(person["language"])
    ctx: dict[str, Any] = dict(delivery["context"] or {})
    programme = db.programme(conn, delivery["programme_id"]) or {
        "name": FALLBACK[lang]["programme"], "teaser_question": None, "follow_up_info": None,
        "reminder_hours_before": None}
    company = db.company(conn, delivery["company_id"]) or {"name": FALLBACK[lang]["company"]}
    session = db.session(conn, delivery["session_id"])
    if delivery["session_id"] and session is None:
        raise NotYetKnown("session not known (yet)")
    if session is not None and session["status"] == "cancelled" and delivery["kind"] != "session_cancelled":
        raise Dropped("session cancelled")
    if delivery["enrolment_id"] and delivery["kind"] in ("progress_digest",):
        enrolment = db.enrolment(conn, delivery["enrolment_id"])
        if enrolment is None or enrolment["status"] != "admitted":
            raise Dropped("company no longer taking part")
    if delivery["kind"] == "invitation_reminder":
        _still_unanswered(conn, settings, delivery, session, now)
    links: dict[str, str | None] = {"confirm": None, "cancel": None, "evaluate": None, "unsubscribe": None,
                                    "report": None}
    if session is not None and not person["is_staff"]:
        subject = {"session_id": str(session["session_id"]), "person_id": person["person_id"]}
        # Answering works until the session starts (sessions accepts these links until then).
        for action in ("confirm", "cancel"):
            links[action] = link(settings, "sessions", action, subject, now=now, until=session["starts_at"])
        links["evaluate"] = link(settings, "sessions", "evaluate", subject, now=now)
    if kind.optional and not person["is_staff"]:
        links["unsubscribe"] = unsubscribe_link(settings, person["person_id"])
    if delivery["kind"] == "progress_digest" and delivery["company_id"] and delivery["programme_id"]:
        links["report"] = company_report_link(settings, delivery["programme_id"], delivery["company_id"], now)
    context: dict[str, Any] = {"recipient": {"name": person["name"]}, "programme": programme, "company": company,
                               "session": session, "ctx": ctx, "links": links}
    if delivery["kind"] == "progress_digest":
        context["digest"] = db.company_participation(conn, delivery["company_id"], delivery["programme_id"])
    if delivery["kind"] == "drip":
        context["step"] = _drip_step(conn, delivery, person["person_id"], lang)
    rendered = render(delivery["kind"], lang, context)
    attachments = _attachments(settings, kind.calendar, session, ctx, programme["name"], lang,
                               (person["name"], person["email"]), now)
    return Letter(delivery_id=str(delivery["id"]), kind=delivery["kind"], recipient_id=delivery["recipient_id"],
                  to_name=person["name"], to_address=person["email"], language=lang, subject=rendered.subject,
                  text=rendered.text, html=rendered.html, attachments=attachments,
                  unsubscribe_url=links["unsubscribe"])


def _still_unanswered(conn: Conn, settings: NotificationsSettings, delivery: dict[str, Any],
                      session: dict[str, Any] | None, now: datetime) -> None:
    """A reminder to answer goes only to an invitee who has not answered, before the session starts, and
    `mail_invitation_reminder_hours` after their invitation actually went out."""
    standing = db.session_person(conn, delivery["session_id"], delivery["recipient_id"])
    if standing is None or standing["state"] != "invited" or standing["answered_at"] is not None:
        raise Dropped("invitee answered")
    if session is not None and session["starts_at"] <= now:
        raise Dropped("session started before the reminder")
    invitation = db.session_mail(conn, delivery["session_id"], delivery["recipient_id"], "session_invitation")
    if invitation is None:
        return
    if invitation["status"] in ("scheduled", "sending"):
        raise InvitationPending("the invitation has not gone out yet")
    if invitation["status"] != "sent":
        raise Dropped(f"the invitation was not delivered ({invitation['status']})")
    due = invitation_reminder_time(invitation["sent_at"], settings.mail_invitation_reminder_hours,
                                   session["starts_at"] if session else None)
    if due is None:
        raise Dropped("session starts before a reminder would be due")
    if due > now:
        raise NotYetDue(due, "counted from when the invitation went out")


def _drip_step(conn: Conn, delivery: dict[str, Any], person_id: str, lang: str) -> dict[str, str]:
    campaign = db.campaign(conn, str(delivery["campaign_id"]))
    if campaign is None or campaign["status"] == "stopped":
        raise Dropped("campaign stopped")
    member = conn.execute("SELECT status FROM campaign_members WHERE campaign_id = %s AND person_id = %s",
                          (campaign["id"], person_id)).fetchone()
    if member is None or member["status"] != "active":
        raise Dropped("no longer in this campaign")
    step = campaign["steps"][int(delivery["context"]["step"])]
    return {"subject": step["subject"].get(lang) or step["subject"]["nl"],
            "body": step["body"].get(lang) or step["body"]["nl"]}


def _attachments(settings: NotificationsSettings, calendar: str | None, session: dict[str, Any] | None,
                 ctx: dict[str, Any],
                 programme_name: str, lang: str, attendee: tuple[str, str], now: datetime) -> list[Attachment]:
    if calendar in ("session", "session-cancel") and session is not None:
        cancel = calendar == "session-cancel"
        content = session_ics(session, programme_name, lang, cancel=cancel, mail_from=settings.mail_from,
                              attendee=attendee, now=now)
        return [Attachment("sessie.ics" if lang == "nl" else "session.ics", content,
                           "CANCEL" if cancel else "REQUEST")]
    if calendar == "intake" and ctx.get("intake_id"):
        title = ("Intakegesprek " if lang == "nl" else "Intake interview ") + programme_name
        content = intake_ics(ctx["intake_id"], datetime.fromisoformat(ctx["scheduled_at"]), int(ctx["sequence"]),
                             ctx.get("location"), title, settings.mail_from, attendee, now=now)
        return [Attachment("intake.ics", content, "REQUEST")]
    return []
