"""The three-broker cluster for tests that need replication, leader failover or a quorum.

One cluster per run, started only when a test asks for it (about 10 s, ~350 MB
RSS per node), in its own directory under the run's workdir. Like the single
broker, it has no skip path: if it cannot start, the tests that need it error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deploy.infra import KafkaCluster
from services.common.config import Settings
from tests.conftest import Platform


@pytest.fixture(scope="session")
def kafka_cluster(workdir: Path) -> Iterator[KafkaCluster]:
    cluster = KafkaCluster(workdir / "kafka-cluster", 3, min_session_timeout_ms=500, default_partitions=3)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


class ClusterPlatform(Platform):
    """A Platform whose topics live on the cluster with replication factor 3."""

    def settings(self, service: str, **overrides: Any) -> Settings:
        return super().settings(service, **{"topic_replication": 3, **overrides})

    def env(self) -> dict[str, str]:
        env = super().env()
        env["PROGADMIN_TOPIC_REPLICATION"] = "3"
        return env


@pytest.fixture
def cluster_platform(pg_server: Any, kafka_cluster: KafkaCluster, db_templates: dict[str, str]) -> ClusterPlatform:
    """Each test's own databases and topic prefix, on the shared three-broker cluster."""
    return ClusterPlatform(pg_server, kafka_cluster, db_templates)  # type: ignore[arg-type]
