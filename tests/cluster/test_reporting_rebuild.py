"""The rebuild checks of tests/integration/reporting/test_rebuild.py, on the three-broker
cluster (replication 3): a rebuild from full history equals the live projections and
publishes nothing twice; after `delete-records` trimmed a partition it refuses (exit
code 2, naming topic, partition and earliest offset) and changes nothing."""

from __future__ import annotations

import pytest

from tests.cluster.conftest import ClusterPlatform
from tests.integration.reporting import test_rebuild as on_one_broker

pytestmark = pytest.mark.integration


def test_a_rebuild_on_the_cluster_equals_the_live_projections(cluster_platform: ClusterPlatform) -> None:
    on_one_broker.test_rebuild_from_the_topics_equals_the_live_projections(cluster_platform)


def test_a_rebuild_on_the_cluster_refuses_after_delete_records(cluster_platform: ClusterPlatform) -> None:
    on_one_broker.test_a_rebuild_refuses_when_a_topic_lost_its_oldest_records_and_changes_nothing(cluster_platform)
