"""What every handler shares: claiming a delivery, who may get mail, reminders, alerts, risk points."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from services.common.consumer import Handler
from services.common.events import Event
from services.notifications import db
from services.notifications import schemas as s
from services.notifications.alerts import address_alert
from services.notifications.clock import Clock, SystemClock
from services.notifications.domain import KINDS, reminder_time
from services.notifications.settings import NotificationsSettings

Conn = psycopg.Connection[Any]
NOTIFIED_STATES = ("invited", "registered", "waitlisted")


class Triggers:
    """Event handlers sharing settings and a clock; each subclass handles one source of facts."""

    def __init__(self, settings: NotificationsSettings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()

    def table(self) -> dict[str, Handler]:
        """Event type -> handler, for the consumer."""
        return {}

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


def load(event: Event, v1: type[s.EventData], v2: type[s.EventData]) -> dict[str, Any]:
    """The event's data by its major version."""
    schema = v2 if event["type"].endswith(".v2") else v1
    data: dict[str, Any] = schema().load(event["data"])
    return data
