"""Leadership by a session advisory lock held on a connection of its own.

The outbox relay and reporting's sequencer each run in every worker, and only
one of each may work at a time. The one that holds the lock works on the same
autocommit connection that holds it: if that connection or its process dies,
the server ends the session, releases the lock, and a standby takes over. So
the connection and the lock are one thing here, and losing either drops both.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import psycopg

log = logging.getLogger(__name__)


def close_quietly(conn: psycopg.Connection[Any] | None) -> None:
    """Close a connection that may already be broken: the caller is giving it up either way."""
    if conn is not None:
        with contextlib.suppress(psycopg.Error):
            conn.close()


class LeaderLock:
    """`acquire()` is True while this process leads; `conn` is the connection to lead on."""

    def __init__(self, database_url: str, lock_id: int, who: str, gained: str,
                 application_name: str | None = None) -> None:
        self.database_url = database_url
        self.lock_id = lock_id
        self.who = who            # the log's prefix: "relay", "sequencer"
        self.gained = gained      # said once when the lock is won
        self.application_name = application_name
        self.conn: psycopg.Connection[Any] | None = None
        self.held = False

    def acquire(self) -> bool:
        """Hold the lock (connecting again if the connection was lost); False while another holds it."""
        try:
            if self.conn is None or self.conn.closed:
                # psycopg leaves out a keyword that is None: the relay keeps the server's default name.
                self.conn = psycopg.connect(self.database_url, autocommit=True,
                                            application_name=self.application_name)
                self.held = False
            if not self.held:
                row = self.conn.execute("SELECT pg_try_advisory_lock(%s)", (self.lock_id,)).fetchone()
                self.held = bool(row and row[0])
                if self.held:
                    log.info("%s: %s", self.who, self.gained)
            return self.held
        except psycopg.Error as exc:
            log.warning("%s: database unavailable: %s", self.who, exc)
            self.release()
            return False

    def release(self) -> None:
        """Give up the connection, and with it the lock."""
        close_quietly(self.conn)
        self.conn = None
        self.held = False
