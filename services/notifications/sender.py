"""The sender loop: claims due deliveries, composes, mails, records the outcome.

Exactly-once, as far as SMTP allows:
1. a handler claimed the delivery row (unique cause + kind + recipient) in
   the consumer's transaction, so one logical mail has one row;
2. the sender moves due rows to `sending` in a short transaction of its own
   (FOR UPDATE SKIP LOCKED: parallel senders never take the same row);
3. it sends over SMTP, then marks the row `sent` and writes NotificationSent
   to the outbox in one transaction.
A crash between the server's acceptance and step 3 is the one window where a
mail can go out twice: rows left in `sending` longer than the lease return
to the queue. The Message-ID is derived from the delivery id, so such a
duplicate is recognisable. Temporary failures retry with exponential
backoff; after `mail_max_attempts` the row is `failed` and
NotificationFailed is published. Nothing is ever deleted.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from psycopg_pool import ConnectionPool

from services.common import wakeup
from services.common.db import unit_of_work
from services.common.events import new_event
from services.common.outbox import Outbox
from services.notifications import db
from services.notifications.alerts import address_alert
from services.notifications.clock import Clock, SystemClock
from services.notifications.domain import CONTACT_WAIT, retry_delay
from services.notifications.letters import ContactNotYetKnown, NotSendable, NotYetDue, UnknownStaff, compose
from services.notifications.mailer import PermanentFailure, SmtpTransport, TemporaryFailure, Transport, build_message
from services.notifications.settings import NotificationsSettings

log = logging.getLogger(__name__)


class Sender:
    def __init__(self, settings: NotificationsSettings, pool: ConnectionPool, clock: Clock | None = None,
                 transport: Transport | None = None, batch_size: int = 50) -> None:
        self.settings = settings
        self.pool = pool
        self.clock = clock or SystemClock()
        self.transport = transport or SmtpTransport(settings)
        self.outbox = Outbox(settings)
        self.batch_size = batch_size
        self.sent = 0

    def run_once(self) -> int:
        """Send every delivery that is due now; return how many rows were handled."""
        handled = 0
        while True:
            now = self.clock.now()
            with unit_of_work(self.pool) as conn:
                db.reclaim_stale(conn, now, self.settings.mail_sending_lease_seconds)
                rows = db.claim_due(conn, now, self.batch_size)
            for row in rows:
                self._deliver(row, now)
            handled += len(rows)
            if len(rows) < self.batch_size:
                return handled

    def _deliver(self, row: dict[str, Any], now: datetime) -> None:
        try:
            with self.pool.connection() as conn:
                letter = compose(conn, self.settings, row, now)
            # Built here, inside the try: a header the mail library refuses fails this delivery only.
            message = build_message(self.settings, letter, now)
        except NotSendable as exc:
            if exc.status == "retry":
                self._wait_or_fail(row, now, str(exc), gives_up=not isinstance(exc, ContactNotYetKnown))
            elif isinstance(exc, NotYetDue):
                with unit_of_work(self.pool) as conn:
                    db.postpone(conn, str(row["id"]), exc.due, str(exc))
            else:
                self._finish(row, exc.status, str(exc),
                             unknown_staff=exc.staff_id if isinstance(exc, UnknownStaff) else None)
            return
        except Exception as exc:  # a template or data error: retrying the same input will not help
            log.exception("notifications: cannot compose delivery %s", row["id"])
            self._finish(row, "failed", f"cannot compose: {type(exc).__name__}: {exc}")
            return
        try:
            self.transport.send(message)
        except TemporaryFailure as exc:
            self._retry_or_fail(row, now, str(exc))
            return
        except PermanentFailure as exc:
            self._finish(row, "failed", str(exc))
            return
        with unit_of_work(self.pool) as conn:
            done = db.finish(conn, str(row["id"]), "sent", language=letter.language, sent_at=now, error=None)
            if done is not None:
                self.outbox.add(conn, [new_event("notifications", "NotificationSent", str(row["id"]), {
                    "delivery_id": str(row["id"]), "kind": row["kind"], "recipient_id": row["recipient_id"],
                    "language": letter.language, "cause_event_id": row["event_id"],
                    "sent_at": now.isoformat(), "attempts": done["attempts"]})])
                self._after(conn, done, now)
        self.sent += 1

    def _wait_or_fail(self, row: dict[str, Any], now: datetime, error: str, gives_up: bool = True) -> None:
        """Data still on its way (topics arrive in any order): wait, up to CONTACT_WAIT.

        Contact data waits without a limit: it comes from the contacts topic, and the
        record that brings it wakes the row (handlers/enrolment.py, contact_details); an erasure
        cancels it instead.
        """
        since = row["waiting_since"] or now
        if gives_up and now - since >= CONTACT_WAIT:
            self._finish(row, "failed", f"{error}; gave up after {CONTACT_WAIT}")
            return
        with unit_of_work(self.pool) as conn:
            db.wait_for_data(conn, str(row["id"]), now, now + retry_delay(2, self.settings.mail_retry_base_seconds),
                             error)

    def _retry_or_fail(self, row: dict[str, Any], now: datetime, error: str) -> None:
        if row["attempts"] >= self.settings.mail_max_attempts:
            self._finish(row, "failed", error)
            return
        retry_at = now + retry_delay(row["attempts"], self.settings.mail_retry_base_seconds)
        with unit_of_work(self.pool) as conn:
            db.finish(conn, str(row["id"]), "scheduled", error=error, retry_at=retry_at)
        log.warning("notifications: delivery %s attempt %d failed (%s); retry at %s", row["id"], row["attempts"],
                    error, retry_at.isoformat())

    def _finish(self, row: dict[str, Any], status: str, error: str, unknown_staff: str | None = None) -> None:
        with unit_of_work(self.pool) as conn:
            done = db.finish(conn, str(row["id"]), status, error=error)
            if done is not None and unknown_staff is not None:
                self._alert_unknown_staff(conn, row, unknown_staff)
            if done is not None and status == "failed":
                self.outbox.add(conn, [new_event("notifications", "NotificationFailed", str(row["id"]), {
                    "delivery_id": str(row["id"]), "kind": row["kind"], "recipient_id": row["recipient_id"],
                    "cause_event_id": row["event_id"], "attempts": max(done["attempts"], 1),
                    "last_error": error[:2000]})])
            if done is not None:
                self._after(conn, done, self.clock.now())

    def _alert_unknown_staff(self, conn: Any, row: dict[str, Any], staff_id: str) -> None:
        """The region's coordinators (else the fund administrators) hear of a session naming someone the directory
        does not know; once per person and session (every later mail to that id fails the same way, silently)."""
        session = db.session(conn, row["session_id"])
        address_alert(conn, cause=f"unknown-staff:{staff_id}:{row['session_id'] or '-'}", kind="alert_unknown_staff",
                      region=session["region"] if session else None, send_after=self.clock.now(),
                      session_id=row["session_id"], programme_id=row["programme_id"],
                      context={"staff_id": staff_id, "failed_kind": row["kind"]})

    def _after(self, conn: Any, done: dict[str, Any], now: datetime) -> None:
        """A progress digest, whatever became of it, plans the next one for that company."""
        if done["kind"] != "progress_digest" or done["status"] == "cancelled" or not done["enrolment_id"]:
            return
        context = done["context"] or {}
        number = int(context.get("number", 1)) + 1
        # The rhythm follows the planned dates, not the moment of sending, so a late or retried digest
        # does not shift every later one; a long outage skips to the next date still ahead.
        every = timedelta(days=self.settings.mail_digest_days)
        due = datetime.fromisoformat(context["due"]) + every if "due" in context else now + every
        while due <= now:
            due += every
        db.schedule(conn, event_id=f"digest:{done['enrolment_id']}:{number}", kind="progress_digest",
                    recipient_id=done["recipient_id"], send_after=due, optional=True,
                    enrolment_id=done["enrolment_id"], company_id=done["company_id"],
                    programme_id=done["programme_id"], context={"number": number, "due": due.isoformat()})

    def run(self, stop: threading.Event) -> None:
        """Send until `stop` is set; database trouble means waiting and trying again.

        A new delivery wakes the loop at once (LISTEN on the deliveries
        trigger); the poll interval remains for rows that become due later.
        """
        poll = self.settings.mail_sender_poll_ms / 1000
        waiter = wakeup.Waiter(self.settings.database_url, wakeup.MAIL)
        try:
            while not stop.is_set():
                try:
                    waiter.start()  # listen before looking, so a row committed meanwhile wakes the next wait
                    self.run_once()
                except Exception as exc:
                    log.warning("notifications sender: %s; retrying", exc)
                    stop.wait(max(poll, 1.0))
                    continue
                waiter.wait(poll, stop)
        finally:
            waiter.close()
            if isinstance(self.transport, SmtpTransport):
                self.transport.close()  # QUIT the kept SMTP session
