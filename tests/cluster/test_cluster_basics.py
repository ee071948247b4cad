"""The three-broker cluster does what the platform relies on: a killed leader is replaced,
acks=all writes go on with two of three nodes, and the restarted node catches up."""

from __future__ import annotations

import time

from kafka import TopicPartition

from deploy.infra import KafkaCluster
from services.common import broker
from tests.cluster.conftest import ClusterPlatform


def _read_all(settings, topic: str, partitions: int, expected: int, timeout: float = 30) -> list[bytes]:
    consumer = broker.consumer(settings, group_id=f"{topic}.reader", topics=[])
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(partitions)])
        consumer.seek_to_beginning()
        values: list[bytes] = []
        deadline = time.monotonic() + timeout
        while len(values) < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                values += [r.value for r in records]
        return values
    finally:
        consumer.close()


def test_leader_killed_writes_go_on_and_node_catches_up(cluster_platform: ClusterPlatform,
                                                       kafka_cluster: KafkaCluster) -> None:
    settings = cluster_platform.settings("enrolment")
    topic = settings.topic("enrolment")
    broker.ensure_topics(settings, [topic])
    kafka_cluster.wait_in_sync(topic, timeout=30)
    parts = kafka_cluster.describe(topic)
    assert len(parts) == settings.topic_partitions
    assert all(len(p["replicas"]) == 3 and len(p["isr"]) == 3 for p in parts), parts

    producer = broker.producer(settings)
    try:
        for i in range(20):
            producer.send(topic, key=b"k%d" % (i % 5), value=b"before-%d" % i).get(timeout=10)

        old_leader = kafka_cluster.leader_of(topic, 0)
        victim = kafka_cluster.node(old_leader)
        victim.kill()
        new_leader = kafka_cluster.wait_leader(topic, 0, not_on=old_leader, timeout=30)
        assert new_leader != old_leader

        # acks=all with min.insync.replicas=2: two of three nodes are enough.
        deadline = time.monotonic() + 30
        written = 0
        while written < 20:
            try:
                producer.send(topic, key=b"k%d" % (written % 5), value=b"after-%d" % written).get(timeout=10)
                written += 1
            except Exception:  # the client is still learning the new leaders
                assert time.monotonic() < deadline, "acks=all writes did not resume with 2 of 3 nodes"
                time.sleep(0.3)
        isr = {p["partition"]: p["isr"] for p in kafka_cluster.describe(topic)}
        assert all(old_leader not in nodes for nodes in isr.values()), isr
    finally:
        producer.close()

    victim.start()
    kafka_cluster.wait_in_sync(topic, timeout=60)
    assert all(len(p["isr"]) == 3 for p in kafka_cluster.describe(topic))

    values = _read_all(settings, topic, settings.topic_partitions, 40)
    assert sorted(values) == sorted([b"before-%d" % i for i in range(20)] + [b"after-%d" % i for i in range(20)])


def test_cluster_defaults_protect_acknowledged_writes(kafka_cluster: KafkaCluster) -> None:
    from kafka import KafkaAdminClient
    from kafka.admin import ConfigResource, ConfigResourceType

    admin = KafkaAdminClient(bootstrap_servers=kafka_cluster.bootstrap.split(","))
    try:
        described = admin.describe_configs(
            [ConfigResource(ConfigResourceType.BROKER, str(kafka_cluster.nodes[0].node_id))], config_filter="all")
    finally:
        admin.close()
    configs = {k: v["value"] for k, v in described["broker"][str(kafka_cluster.nodes[0].node_id)].items()}
    assert configs["min.insync.replicas"] == "2"
    assert configs["default.replication.factor"] == "3"
    assert configs["offsets.topic.replication.factor"] == "3"
    assert configs["unclean.leader.election.enable"] == "false"
    assert configs["transaction.state.log.min.isr"] == "2"
