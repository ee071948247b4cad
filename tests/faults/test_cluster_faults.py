"""The cluster faults on a real three-broker KRaft cluster and real processes: nothing lost, nothing doubled.

A PostgreSQL and three Kafka nodes of this test's own (topics with replication
3 and min.insync.replicas 2), four gunicorn webs, the workers with three
reporting workers in one group over 6 partitions, and the SMTP sink. One
cohort per fault goes through the HTTP APIs while the suite kills the leader
broker of the busiest partitions and starts it again, kills all three brokers
for a while (every write must still answer 2xx and every web's /readyz must
stay 200), SIGKILLs one of the reporting workers, and then meets the single
broker's faults on the cluster too (all nodes paused, every worker SIGKILLed,
PostgreSQL restarted, poison records on every topic). Afterwards every
projection, mail and public record is counted against what was sent.

Profile: PROGADMIN_FAULT_PROFILE (short in CI; long locally). The table is
printed (pytest -s), in every failure message, and written as JSON to
PROGADMIN_FAULT_REPORT when set. No skip path: a cluster that does not start
fails the test.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from bench.faults import suite
from bench.faults.injectors import Infra
from bench.faults.stack import Stack, start_servers, suite_env
from deploy.infra import KafkaCluster, free_port
from services.common import broker
from services.common.config import SERVICES

pytestmark = pytest.mark.e2e


def test_cluster_faults_lose_and_double_nothing(tmp_path: Path) -> None:
    profile = suite.CLUSTER_PROFILES[os.environ.get("PROGADMIN_FAULT_PROFILE", "short")]
    # Not under pytest's tmp_path: its parent is 0700, and PostgreSQL runs as the postgres user.
    home = Path(tempfile.mkdtemp(prefix="progadmin-cluster-faults-"))
    stack: Stack | None = None
    try:
        servers = start_servers(home, brokers=profile.brokers, partitions=profile.partitions)
        try:
            # The layout the faults rely on: every domain topic on all three nodes, acks=all needing two.
            assert isinstance(servers.kafka, KafkaCluster) and len(servers.kafka.nodes) == 3
            for topic in (servers.settings.topic(s) for s in SERVICES):
                parts = servers.kafka.describe(topic)
                assert len(parts) == profile.partitions and all(len(p["replicas"]) == 3 for p in parts), parts
                assert broker.topic_configs(servers.settings, topic)["min.insync.replicas"] == "2"
            stack = Stack(suite_env(servers.env, tmp_path / "mail", free_port()), tmp_path / "logs",
                          tmp_path / "mail", workers=dict(profile.workers))
            stack.start()
            outcome = suite.run(profile, Infra(servers.pg, servers.kafka, servers.settings, stack))
        finally:
            if stack is not None:
                stack.stop()
            servers.stop()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    table = outcome.table()
    print(table)
    report = os.environ.get("PROGADMIN_FAULT_REPORT")
    if report:
        Path(report).write_text(outcome.as_json())
    assert not outcome.errors, table
    rows = {r.fault: r for r in outcome.rows}
    for row in outcome.rows:
        assert (row.fault, row.tally.lost, row.tally.doubled, row.tally.reordered) == (row.fault, 0, 0, 0), table
        assert row.tally.counted > 0, table  # every row counted something
        assert row.fault == suite.WHOLE or row.recovered_s is not None, table
    assert {"leader broker killed", "all brokers down", "reporting worker killed"} <= set(rows), table
    outage = rows["all brokers down"].measures
    # The load kept writing through the outage, and every write was answered 2xx at once (the outbox).
    assert outage["writes_during_outage"] > 0, table
    assert outage["writes_failed_during_outage"] == 0, table
    # Every web stayed ready (its /readyz depends on the database only) for the whole outage.
    assert outage["readyz_polls"] > 0, table
    assert outage["readyz_failures"] == 0, table
    assert len(rows["reporting worker killed"].measures["killed"]) >= 1, table
