"""Every Kafka topic of the platform, declared once.

`broker.ensure_topics` creates (and corrects) them on the local stack and in
tests; `python -m services.common.topics --strimzi` writes the same list as
Strimzi KafkaTopic resources for Kubernetes (`deploy/k8s/topics.yaml`).

Why these settings:
- Domain topics (`progadmin.<service>.events`; reporting's is also the
  public topic for subscribers) keep everything (`retention.ms=-1`): a
  projection must be rebuildable from offset 0, and a broker default of
  7 days would silently drop the older history.
- Dead-letter topics (`<topic>.dlq`) expire after `dlq_retention_ms`
  (default 14 days): a dead letter may hold personal data, which must not
  outlive an erasure by more than that.
- Contact details (`progadmin.enrolment.contacts`) are compacted, keyed by
  person id: only the latest record per person stays, and an erasure's
  tombstone removes the person's record for good once `delete.retention.ms`
  has passed (long enough for every consumer to have seen the tombstone).
- `min.insync.replicas=2` with replication 3 (and acks=all producers): an
  acknowledged record is on two nodes, so one broker may die without loss.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.common.config import SERVICES, Settings

CONTACTS = "progadmin.enrolment.contacts"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication: int
    config: dict[str, str] = field(default_factory=dict)
    # Topic name without the test/installation prefix (what overrides and docs refer to).
    base_name: str = ""


def _min_isr(replication: int) -> str:
    return "2" if replication >= 3 else "1"


def domain_topic(settings: Settings, service: str) -> str:
    return settings.topic(service)


def contacts_topic(settings: Settings) -> str:
    return f"{settings.topic_prefix}{CONTACTS}"


def TOPICS(settings: Settings, overrides: dict[str, dict[str, str]] | None = None) -> list[TopicSpec]:  # noqa: N802
    """The topics for `settings`, with per-topic config overrides (by base name) applied last.

    Overrides come from `settings.topic_config_overrides` and then `overrides`
    (tests force compaction with a small `segment.ms` and `min.cleanable.dirty.ratio`).
    """
    rf = settings.topic_replication
    min_isr = _min_isr(rf)
    specs: list[tuple[str, str, dict[str, str]]] = []
    for service in SERVICES:
        base = f"progadmin.{service}.events"
        specs.append((base, settings.topic(service), {
            "cleanup.policy": "delete",
            "retention.ms": "-1",
            "retention.bytes": "-1",
            "min.insync.replicas": min_isr,
        }))
        specs.append((f"{base}.dlq", settings.dlq_topic(settings.topic(service)), {
            "cleanup.policy": "delete",
            "retention.ms": str(settings.dlq_retention_ms),
            "min.insync.replicas": min_isr,
        }))
    specs.append((CONTACTS, contacts_topic(settings), {
        "cleanup.policy": "compact",
        "min.compaction.lag.ms": str(settings.contacts_min_compaction_lag_ms),
        "delete.retention.ms": str(settings.contacts_delete_retention_ms),
        "min.insync.replicas": min_isr,
    }))
    # A contact record a consumer cannot handle is parked like any other: it expires like any dead letter.
    specs.append((f"{CONTACTS}.dlq", settings.dlq_topic(contacts_topic(settings)), {
        "cleanup.policy": "delete",
        "retention.ms": str(settings.dlq_retention_ms),
        "min.insync.replicas": min_isr,
    }))
    merged = {**settings.topic_config_overrides}
    for name, extra in (overrides or {}).items():
        merged[name] = {**merged.get(name, {}), **extra}
    return [TopicSpec(name, settings.topic_partitions, rf, {**config, **merged.get(base, {})}, base)
            for base, name, config in specs]


def spec_for(settings: Settings, name: str) -> TopicSpec | None:
    """The spec of topic `name` (full name, prefix included), or None for a topic not declared here."""
    return next((s for s in TOPICS(settings) if s.name == name), None)
