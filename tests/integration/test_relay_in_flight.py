"""The relay with several batches in flight (issue 14), against real PostgreSQL and a scripted producer.

The producer acknowledges records some sends after they were handed over, so
the relay has more than one batch in flight; a record can be made to fail.
At every send and every wait the test checks the relay's one promise to the
database: a row is marked published only once it was acknowledged.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from kafka.partitioner.default import DefaultPartitioner

from services.common.config import Settings
from services.common.outbox import Relay
from tests.conftest import Platform
from tests.integration.test_outbox_relay import unpublished, write_events

pytestmark = pytest.mark.integration


class ScriptedFuture:
    def __init__(self, producer: ScriptedProducer, n: int) -> None:
        self.producer, self.n = producer, n
        self.is_done = False
        self.exception: BaseException | None = None

    def succeeded(self) -> bool:
        return self.is_done and self.exception is None

    def get(self, timeout: float | None = None) -> None:
        self.producer.check_marks()
        self.producer.ack_through(self.n)  # the broker answers what was sent up to this record
        if self.exception is not None:
            raise self.exception


class ScriptedProducer:
    """Acks each record `lag` sends later (or when waited for); the record numbered `fail_at` fails."""

    def __init__(self, settings: Settings, lag: int, fail_at: int | None = None) -> None:
        self.settings, self.lag, self.fail_at = settings, lag, fail_at
        self.sent: list[tuple[str, bytes, int | None]] = []  # event id, key, partition
        self.futures: list[ScriptedFuture] = []
        self.acked: set[str] = set()
        self.most_unacked = 0  # the most records sent and not yet answered at any time

    def partitions_for(self, topic: str) -> set[int]:
        return {0, 1, 2}

    def send(self, topic: str, key: bytes, value: bytes | None, headers: Any = None,
             partition: int | None = None) -> ScriptedFuture:
        self.check_marks()
        assert value is not None
        event_id = json.loads(value)["id"]
        self.sent.append((event_id, key, partition))
        future = ScriptedFuture(self, len(self.futures))
        self.futures.append(future)
        self.most_unacked = max(self.most_unacked, sum(not f.is_done for f in self.futures))
        self.ack_through(len(self.futures) - 1 - self.lag)
        return future

    def ack_through(self, n: int) -> None:
        for future in self.futures[:n + 1]:
            if not future.is_done:
                future.is_done = True
                if future.n == self.fail_at:
                    future.exception = RuntimeError("scripted failure")
                else:
                    self.acked.add(self.sent[future.n][0])

    def flush(self, timeout: float | None = None) -> None:
        self.ack_through(len(self.futures) - 1)

    def close(self, timeout: float | None = None) -> None:
        pass

    def check_marks(self) -> None:
        with psycopg.connect(self.settings.database_url, autocommit=True) as conn:
            marked = {str(r[0]) for r in conn.execute("SELECT event_id FROM outbox WHERE published_at IS NOT NULL")}
        assert marked <= self.acked, "a row was marked published before its ack"


def test_several_batches_in_flight_mark_only_acked_rows(db_only: Platform) -> None:
    settings = db_only.settings("enrolment", relay_batch_size=5)
    written = write_events(settings, 40, subjects=3)
    producer = ScriptedProducer(settings, lag=12)
    relay = Relay(settings, producer_factory=lambda _: producer)
    assert relay._acquire()
    try:
        assert relay.publish() == 40
    finally:
        relay.close()
    assert producer.most_unacked > settings.relay_batch_size  # more than one batch was in flight
    assert [s[0] for s in producer.sent] == [e["id"] for e in written]  # id order, each once
    assert unpublished(settings) == 0
    default = DefaultPartitioner()

    class Cluster:  # what DefaultPartitioner asks of kafka-python's metadata
        def topics(self) -> set[str]:
            return {"t"}

        def partitions_for_topic(self, topic: str) -> set[int]:
            return {0, 1, 2}

        available_partitions_for_topic = partitions_for_topic

    for _, key, partition in producer.sent:  # the cached hash picks the default partitioner's partition
        assert partition == default.partition("t", None, key, None, None, Cluster())


def test_a_failure_mid_flight_marks_the_acked_prefix_and_loses_nothing(db_only: Platform) -> None:
    settings = db_only.settings("enrolment", relay_batch_size=5)
    written = write_events(settings, 40, subjects=3)
    failing = ScriptedProducer(settings, lag=12, fail_at=13)  # in the third batch, with later ones in flight
    relay = Relay(settings, producer_factory=lambda _: failing)
    assert relay._acquire()
    try:
        with pytest.raises(RuntimeError, match="scripted failure"):
            relay.publish()
        assert len(failing.sent) > 15  # records after the failing one had been sent
        with psycopg.connect(settings.database_url) as conn:
            marked = [str(r[0]) for r in conn.execute(
                "SELECT event_id FROM outbox WHERE published_at IS NOT NULL ORDER BY id")]
        assert marked == [e["id"] for e in written[:13]]  # exactly the acked prefix, nothing after the failure
        assert relay.published == 13

        healthy = ScriptedProducer(settings, lag=3)
        healthy.acked |= failing.acked  # what the first producer got acked may stay marked
        relay._producer_factory = lambda _: healthy  # as after a reconnect
        assert relay.publish() == 27
    finally:
        relay.close()
    assert unpublished(settings) == 0
    # The retry starts at the first unacknowledged row; between the two producers every event went out.
    assert [s[0] for s in healthy.sent] == [e["id"] for e in written[13:]]
    assert {s[0] for s in failing.sent} | {s[0] for s in healthy.sent} == {e["id"] for e in written}
