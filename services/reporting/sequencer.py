"""The external log's sequencer: one writer of `external_events.position`.

Why a sequencer. The pull feed and the webhooks hand out the position as a
cursor ("give me everything after N"), so a position must never become
visible after a larger one: a reader who saw N would skip it. Allocating
positions inside each consumer transaction needs a lock held until commit,
which serialised every reporting consumer behind one lock. Instead:

- a consumer inserts its public event as a *pending* row (position NULL)
  in its own transaction, with no lock; `UNIQUE (cause_source, cause_id)`
  and `ON CONFLICT DO NOTHING` keep it to one public event per source event
  (`public_events.PublicStream.publish`);
- the sequencer (this module) is the only process that writes positions.
  In one short transaction it takes the committed pending rows in `id`
  (insertion) order, numbers them on from `max(position)`, and writes their
  outbox rows (public Kafka topic, CloudEvents extension `position`) in the
  same order. Its transactions run one after another on one connection, so
  positions are dense and commit in increasing order: a reader that sees N
  sees everything below N. Readers filter on `position IS NOT NULL` by
  comparing positions.

Leadership works like the outbox relay's: a session advisory lock on the
sequencer's own connection, and the batches run on that same connection.
If that connection or its process dies, its open transaction dies with it
and the lock is released only when the server session ends; a standby in
another worker then takes over and counts on from the committed
`max(position)`. Two sequencers can never number at once, and UNIQUE
(position) would refuse it anyway.

Per-key order. Internal events of one key (a company's enrolment, a
session) sit in one partition, and a partition is applied by one consumer
at a time, in offset order, each batch in one transaction whose offsets
are committed to Kafka only after the database commit. So a key's later
event is inserted (and takes its `id` from the sequence) after the
transaction holding its earlier event committed; two events of one batch
get increasing ids in offset order and commit together. The sequencer
numbers what it sees in id order, and whenever it sees the later row the
earlier one is committed too, so it is numbered in the same pass or an
earlier one: positions follow the key's order. Across a rebalance the same
holds: the new owner of a partition starts at the last committed offset,
which is at or before the first event the old owner had not committed in
the database. Events it redelivers are skipped by the `processed_events`
claim. Even a stalled old owner that still commits late cannot reorder a
key: the new owner's claim of the same event waits on the old owner's
uncommitted row (unique index) and then skips it, so the new owner's next
event is inserted only after the old owner's commit.

Latency. The loop runs again at once while it finds a full batch, and
polls every 20 ms when idle (a partial index makes an empty poll cheap),
so a public event waits about 10 ms on average for its position.
LISTEN/NOTIFY from the consumers was not used: NOTIFY takes a database-wide
lock at commit, which would serialise the committing consumer transactions
again.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import psycopg

from services.common.config import Settings
from services.common.leader_lock import LeaderLock

log = logging.getLogger(__name__)
SEQUENCER_LOCK_ID = 0x736571756E63  # "sequnc"; the relay's lock id differs, both live in reporting's database
BATCH = 1000
IDLE_POLL_S = 0.02

# One statement, so one transaction: number the oldest committed pending rows on from the current maximum
# and put them in the outbox in position order (the relay publishes in outbox id order).
_SEQUENCE = """
WITH batch AS (
    SELECT id FROM external_events WHERE position IS NULL ORDER BY id LIMIT %(limit)s
), numbered AS (
    SELECT id, (SELECT COALESCE(max(position), 0) FROM external_events)
               + row_number() OVER (ORDER BY id) AS position
    FROM batch
), positioned AS (
    UPDATE external_events x
       SET position = n.position, recorded_at = now(),
           payload = x.payload || jsonb_build_object('position', n.position)
      FROM numbered n WHERE x.id = n.id
    RETURNING x.position, x.event_id, x.event_type, x.payload
)
INSERT INTO outbox (event_id, topic, message_key, event_type, payload)
SELECT event_id, %(topic)s, payload->>'subject', event_type, payload FROM positioned ORDER BY position
"""


class Sequencer:
    """Numbers pending external events; run one per worker (all but the lock holder are standbys)."""

    def __init__(self, settings: Settings, batch: int = BATCH, idle_poll_s: float = IDLE_POLL_S) -> None:
        self.settings = settings
        self.topic = settings.topic("reporting")
        self.batch = batch
        self.idle_poll_s = idle_poll_s
        self._leader = LeaderLock(settings.database_url, SEQUENCER_LOCK_ID, "sequencer",
                                  "holding the sequencer lock, numbering the external log",
                                  application_name="reporting-sequencer")
        self.sequenced = 0

    # -- leadership -------------------------------------------------------
    @property
    def holds_lock(self) -> bool:
        return self._leader.held

    @property
    def _conn(self) -> psycopg.Connection[Any] | None:
        return self._leader.conn

    def acquire(self) -> bool:
        """Hold the sequencer lock on our own connection; False while another sequencer has it."""
        return self._leader.acquire()

    # -- numbering --------------------------------------------------------
    def sequence_batch(self) -> int:
        """Number one batch of committed pending rows; return how many."""
        assert self._conn is not None and self.holds_lock
        count = self._conn.execute(_SEQUENCE, {"limit": self.batch, "topic": self.topic}).rowcount
        self.sequenced += count
        return count

    def drain(self) -> int:
        """Number everything pending now, if we are (or can become) the leader; return how many."""
        total = 0
        if not self.acquire():
            return 0
        while True:
            count = self.sequence_batch()
            total += count
            if count < self.batch:
                return total

    def run(self, stop: threading.Event) -> None:
        """Number pending rows until `stop` is set; standby while another sequencer leads."""
        backoff = self.idle_poll_s
        while not stop.is_set():
            if not self.acquire():
                stop.wait(max(self.settings.relay_poll_ms / 1000, 0.5))
                continue
            try:
                count = self.sequence_batch()
                backoff = self.idle_poll_s
            except psycopg.Error as exc:
                log.warning("sequencer: database error, reconnecting: %s", exc)
                self.close()
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if count < self.batch:
                stop.wait(self.idle_poll_s)
        self.close()

    def close(self) -> None:
        self._leader.release()
