"""Pruning of the dedupe claims (`processed_events`) and stored `Idempotency-Key` responses.

Both tables grow with every event and every keyed write; what they remember
is only needed for as long as a duplicate can still arrive:

- a claim in `processed_events` turns a redelivered event into a no-op. Kafka
  redelivers only from a group's last committed offset, so a duplicate is at
  most as old as the longest time a consumer can lag behind or be rewound
  (a rebuild clears its own claims first). Kept `dedupe_retention_days`
  (30); that must exceed the longest replay window, or an event redelivered
  after its claim was pruned would be applied twice (README, "Pruning").
- a stored response replays a client's retry of the same `Idempotency-Key`;
  kept `idempotency_retention_hours` (48), after which the same key runs as
  a new request.

Every worker runs the loop (`services.common.worker`). Rows go in batches of
`prune_batch_size`, one short transaction each, so no long lock is held;
an advisory lock per batch lets one worker prune at a time, and concurrent
deletes of the same rows would be harmless anyway.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import psycopg

from services.common import retention
from services.common.config import Settings

log = logging.getLogger(__name__)
PRUNE_LOCK_ID = 0x7072756E65  # "prune"; each service has its own database
FIRST_RUN_DELAY_S = 30.0  # let a starting worker catch up before it prunes

# Table, its age column, the Settings field with the retention, and that field's unit.
TABLES: dict[str, tuple[str, str, str]] = {
    "processed_events": ("processed_at", "dedupe_retention_days", "days"),
    "idempotency_keys": ("created_at", "idempotency_retention_hours", "hours"),
}


def prune_table(conn: psycopg.Connection[Any], table: str, settings: Settings) -> int | None:
    """Delete one batch of old rows of `table`; None when another worker holds the prune lock."""
    column, field, unit = TABLES[table]
    with conn.transaction():
        if not conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (PRUNE_LOCK_ID,)).fetchone()[0]:  # type: ignore[index]
            return None
        # Table and column names come from TABLES above, never from input; the age index makes this a range scan.
        cur = conn.execute(
            f"DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table}"  # noqa: S608
            f" WHERE {column} < now() - make_interval({unit} => %s) LIMIT %s))",
            (getattr(settings, field), settings.prune_batch_size))
        return cur.rowcount


def prune_once(settings: Settings, stop: threading.Event | None = None) -> dict[str, int]:
    """Prune every table down to its retention; return the rows deleted per table."""
    deleted = dict.fromkeys(TABLES, 0)
    with psycopg.connect(settings.database_url, autocommit=True, connect_timeout=10) as conn:
        for table in TABLES:
            while stop is None or not stop.is_set():
                count = prune_table(conn, table, settings)
                if count is None:
                    return deleted  # another worker is pruning now; it finishes the job
                deleted[table] += count
                if count < settings.prune_batch_size:
                    break
    return deleted


def run(settings: Settings, stop: threading.Event) -> None:
    """The pruning loop of a worker: every `prune_interval_s`, riding out a database that is away.

    The service's retention rules (services.common.retention) are enforced in the same round; a misconfigured
    retention period ends this loop at once (a dead loop fails the worker's /livez), never silently.
    """
    retention.check(settings)
    stop.wait(min(FIRST_RUN_DELAY_S, settings.prune_interval_s))
    while not stop.is_set():
        try:
            deleted = prune_once(settings, stop)
            if any(deleted.values()):
                log.info("pruned %s", ", ".join(f"{n} rows of {t}" for t, n in deleted.items()))
            removed = retention.enforce(settings, stop=stop)
            if any(removed.values()):
                log.info("retention: removed %s", ", ".join(f"{n} rows of {r}" for r, n in removed.items()))
        except psycopg.Error as exc:
            log.warning("pruning: database unavailable (%s); trying again later", exc)
        stop.wait(settings.prune_interval_s)
