"""Reporting's use cases: figures and reports (reads), the pull feed, webhook subscriptions (writes).

Reporting publishes its events from the consumer (handlers.py); the HTTP
writes here change only subscriptions, each audited in its transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool

from services.common import audit
from services.common.auth import Principal
from services.common.db import unit_of_work
from services.common.problems import Conflict, InvalidInput
from services.reporting import db, figures
from services.reporting.public_events import public_type_names
from services.reporting.settings import ReportingSettings
from services.reporting.webhooks import (
    DEFAULT_SECRET_OVERLAP,
    Clock,
    EndpointRefused,
    Resolver,
    check_endpoint,
    new_secret,
    resolve,
    utc_now,
)

SUBSCRIPTION_NEXT = {"active": ["deactivation"], "disabled": ["activation"]}


class Reporting:
    def __init__(self, settings: ReportingSettings, pool: ConnectionPool, resolver: Resolver = resolve,
                 clock: Clock = utc_now) -> None:
        self.settings = settings
        self.pool = pool
        self.resolver = resolver
        self.clock = clock

    # -- figures ---------------------------------------------------------------------------
    def company_counts(self, regions: list[str] | None) -> dict[str, object]:
        with db.connect(self.pool) as conn:
            by_region = db.company_counts(conn, regions)
        return {"total": sum(by_region.values()), "by_region": by_region}

    def programmes(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        with db.connect(self.pool) as conn:
            return figures.programmes(conn, limit, offset)

    def final_report(self, programme_id: UUID, regions: list[str] | None) -> dict[str, Any] | None:
        with db.connect(self.pool) as conn, conn.transaction():
            # One snapshot for every query of the report.
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            # No JIT: for a national programme (bench/national.py) compiling the report's larger aggregates
            # took longer than running them (2.8 s of 6.2 s in one query, on a loaded two-core machine).
            conn.execute("SET LOCAL jit = off")
            # Its 20,000 session rows (5 MB) sorted in memory, not in a file (the default 4 MB spilled).
            conn.execute("SET LOCAL work_mem = '32MB'")
            return figures.final_report(conn, programme_id, regions, self.settings.evaluation_min_group)

    def report_summary(self, programme_id: UUID, regions: list[str] | None, page: int,
                       per_page: int) -> dict[str, Any] | None:
        """The final report's figures with one page of its sessions (`figures.report_summary`): the pages'."""
        with db.connect(self.pool) as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            conn.execute("SET LOCAL jit = off")
            return figures.report_summary(conn, programme_id, regions, self.settings.evaluation_min_group, page,
                                          per_page)

    def company_figures(self, programme_id: UUID, regions: list[str] | None, limit: int,
                        offset: int) -> tuple[list[dict[str, Any]], int]:
        with db.connect(self.pool) as conn:
            return figures.company_rows(conn, programme_id, regions, limit=limit, offset=offset)

    def company_report(self, programme_id: UUID, company_id: UUID) -> dict[str, Any] | None:
        with db.connect(self.pool) as conn:
            report = figures.company_report(conn, programme_id, company_id, self.settings.evaluation_min_group)
        return figures.plain(report) if report is not None else None

    # -- the pull feed ---------------------------------------------------------------------
    def feed(self, after: int, limit: int, types: list[str] | None) -> dict[str, Any]:
        """Public events after the cursor, in position order; the last position is the next cursor."""
        with db.connect(self.pool) as conn:
            rows = conn.execute(
                "SELECT position, payload FROM external_events WHERE position > %s"
                " AND (%s::text[] IS NULL OR event_type = ANY(%s)) ORDER BY position LIMIT %s",
                (after, types, types, limit + 1)).fetchall()
        items = rows[:limit]
        return {"items": [r["payload"] for r in items], "cursor": items[-1]["position"] if items else after,
                "has_more": len(rows) > limit}

    # -- subscriptions ---------------------------------------------------------------------
    def _check(self, body: dict[str, Any]) -> None:
        problems: dict[str, str | list[str]] = {}
        try:
            check_endpoint(body["url"], self.settings.env, self.resolver)
        except EndpointRefused as exc:
            problems["url"] = str(exc)
        unknown = sorted(set(body["event_types"]) - set(public_type_names()))
        if unknown:
            problems["event_types"] = [f"unknown public event type: {t}" for t in unknown]
        if problems:
            raise InvalidInput(problems)

    def create_subscription(self, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
        self._check(body)
        secret = new_secret()
        with unit_of_work(self.pool) as conn:
            # New subscriptions start at the present; history comes by replay.
            row = conn.execute(
                "INSERT INTO subscriptions (id, owner, url, description, event_types, secret, cursor)"
                " VALUES (%s, %s, %s, %s, %s, %s, (SELECT COALESCE(max(position), 0) FROM external_events))"
                " RETURNING *", (uuid.uuid4(), principal.subject, body["url"], body["description"],
                                 sorted(set(body["event_types"])), secret)).fetchone()
            assert row is not None
            audit.record(conn, "subscription.create", "subscription", str(row["id"]),
                         {"url": body["url"], "event_types": row["event_types"]})
        return {**self._out(row), "secret": secret}

    def subscription(self, principal: Principal, subscription_id: UUID) -> dict[str, Any] | None:
        """The subscription if the caller may see it (its owner, or a fund administrator)."""
        with db.connect(self.pool) as conn:
            row = conn.execute("SELECT * FROM subscriptions WHERE id = %s", (subscription_id,)).fetchone()
        if row is None or not self._may_manage(principal, row):
            return None
        return self._out(row)

    def subscriptions(self, principal: Principal, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        owner = None if principal.has("fund_admin") else principal.subject
        with db.connect(self.pool) as conn:
            rows = conn.execute("SELECT * FROM subscriptions WHERE %(o)s::text IS NULL OR owner = %(o)s"
                                " ORDER BY created_at, id LIMIT %(l)s OFFSET %(f)s",
                                {"o": owner, "l": limit, "f": offset}).fetchall()
            total = conn.execute("SELECT count(*) AS n FROM subscriptions WHERE %(o)s::text IS NULL OR owner = %(o)s",
                                 {"o": owner}).fetchone()
        return [self._out(r) for r in rows], int(total["n"]) if total else 0

    def delete_subscription(self, principal: Principal, subscription_id: UUID) -> bool:
        with unit_of_work(self.pool) as conn:
            row = conn.execute("SELECT * FROM subscriptions WHERE id = %s FOR UPDATE", (subscription_id,)).fetchone()
            if row is None or not self._may_manage(principal, row):
                return False
            conn.execute("DELETE FROM subscriptions WHERE id = %s", (subscription_id,))
            audit.record(conn, "subscription.delete", "subscription", str(subscription_id), {"url": row["url"]})
        return True

    def set_status(self, principal: Principal, subscription_id: UUID, to: str) -> dict[str, Any] | None:
        """Activation (also after an automatic disable: pending deliveries resume in order) or deactivation."""
        with unit_of_work(self.pool) as conn:
            row = conn.execute("SELECT * FROM subscriptions WHERE id = %s FOR UPDATE", (subscription_id,)).fetchone()
            if row is None or not self._may_manage(principal, row):
                return None
            if row["status"] == to:
                raise Conflict(f"the subscription is already {to}", current_state=row["status"],
                               allowed_next=SUBSCRIPTION_NEXT[row["status"]])
            row = conn.execute(
                "UPDATE subscriptions SET status = %s, disabled_reason = CASE WHEN %s = 'disabled'"
                " THEN 'deactivated by ' || %s END, failing_since = NULL, consecutive_failures = 0,"
                " next_attempt_at = NULL, updated_at = now() WHERE id = %s RETURNING *",
                (to, to, principal.subject, subscription_id)).fetchone()
            assert row is not None
            audit.record(conn, f"subscription.{'activate' if to == 'active' else 'deactivate'}", "subscription",
                         str(subscription_id))
        return self._out(row)

    def rotate_secret(self, principal: Principal, subscription_id: UUID,
                      overlap: timedelta = DEFAULT_SECRET_OVERLAP) -> dict[str, Any] | None:
        """A new signing secret, shown once; the current one keeps signing beside it for `overlap`.

        A rotation during an overlap drops the oldest secret: at most two ever sign. An overlap of zero
        ends the old secret at once (it leaked).
        """
        now = self.clock()
        secret = new_secret()
        with unit_of_work(self.pool) as conn:
            row = conn.execute("SELECT * FROM subscriptions WHERE id = %s FOR UPDATE", (subscription_id,)).fetchone()
            if row is None or not self._may_manage(principal, row):
                return None
            expires = now + overlap
            row = conn.execute(
                "UPDATE subscriptions SET previous_secret = secret, previous_secret_expires_at = %s, secret = %s,"
                " secret_rotated_at = %s, updated_at = %s WHERE id = %s RETURNING *",
                (expires, secret, now, now, subscription_id)).fetchone()
            assert row is not None
            audit.record(conn, "subscription.rotate_secret", "subscription", str(subscription_id),
                         {"previous_secret_expires_at": expires.isoformat()})
        return {**self._out(row), "secret": secret}

    def deliveries(self, principal: Principal, subscription_id: UUID, status: str | None, limit: int,
                   offset: int) -> tuple[list[dict[str, Any]], int] | None:
        if self.subscription(principal, subscription_id) is None:
            return None
        with db.connect(self.pool) as conn:
            rows = conn.execute(
                "SELECT * FROM deliveries WHERE subscription_id = %(s)s AND (%(st)s::text IS NULL OR status = %(st)s)"
                " ORDER BY seq DESC LIMIT %(l)s OFFSET %(f)s",
                {"s": subscription_id, "st": status, "l": limit, "f": offset}).fetchall()
            total = conn.execute("SELECT count(*) AS n FROM deliveries WHERE subscription_id = %(s)s"
                                 " AND (%(st)s::text IS NULL OR status = %(st)s)",
                                 {"s": subscription_id, "st": status}).fetchone()
            attempts = conn.execute(
                "SELECT * FROM delivery_attempts WHERE delivery_id = ANY(%s) ORDER BY id",
                ([r["id"] for r in rows],)).fetchall()
        log: dict[Any, list[dict[str, Any]]] = {}
        for a in attempts:
            log.setdefault(a["delivery_id"], []).append(a)
        return [{**r, "attempt_log": log.get(r["id"], [])} for r in rows], int(total["n"]) if total else 0

    def delivery(self, principal: Principal, subscription_id: UUID, delivery_id: UUID) -> dict[str, Any] | None:
        if self.subscription(principal, subscription_id) is None:
            return None
        with db.connect(self.pool) as conn:
            row = conn.execute("SELECT * FROM deliveries WHERE id = %s AND subscription_id = %s",
                               (delivery_id, subscription_id)).fetchone()
            if row is None:
                return None
            attempts = conn.execute("SELECT * FROM delivery_attempts WHERE delivery_id = %s ORDER BY id",
                                    (delivery_id,)).fetchall()
        return {**row, "attempt_log": attempts}

    def redeliver(self, principal: Principal, subscription_id: UUID, delivery_id: UUID) -> dict[str, Any] | None:
        """Send one delivery's event again (a new delivery, queued behind what is pending)."""
        with unit_of_work(self.pool) as conn:
            sub = conn.execute("SELECT * FROM subscriptions WHERE id = %s", (subscription_id,)).fetchone()
            if sub is None or not self._may_manage(principal, sub):
                return None
            row = conn.execute(
                "INSERT INTO deliveries (id, subscription_id, position, event_type, origin)"
                " SELECT %s, subscription_id, position, event_type, 'redelivery' FROM deliveries"
                " WHERE id = %s AND subscription_id = %s RETURNING *",
                (uuid.uuid4(), delivery_id, subscription_id)).fetchone()
            if row is None:
                return None
            audit.record(conn, "subscription.redeliver", "subscription", str(subscription_id),
                         {"delivery_id": str(delivery_id), "new_delivery_id": str(row["id"])})
        return {**row, "attempt_log": []}

    def replay(self, principal: Principal, subscription_id: UUID, since: datetime | None,
               from_position: int | None) -> dict[str, Any] | None:
        """Queue every matching event recorded since `since` (or from `from_position`) again, in order."""
        if (since is None) == (from_position is None):
            raise InvalidInput({"since": "give either since or from_position", "from_position": "give either"
                                " since or from_position"})
        with unit_of_work(self.pool) as conn:
            sub = conn.execute("SELECT * FROM subscriptions WHERE id = %s", (subscription_id,)).fetchone()
            if sub is None or not self._may_manage(principal, sub):
                return None
            start = from_position
            if since is not None:
                first = conn.execute("SELECT min(position) AS p FROM external_events WHERE recorded_at >= %s",
                                     (since,)).fetchone()
                start = first["p"] if first and first["p"] is not None else None
            enqueued = 0
            if start is not None:
                enqueued = conn.execute(
                    "INSERT INTO deliveries (id, subscription_id, position, event_type, origin)"
                    " SELECT gen_random_uuid(), %(s)s, position, event_type, 'replay' FROM external_events"
                    " WHERE position >= %(p)s AND position <= %(cursor)s"
                    " AND (cardinality(%(types)s::text[]) = 0 OR event_type = ANY(%(types)s)) ORDER BY position",
                    {"s": subscription_id, "p": start, "cursor": sub["cursor"],
                     "types": sub["event_types"]}).rowcount
            audit.record(conn, "subscription.replay", "subscription", str(subscription_id),
                         {"from_position": start, "since": since.isoformat() if since else None,
                          "enqueued": enqueued})
        return {"subscription_id": subscription_id, "enqueued": enqueued, "from_position": start}

    @staticmethod
    def _may_manage(principal: Principal, row: dict[str, Any]) -> bool:
        return principal.has("fund_admin") or row["owner"] == principal.subject

    @staticmethod
    def _out(row: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in row.items() if k not in ("secret", "previous_secret")}
        out["allowed_next"] = SUBSCRIPTION_NEXT[row["status"]]
        return out
