"""What every enrolment use case shares: the pool, the outbox, the Dutch "today", and the
transaction that holds an enrolment's row lock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg
from psycopg_pool import ConnectionPool
from werkzeug.exceptions import NotFound

from services.common.config import Settings
from services.common.contacts import contacts_topic
from services.common.db import unit_of_work
from services.common.outbox import Outbox
from services.common.problems import Conflict
from services.enrolment import db, domain, payloads

Row = dict[str, Any]
Conn = psycopg.Connection[Any]
# The fund works on Dutch dates: "today" is today in the Netherlands.
FUND_TZ = ZoneInfo("Europe/Amsterdam")


def today() -> date:
    return datetime.now(FUND_TZ).date()


def illegal(exc: domain.IllegalTransition) -> Conflict:
    """409 naming the current state and the allowed next states."""
    extra = {"allowed_in": exc.allowed_in} if exc.allowed_in is not None else {}
    return Conflict(str(exc), current_state=exc.current, allowed_next=exc.allowed, **extra)


class UseCases:
    """Base of each aggregate's use cases (one level, no mixing): the helpers they all need."""

    def __init__(self, settings: Settings, pool: ConnectionPool) -> None:
        self.pool = pool
        self.outbox = Outbox(settings)
        self.contacts_topic = contacts_topic(settings)

    def _share_contact(self, conn: Conn, person: Row) -> None:
        """Put the person's current contact data on the compacted contacts topic (same transaction).

        Sent with every event that names someone to mail, not only on a change:
        a record per person is all compaction keeps, and a consumer that missed
        one (or starts now) still gets the data before it needs it.
        """
        self.outbox.add_record(conn, self.contacts_topic, str(person["id"]), payloads.contact_details_changed(person))

    @contextmanager
    def _read(self) -> Iterator[Conn]:
        with self.pool.connection() as conn:
            yield conn

    @staticmethod
    def _programme(conn: Conn, programme_id: UUID, *, lock: bool = False) -> Row:
        row = db.get_programme(conn, programme_id, lock=lock)
        if row is None:
            raise NotFound("no such programme")
        return row

    @staticmethod
    def _open_programme(conn: Conn, e: Row, step: str) -> Row:
        """The enrolment's programme, which must still be open for `step`.

        Held FOR SHARE so the programme cannot close while the step commits.
        Withdrawal, completion, declining and follow-up stay possible after
        closing: follow-up ("borging") is what happens after the programme.
        """
        return UseCases._check_open(db.get_programme(conn, e["programme_id"], share=True), e, step)

    @staticmethod
    def _check_open(programme: Row | None, e: Row, step: str) -> Row:
        """The programme as read FOR SHARE for `step` on enrolment `e`: 404 when gone, 409 unless open."""
        if programme is None:
            raise NotFound("no such programme")
        if programme["status"] != "open":
            raise Conflict(f"the programme is {programme['status']}: no {step} any more",
                           current_state=e["state"], allowed_next=domain.allowed_next(e["state"]),
                           programme_status=programme["status"])
        return programme

    @contextmanager
    def _locked(self, enrolment_id: UUID) -> Iterator[tuple[Conn, Row]]:
        """A transaction holding the enrolment's row lock; 404 when it does not exist."""
        with unit_of_work(self.pool) as conn:
            if not db.lock_enrolment(conn, enrolment_id):
                raise NotFound("no such enrolment")
            e = db.get_enrolment(conn, enrolment_id)
            assert e is not None
            try:
                yield conn, e
            except domain.IllegalTransition as exc:
                raise illegal(exc) from None

    def _set(self, conn: Conn, e: Row, changes: Row) -> Row:
        db.update(conn, "enrolments", e["id"], changes)
        fresh = db.get_enrolment(conn, e["id"])
        assert fresh is not None
        return fresh
