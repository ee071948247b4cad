"""Kafka clients configured the one way every service uses them.

kafka-python 3 defaults bite (auto-commit on, offset reset `latest`), so
every setting that matters for the delivery guarantees is set explicitly
here rather than trusted to a default.
"""

from __future__ import annotations

import socket
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from services.common.config import SERVICES, Settings


def _servers(settings: Settings) -> list[str]:
    return [s.strip() for s in settings.kafka_bootstrap.split(",") if s.strip()]


def producer(settings: Settings, **overrides: Any) -> KafkaProducer:
    """An idempotent producer with acks=all and strict per-partition order."""
    config: dict[str, Any] = {
        "bootstrap_servers": _servers(settings),
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
        "bootstrap_servers": _servers(settings),
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
    """Every service's event topic and its dead-letter topic."""
    topics = []
    for service in SERVICES:
        topic = settings.topic(service)
        topics += [topic, settings.dlq_topic(topic)]
    return topics


def ensure_topics(settings: Settings, topics: list[str] | None = None) -> list[str]:
    """Create missing topics with the configured partitions; return those created."""
    wanted = topics if topics is not None else all_topics(settings)
    admin = KafkaAdminClient(bootstrap_servers=_servers(settings), client_id="progadmin-admin",
                             request_timeout_ms=15000)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in wanted if t not in existing]
        created = []
        for name in missing:
            try:
                admin.create_topics([NewTopic(name, settings.topic_partitions, settings.topic_replication)])
                created.append(name)
            except TopicAlreadyExistsError:  # another process won the race
                pass
        return created
    finally:
        admin.close()


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
