"""Topics are created as declared (services/common/topic_specs.py), a changed declaration is applied to
existing topics, and the Strimzi resources are generated from the same declaration."""

from __future__ import annotations

import yaml

from services.common import broker, topics
from services.common.topic_specs import CONTACTS, TOPICS
from tests.conftest import Platform


def test_topics_created_with_their_settings_and_corrected(platform: Platform) -> None:
    settings = platform.settings("enrolment", dlq_retention_ms=3_600_000)
    created = broker.ensure_topics(settings)
    declared = {spec.name: spec for spec in TOPICS(settings)}
    assert sorted(created) == sorted(declared)

    domain = broker.topic_configs(settings, settings.topic("reporting"))
    assert domain["retention.ms"] == "-1"  # a rebuild needs the whole history
    assert domain["cleanup.policy"] == "delete"
    dlq = broker.topic_configs(settings, settings.dlq_topic(settings.topic("enrolment")))
    assert dlq["retention.ms"] == "3600000"
    contacts = broker.topic_configs(settings, f"{settings.topic_prefix}{CONTACTS}")
    assert contacts["cleanup.policy"] == "compact"
    assert contacts["delete.retention.ms"] == str(settings.contacts_delete_retention_ms)

    # A changed declaration reaches the existing topics; nothing is created twice.
    changed = settings.with_(dlq_retention_ms=7_200_000,
                             topic_config_overrides={CONTACTS: {"segment.ms": "100",
                                                                "min.cleanable.dirty.ratio": "0.01"}})
    assert broker.ensure_topics(changed) == []
    assert broker.topic_configs(settings, settings.dlq_topic(settings.topic("enrolment")))["retention.ms"] == "7200000"
    contacts = broker.topic_configs(settings, f"{settings.topic_prefix}{CONTACTS}")
    assert (contacts["segment.ms"], contacts["min.cleanable.dirty.ratio"]) == ("100", "0.01")
    assert contacts["cleanup.policy"] == "compact"


def test_strimzi_topics_follow_the_declaration() -> None:
    docs = [d for d in yaml.safe_load_all(topics.strimzi_yaml()) if d]
    names = {d["spec"]["topicName"]: d for d in docs}
    assert set(names) == {"progadmin.enrolment.events", "progadmin.sessions.events",
                          "progadmin.notifications.events", "progadmin.reporting.events",
                          "progadmin.enrolment.events.dlq", "progadmin.sessions.events.dlq",
                          "progadmin.notifications.events.dlq", "progadmin.reporting.events.dlq", CONTACTS,
                          f"{CONTACTS}.dlq"}
    for doc in docs:
        assert doc["apiVersion"] == "kafka.strimzi.io/v1beta2" and doc["kind"] == "KafkaTopic"
        assert doc["metadata"]["labels"]["strimzi.io/cluster"] == topics.STRIMZI_CLUSTER
        assert doc["spec"]["replicas"] == 3 and doc["spec"]["config"]["min.insync.replicas"] == "2"
    assert names["progadmin.enrolment.events"]["spec"]["config"]["retention.ms"] == "-1"
    assert names[CONTACTS]["spec"]["config"]["cleanup.policy"] == "compact"
    assert topics.main(["--check"]) == 0, "deploy/k8s/topics.yaml is stale"
