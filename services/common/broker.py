"""Kafka clients configured the one way every service uses them.

kafka-python 3 defaults bite (auto-commit on, offset reset `latest`), so
every setting that matters for the delivery guarantees is set explicitly
here rather than trusted to a default.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import TopicAlreadyExistsError

from services.common.config import Settings
from services.common.topic_specs import TOPICS, TopicSpec

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


def _servers(settings: Settings) -> list[str]:
    return [s.strip() for s in settings.kafka_bootstrap.split(",") if s.strip()]


def client_config(settings: Settings) -> dict[str, Any]:
    """Bootstrap servers and security for any Kafka client (producer, consumer, admin).

    Every client in the platform is made with this, so a managed or Strimzi
    cluster that requires TLS and SASL works by setting PROGADMIN_KAFKA_* only.
    """
    protocol = settings.kafka_security_protocol.upper() or "PLAINTEXT"
    if protocol not in PROTOCOLS:
        raise ValueError(f"PROGADMIN_KAFKA_SECURITY_PROTOCOL must be one of {', '.join(PROTOCOLS)}")
    config: dict[str, Any] = {"bootstrap_servers": _servers(settings), "security_protocol": protocol}
    if protocol.startswith("SASL_"):
        mechanism = settings.kafka_sasl_mechanism.upper()
        if mechanism not in SASL_MECHANISMS:
            raise ValueError(f"PROGADMIN_KAFKA_SASL_MECHANISM must be one of {', '.join(SASL_MECHANISMS)} "
                             f"with {protocol}")
        if not settings.kafka_sasl_username or not settings.kafka_sasl_password:
            raise ValueError(f"{protocol} needs PROGADMIN_KAFKA_SASL_USERNAME and PROGADMIN_KAFKA_SASL_PASSWORD")
        config.update(sasl_mechanism=mechanism, sasl_plain_username=settings.kafka_sasl_username,
                      sasl_plain_password=settings.kafka_sasl_password)
    if protocol.endswith("SSL"):
        # An empty CA file means the system's trust store (a managed cluster's public certificate).
        config.update(ssl_cafile=settings.kafka_ssl_cafile or None,
                      ssl_certfile=settings.kafka_ssl_certfile or None,
                      ssl_keyfile=settings.kafka_ssl_keyfile or None,
                      ssl_check_hostname=settings.kafka_ssl_check_hostname)
    return config


def admin(settings: Settings, **overrides: Any) -> KafkaAdminClient:
    config: dict[str, Any] = {**client_config(settings), "client_id": f"progadmin-{settings.service}-admin",
                              "request_timeout_ms": 15000}
    config.update(overrides)
    return KafkaAdminClient(**config)


def reader(settings: Settings, **overrides: Any) -> KafkaConsumer:
    """A consumer without a group, for tools that assign partitions themselves (DLQ, rebuild, checks)."""
    config: dict[str, Any] = {**client_config(settings), "client_id": f"progadmin-{settings.service}-reader",
                              "group_id": None, "enable_auto_commit": False, "auto_offset_reset": "earliest"}
    config.update(overrides)
    return KafkaConsumer(**config)


def producer(settings: Settings, **overrides: Any) -> KafkaProducer:
    """An idempotent producer with acks=all and strict per-partition order."""
    config: dict[str, Any] = {
        **client_config(settings),
        "client_id": f"progadmin-{settings.service}",
        "enable_idempotence": True,
        "acks": "all",
        # One request in flight per connection keeps per-key order even
        # when a batch is retried.
        "max_in_flight_requests_per_connection": 1,
        "linger_ms": 5,
        "request_timeout_ms": min(10000, settings.relay_send_timeout_ms // 2),
        "delivery_timeout_ms": settings.relay_send_timeout_ms,
        "max_block_ms": min(10000, settings.relay_send_timeout_ms // 2),
        "reconnect_backoff_max_ms": 2000,
    }
    config.update(overrides)
    return KafkaProducer(**config)


def consumer(settings: Settings, group_id: str, topics: list[str], **overrides: Any) -> KafkaConsumer:
    """A group consumer that never commits on its own and starts at the beginning."""
    config: dict[str, Any] = {
        **client_config(settings),
        "client_id": f"progadmin-{settings.service}-consumer",
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": settings.consumer_session_timeout_ms,
        "heartbeat_interval_ms": settings.consumer_heartbeat_ms,
        "max_poll_interval_ms": settings.consumer_max_poll_interval_ms,
        "max_poll_records": 200,
        "reconnect_backoff_max_ms": 2000,
        "metadata_max_age_ms": 30000,
    }
    config.update(overrides)
    return KafkaConsumer(*topics, **config)


def all_topics(settings: Settings) -> list[str]:
    """Every topic the platform declares (services/common/topic_specs.py)."""
    return [spec.name for spec in TOPICS(settings)]


def ensure_topics(settings: Settings, topics: list[str] | list[TopicSpec] | None = None) -> list[str]:
    """Create missing topics as declared and correct the config of existing ones; return those created.

    `topics` may be names (declared ones take their spec; others get the
    settings' partitions and replication) or specs; None means all declared.
    A config key that differs from the declaration on an existing topic is set
    again (IncrementalAlterConfigs), so a redeploy applies a changed retention.
    Partition counts are never changed here (that would move keys between partitions).
    """
    declared = {spec.name: spec for spec in TOPICS(settings)}
    wanted: list[TopicSpec] = []
    for item in topics if topics is not None else list(declared.values()):
        if isinstance(item, TopicSpec):
            wanted.append(item)
        else:
            wanted.append(declared.get(item) or TopicSpec(item, settings.topic_partitions, settings.topic_replication))
    client = admin(settings)
    try:
        existing = set(client.list_topics())
        created = []
        for spec in wanted:
            if spec.name in existing:
                continue
            try:
                # Waiting for the metadata: a consumer or config check right after sees the topic.
                client.create_topics({spec.name: {"num_partitions": spec.partitions,
                                                  "replication_factor": spec.replication,
                                                  "configs": dict(spec.config)}}, wait_for_metadata=True)
                created.append(spec.name)
            except TopicAlreadyExistsError:  # another process won the race
                existing.add(spec.name)
        _align_configs(client, [s for s in wanted if s.name in existing and s.config])
        return created
    finally:
        client.close()


def _align_configs(client: KafkaAdminClient, specs: list[TopicSpec]) -> None:
    if not specs:
        return
    resources = [ConfigResource(ConfigResourceType.TOPIC, s.name, {k: None for k in s.config}) for s in specs]
    described = client.describe_configs(resources, config_filter="all").get("topic", {})
    changes = []
    for spec in specs:
        current = {k: v.get("value") for k, v in described.get(spec.name, {}).items()}
        differing = {k: v for k, v in spec.config.items() if current.get(k) != v}
        if differing:
            changes.append(ConfigResource(ConfigResourceType.TOPIC, spec.name, differing))
    if changes:
        result = client.alter_configs(changes, incremental=True).get("topic", {})
        failed = {name: outcome for name, outcome in result.items() if outcome != "OK"}
        if failed:
            raise RuntimeError(f"topic configs not applied: {failed}")


def topic_configs(settings: Settings, topic: str, timeout: float = 10) -> dict[str, str]:
    """The effective config of `topic` as the brokers report it (defaults included).

    A broker that has not caught up with a new topic answers with nothing
    (kafka-python drops the error); ask again until it knows the topic.
    """
    client = admin(settings)
    deadline = time.monotonic() + timeout
    try:
        while True:
            described = client.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)],
                                                config_filter="all")
            configs = described.get("topic", {}).get(topic, {})
            if configs or time.monotonic() > deadline:
                return {k: v.get("value") for k, v in configs.items()}
            time.sleep(0.2)
    finally:
        client.close()


def reachable(settings: Settings, timeout: float = 1.0) -> bool:
    """True when at least one bootstrap server accepts a TCP connection."""
    for server in _servers(settings):
        host, _, port = server.rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
                return True
        except OSError:
            continue
    return False
