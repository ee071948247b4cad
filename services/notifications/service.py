"""Notifications' use cases behind the HTTP API: staff directory, campaigns, suppressions, previews."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg_pool import ConnectionPool

from services.common import audit, signed_links
from services.common.db import unit_of_work
from services.common.problems import Conflict, InvalidInput
from services.notifications import db
from services.notifications.calendar import intake_ics, session_ics
from services.notifications.clock import Clock, SystemClock
from services.notifications.domain import KINDS, campaign_transition
from services.notifications.handlers import EnrolmentTriggers
from services.notifications.rendering import Rendered, render
from services.notifications.samples import sample_context
from services.notifications.settings import NotificationsSettings


class Notifications:
    def __init__(self, settings: NotificationsSettings, pool: ConnectionPool, clock: Clock | None = None) -> None:
        self.settings = settings
        self.pool = pool
        self.clock = clock or SystemClock()

    # -- delivery log -------------------------------------------------------------------
    def deliveries(self, filters: dict[str, Any], limit: int, offset: int,
                   newest_first: bool = False) -> tuple[list[dict[str, Any]], int]:
        with self.pool.connection() as conn:
            return db.list_deliveries(conn, filters, limit, offset, newest_first)

    def delivery(self, delivery_id: uuid.UUID) -> dict[str, Any] | None:
        with self.pool.connection() as conn:
            return db.delivery(conn, str(delivery_id))

    # -- choices for the pages' forms ---------------------------------------------------
    def programmes(self) -> list[dict[str, Any]]:
        with self.pool.connection() as conn:
            return db.programmes(conn)

    def known_regions(self) -> list[str]:
        with self.pool.connection() as conn:
            return db.known_regions(conn)

    # -- staff directory ----------------------------------------------------------------
    def put_staff(self, staff_id: str, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        with unit_of_work(self.pool) as conn:
            row, created = db.upsert_staff(conn, staff_id, body)
            audit.record(conn, "staff.created" if created else "staff.updated", "staff", staff_id,
                         {"role": body["role"], "regions": body.get("regions", [])})
            return row, created

    def staff(self, staff_id: str) -> dict[str, Any] | None:
        with self.pool.connection() as conn:
            return db.staff_member(conn, staff_id)

    def list_staff(self, role: str | None, region: str | None, limit: int,
                   offset: int) -> tuple[list[dict[str, Any]], int]:
        with self.pool.connection() as conn:
            return db.list_staff(conn, role, region, limit, offset)

    def delete_staff(self, staff_id: str) -> bool:
        with unit_of_work(self.pool) as conn:
            deleted = db.delete_staff(conn, staff_id)
            if deleted:
                audit.record(conn, "staff.deleted", "staff", staff_id)
            return deleted

    # -- campaigns ----------------------------------------------------------------------
    def create_campaign(self, body: dict[str, Any]) -> dict[str, Any]:
        """Define a campaign; delegates already in its audience join it from now."""
        with unit_of_work(self.pool) as conn:
            row = db.insert_campaign(conn, body)
            if row is None:
                raise Conflict(f"a campaign named {body['name']!r} exists already")
            triggers = EnrolmentTriggers(self.settings, self.clock)
            for person in db.participants_in_audience(conn, body.get("programme_id"), body["job_levels"]):
                triggers.enrol_in_campaign(conn, row, person["person_id"], person["company_id"],
                                           person["programme_id"])
            audit.record(conn, "campaign.created", "campaign", str(row["id"]),
                         {"name": body["name"], "steps": len(body["steps"])})
            return {**row, "members": db.member_counts(conn, str(row["id"]))}

    def campaign(self, campaign_id: uuid.UUID) -> dict[str, Any] | None:
        with self.pool.connection() as conn:
            row = db.campaign(conn, str(campaign_id))
            return {**row, "members": db.member_counts(conn, str(campaign_id))} if row else None

    def campaigns(self, status: str | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        with self.pool.connection() as conn:
            rows, total = db.list_campaigns(conn, status, limit, offset)
            return [{**r, "members": db.member_counts(conn, str(r["id"]))} for r in rows], total

    def change_campaign(self, campaign_id: uuid.UUID, wanted: str) -> dict[str, Any] | None:
        """Pause, resume or stop; stopping cancels every mail of it still queued."""
        with unit_of_work(self.pool) as conn:
            row = db.campaign(conn, str(campaign_id), lock=True)
            if row is None:
                return None
            campaign_transition(row["status"], wanted)
            updated = db.set_campaign_status(conn, str(campaign_id), wanted)
            cancelled = 0
            if wanted == "stopped":
                cancelled = db.cancel_scheduled(conn, "campaign stopped", campaign_id=str(campaign_id))
            audit.record(conn, f"campaign.{wanted}", "campaign", str(campaign_id),
                         {"from": row["status"], "cancelled_deliveries": cancelled})
            assert updated is not None
            return {**updated, "members": db.member_counts(conn, str(campaign_id))}

    # -- suppressions and unsubscribe ---------------------------------------------------
    def suppress(self, person_id: str, reason: str, actor: str | None = None) -> dict[str, Any]:
        with unit_of_work(self.pool) as conn:
            if db.suppress(conn, person_id, reason):
                audit.record(conn, "suppression.added", "person", person_id, {"reason": reason}, actor=actor)
            row = conn.execute("SELECT * FROM suppressions WHERE person_id = %s", (person_id,)).fetchone()
            assert row is not None
            return row

    def unsuppress(self, person_id: str) -> bool:
        with unit_of_work(self.pool) as conn:
            removed = db.unsuppress(conn, person_id)
            if removed:
                audit.record(conn, "suppression.removed", "person", person_id)
            return removed

    def suppressions(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        with self.pool.connection() as conn:
            return db.list_suppressions(conn, limit, offset)

    def unsubscribe(self, token: str) -> str:
        """Apply a signed unsubscribe link; return the person id. Raises InvalidLink."""
        claims = signed_links.verify(self.settings.link_secret, token, "unsubscribe")
        person_id = claims.subject.get("person_id")
        if not person_id:
            raise signed_links.InvalidLink("malformed")
        self.suppress(person_id, "unsubscribe link", actor=f"link:{person_id}")
        return person_id

    # -- templates ----------------------------------------------------------------------
    def preview(self, kind: str, language: str) -> tuple[Rendered, list[str]]:
        if kind not in KINDS:
            raise InvalidInput({"kind": f"unknown mail kind; one of {', '.join(sorted(KINDS))}"})
        sample = sample_context(kind, self.settings.public_urls.get("sessions", ""))
        rendered = render(kind, language, sample)
        attachments: list[str] = []
        calendar = KINDS[kind].calendar
        if calendar in ("session", "session-cancel"):
            session_ics(sample["session"], sample["programme"]["name"], language, cancel=calendar != "session",
                        mail_from=self.settings.mail_from, attendee=None)
            attachments.append("sessie.ics" if language == "nl" else "session.ics")
        elif calendar == "intake":
            ctx = sample["ctx"]
            intake_ics(ctx["intake_id"], datetime.fromisoformat(ctx["scheduled_at"]), 0, ctx["location"], "intake",
                       self.settings.mail_from, None)
            attachments.append("intake.ics")
        return rendered, attachments
