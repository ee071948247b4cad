"""Reporting scales out: three real worker processes in one consumer group over six
partitions on the three-broker cluster. Enrolment events flow in while the worker that
also leads the sequencer and the relay is SIGKILLed: its partitions move to the two
others, the figures are exact, nothing is doubled in the external log, positions stay
dense, every company's public events keep their order, and the public topic carries
each external event."""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bench.reporting_scale import Workers, enrolment_load, produce, progress, wait_for_group, worker_env
from deploy.infra import KafkaCluster
from services.common import broker
from services.common.config import Settings
from services.common.outbox import RELAY_LOCK_ID
from services.reporting.sequencer import SEQUENCER_LOCK_ID
from tests.cluster.conftest import ClusterPlatform
from tests.support import read_topic, wait_until

pytestmark = pytest.mark.integration
COMPANIES = 150  # 1 + 8 * 150 = 1201 events, each with one public event


def lock_holder(settings: Settings, lock_id: int = SEQUENCER_LOCK_ID) -> int | None:
    """The server pid of the session holding a session advisory lock (the sequencer's by default), if any.

    Advisory locks are per database, but pg_locks lists every database's: other tests' reporting workers
    (the browser tests' live stack runs all session) hold the same lock ids in their own databases, so the
    database must be part of the match, or this sees their holder and never ours."""
    with psycopg.connect(settings.database_url) as conn:
        row = conn.execute("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND classid = %s"
                           " AND granted AND database = (SELECT oid FROM pg_database WHERE datname ="
                           " current_database())", (lock_id & 0xFFFFFFFF, lock_id >> 32)).fetchone()
    return int(row[0]) if row else None


def scalar(settings: Settings, query: str) -> Any:
    with psycopg.connect(settings.database_url) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]


def test_three_workers_one_killed_mid_load_exact_figures_and_order(
        cluster_platform: ClusterPlatform, kafka_cluster: KafkaCluster, tmp_path: Path) -> None:
    settings = cluster_platform.settings("reporting", topic_partitions=6)
    broker.ensure_topics(settings)
    enrolment = settings.topic("enrolment")
    kafka_cluster.wait_in_sync(enrolment, timeout=30)
    load = enrolment_load(COMPANIES, tag=settings.topic_prefix)
    workers = Workers(worker_env(settings, partitions=6, replication=3), tmp_path)
    try:
        # The first worker alone: it takes the sequencer lock (and the relay's); the others are standbys.
        victim = workers.start()
        wait_until(lambda: lock_holder(settings) and lock_holder(settings, RELAY_LOCK_ID), timeout=60,
                   what="the first worker to lead the sequencer and the relay")
        leader_backend = lock_holder(settings)
        (victim_member,) = wait_for_group(settings, 1)
        workers.start()
        workers.start()
        group = wait_for_group(settings, 3)
        victim_partitions = group[victim_member]
        assert {p for t, p in victim_partitions if t == enrolment}, group  # it has enrolment partitions to lose

        sender = threading.Thread(target=produce, args=(settings, list(load.interleaved())), kwargs={"rate": 150})
        sender.start()
        wait_until(lambda: progress(settings.database_url)[0] >= load.total // 3, timeout=60,
                   what="a third of the load to be applied")
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)

        # Its partitions move to the survivors.
        survivors = wait_for_group(settings, 2, timeout=30)
        assert victim_member not in survivors
        assert set().union(*survivors.values()) == set().union(*group.values())  # nothing left unassigned
        assert victim_partitions <= set().union(*survivors.values()), (victim_partitions, survivors)
        # A standby sequencer took over the numbering.
        wait_until(lambda: lock_holder(settings) not in (None, leader_backend), timeout=60,
                   what="a standby sequencer to take over")

        sender.join(timeout=60)
        assert not sender.is_alive()
        wait_until(lambda: progress(settings.database_url) == (load.total, load.total, load.total), timeout=60,
                   what=f"every event applied, published and numbered (now {progress(settings.database_url)})")
        for index in (1, 2):
            assert workers.procs[index].poll() is None, workers.log(index)
    finally:
        workers.stop()

    # The figures are exact: each event applied once (redelivered ones skipped by the dedupe).
    n = COMPANIES
    assert scalar(settings, "SELECT count(*) FROM companies") == n
    assert scalar(settings, "SELECT count(*) FROM enrolments WHERE interested_at IS NOT NULL AND admitted_on IS NOT"
                            " NULL AND activated_on IS NOT NULL AND completed_on IS NOT NULL") == n
    assert scalar(settings, "SELECT count(*) FROM intakes") == n
    assert scalar(settings, "SELECT count(*) FROM delegates") == 2 * n
    assert scalar(settings, "SELECT count(*) FROM programmes") == 1
    # No doubles in the external log, and positions dense.
    assert scalar(settings, "SELECT count(DISTINCT (cause_source, cause_id)) FROM external_events") == load.total
    assert scalar(settings, "SELECT array_agg(position ORDER BY position) FROM external_events") == list(
        range(1, load.total + 1))
    # Each company's public events in the order its enrolment's events happened.
    with psycopg.connect(settings.database_url) as conn:
        position: dict[str, int] = dict(conn.execute("SELECT cause_id, position FROM external_events").fetchall())
    for events in load.companies:
        keyed = [position[e["id"]] for e in events if e["subject"] == events[1]["subject"]]
        assert len(keyed) == 7 and keyed == sorted(keyed), keyed
    # The relay (failed over too) put every external event on the public topic.
    records = read_topic(settings, settings.topic("reporting"), at_least=load.total, timeout=60, settle=0.2)
    with psycopg.connect(settings.database_url) as conn:
        ids = {str(r[0]) for r in conn.execute("SELECT event_id FROM external_events")}
    assert {json.loads(r.value)["id"] for r in records} == ids
