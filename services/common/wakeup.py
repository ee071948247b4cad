"""Wake a polling loop when a row it waits for is committed (LISTEN/NOTIFY).

Loops that look for work in a table (the outbox relay, the mail sender)
used to sleep a poll interval between empty looks, so every event waited
half an interval on average and a whole one at worst: that sleep, not the
work, set the platform's end-to-end latency. A statement-level trigger
now sends a payload-free `NOTIFY <channel>` when rows are inserted; the
notification is delivered when (and only if) the transaction commits, so a
loop woken by it finds the rows. The poll interval stays as the fallback:
a lost connection or a missed notification costs one interval, never an
event.

A connection that LISTENs queues notifications that arrive while the loop
is busy (psycopg keeps a backlog), so one that arrives between an empty
look and the wait is not lost: the wait returns at once.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import psycopg
from psycopg import sql

from services.common.leader_lock import close_quietly

log = logging.getLogger(__name__)

# Channels the triggers notify (see services/common/migrations/0003_wakeups.sql and the services' own).
OUTBOX = "outbox"
MAIL = "mail_deliveries"


def listen(conn: psycopg.Connection[Any], channel: str) -> None:
    """LISTEN on an autocommit connection (a LISTEN inside a transaction only starts at its commit)."""
    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))


STOP_CHECK_S = 0.5  # a loop's stop is seen this soon, however long its poll interval


def wait(conn: psycopg.Connection[Any], timeout: float, stop: threading.Event | None = None) -> bool:
    """Wait up to `timeout` seconds for a notification, or until `stop` is set; True when one came.

    Drains what is queued.
    """
    woken = False
    deadline = time.monotonic() + timeout
    while not woken:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or (stop is not None and stop.is_set()):
            return False
        for _ in conn.notifies(timeout=min(remaining, STOP_CHECK_S) if stop is not None else remaining,
                               stop_after=1):
            woken = True
    if woken:
        # Several commits may have notified meanwhile; one look serves them all.
        for _ in conn.notifies(timeout=0):
            pass
    return woken


class Waiter:
    """A connection of its own that LISTENs on `channel`, for loops whose connections come from a pool.

    `wait(timeout, stop)` never raises: with the database away it just
    sleeps the timeout (the loop's own queries report the trouble) and
    reconnects on the next call.
    """

    def __init__(self, database_url: str, channel: str) -> None:
        self.database_url = database_url
        self.channel = channel
        self._conn: psycopg.Connection[Any] | None = None

    def start(self) -> None:
        """Connect and LISTEN now, before the loop's first look, so nothing committed after it is missed."""
        if self._conn is None or self._conn.closed:
            conn = psycopg.connect(self.database_url, autocommit=True)
            try:
                listen(conn, self.channel)
            except BaseException:
                conn.close()
                raise
            self._conn = conn

    def wait(self, timeout: float, stop: threading.Event | None = None) -> bool:
        """Wait for a notification or `timeout`; True when notified."""
        if stop is not None and stop.is_set():
            return False
        try:
            self.start()
            assert self._conn is not None
            return wait(self._conn, timeout, stop)
        except psycopg.Error as exc:
            log.debug("wakeup %s: %s; polling instead", self.channel, exc)
            self.close()
            if stop is not None:
                stop.wait(timeout)
            else:
                threading.Event().wait(timeout)
            return False

    def close(self) -> None:
        close_quietly(self._conn)
        self._conn = None
