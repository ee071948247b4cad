"""Retention of personal free text and logs: each service removes what it no longer needs, on a schedule.

A service declares its rules in `services/<service>/retention.py` (`RULES`):
which table, which rows still hold the data, the column giving their age,
and whether the data is cleared (columns set to NULL, the row stays for the
figures) or the row is deleted. The period of each rule is a setting
(`PROGADMIN_<RULE>_RETENTION_DAYS`) with a default; the README lists them all
("Retention").

The worker's pruning loop (`services.common.pruning.run`) enforces them after
the dedupe pruning, every `prune_interval_s`: in batches of
`prune_batch_size`, one short transaction each, under an advisory lock of
its own so one worker of a service does it at a time. Every batch that
removed something writes an audit row in the same transaction (action
`retention.applied`, the rule as subject, how many rows and the cut-off), so
the trail says what was removed and why, and never claims more than was.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from services.common import audit
from services.common.config import Settings

log = logging.getLogger(__name__)
RETENTION_LOCK_ID = 0x726574656E74  # "retent"; each service has its own database


@dataclass(frozen=True)
class RetentionRule:
    """What a service keeps for how long.

    `holds` selects the rows that still hold the data (so a cleared row is
    not counted again); `clear` names the columns set to NULL, and an empty
    `clear` deletes the rows. Table, column and condition are constants of
    the service, never input.
    """

    name: str  # e.g. "intake_notes"; the setting is PROGADMIN_<NAME>_RETENTION_DAYS
    description: str
    table: str
    age_column: str
    holds: str
    clear: tuple[str, ...] = ()
    default_days: int = 365

    @property
    def setting(self) -> str:
        return f"PROGADMIN_{self.name.upper()}_RETENTION_DAYS"

    def days(self, environ: dict[str, str] | None = None) -> int:
        """The configured period; a value that is not a whole number of at least one day is refused."""
        raw = (environ if environ is not None else os.environ).get(self.setting, "").strip()
        if not raw:
            return self.default_days
        try:
            days = int(raw)
        except ValueError:
            raise ValueError(f"{self.setting} must be a whole number of days, not {raw!r}") from None
        if days < 1:
            raise ValueError(f"{self.setting} must be at least 1 day, not {days}")
        return days


def rules_of(service: str) -> tuple[RetentionRule, ...]:
    """The rules `services/<service>/retention.py` declares; none for a service without that module."""
    try:
        module = importlib.import_module(f"services.{service}.retention")
    except ModuleNotFoundError as exc:
        if exc.name != f"services.{service}.retention":
            raise
        return ()
    return tuple(module.RULES)


def periods(settings: Settings, rules: tuple[RetentionRule, ...],
            environ: dict[str, str] | None = None) -> dict[str, int]:
    """Each rule's period in days, checked: a misconfigured period stops the job loudly, never silently."""
    days = {rule.name: rule.days(environ) for rule in rules}
    # A log row deleted while its cause can still be redelivered would let that cause act twice (a mail resent).
    for rule in rules:
        if not rule.clear and days[rule.name] < settings.dedupe_retention_days:
            raise ValueError(f"{rule.setting} ({days[rule.name]}) must not be below "
                             f"PROGADMIN_DEDUPE_RETENTION_DAYS ({settings.dedupe_retention_days}): its rows keep "
                             "a redelivered event from acting twice")
    return days


def apply_batch(conn: psycopg.Connection[Any], rule: RetentionRule, cutoff: datetime, batch_size: int,
                days: int) -> int | None:
    """Remove one batch of `rule`'s data older than `cutoff`, with its audit row; None when another worker holds
    the lock."""
    with conn.transaction():
        if not conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (RETENTION_LOCK_ID,)).fetchone()[0]:  # type: ignore[index]
            return None
        chosen = (f"ctid = ANY(ARRAY(SELECT ctid FROM {rule.table} WHERE {rule.holds}"  # noqa: S608 (constants)
                  f" AND {rule.age_column} < %s LIMIT %s))")
        if rule.clear:
            assignments = ", ".join(f"{column} = NULL" for column in rule.clear)
            cur = conn.execute(f"UPDATE {rule.table} SET {assignments} WHERE {chosen}",  # noqa: S608
                               (cutoff, batch_size))
        else:
            cur = conn.execute(f"DELETE FROM {rule.table} WHERE {chosen}", (cutoff, batch_size))  # noqa: S608
        if cur.rowcount:
            audit.record(conn, "retention.applied", "retention_rule", rule.name, {
                "removed": cur.rowcount, "what": rule.description, "table": rule.table,
                "cleared": list(rule.clear) or None, "older_than": cutoff.isoformat(), "retention_days": days},
                actor="system")
        return cur.rowcount


def enforce(settings: Settings, rules: tuple[RetentionRule, ...] | None = None, now: datetime | None = None,
            stop: threading.Event | None = None, environ: dict[str, str] | None = None) -> dict[str, int]:
    """Apply every rule of the service once; rows removed per rule (`now` and `environ` for tests)."""
    rules = rules_of(settings.service) if rules is None else rules
    if not rules:
        return {}
    days = periods(settings, rules, environ)
    now = now or datetime.now(UTC)
    removed = dict.fromkeys(days, 0)
    with psycopg.connect(settings.database_url, autocommit=True, connect_timeout=10) as conn:
        for rule in rules:
            cutoff = now - timedelta(days=days[rule.name])
            while stop is None or not stop.is_set():
                count = apply_batch(conn, rule, cutoff, settings.prune_batch_size, days[rule.name])
                if count is None:
                    return removed  # another worker is at it; it finishes the job
                removed[rule.name] += count
                if count < settings.prune_batch_size:
                    break
    return removed


def check(settings: Settings) -> None:
    """Refuse a misconfigured period at a worker's start (ValueError naming the setting)."""
    periods(settings, rules_of(settings.service))
