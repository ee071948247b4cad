"""After an erasure, no record that a new consumer can read holds the person's name or e-mail address.

On the three-broker cluster: enrolment's real API and relay, and the real workers of sessions,
notifications and reporting (relay, consumer, reporting's sequencer for the public topic), all on
their own topics. A delegate and a company's director are enrolled, then erased; compaction of the
contacts topic is forced (topic overrides: tiny segments, cleaner eager, tombstones kept briefly), and
every topic on the cluster is read from the beginning, every partition up to its end, DLQs and the
public topic included. The erased people's names and addresses occur nowhere in the raw bytes (keys,
values, headers), while a control delegate's are still there, which shows the check can fail.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from kafka import KafkaConsumer, TopicPartition

from deploy.infra import KafkaCluster
from services.common import broker
from services.common.config import Settings
from services.common.contacts import CONTACTS_TOPIC, contacts_topic
from services.common.worker import run_worker
from services.enrolment.app import create_app
from services.notifications.handlers import handlers as notification_handlers
from services.reporting.handlers import handlers as reporting_handlers
from services.reporting.sequencer import Sequencer
from services.reporting.worker import CONSUMES as REPORTING_CONSUMES
from services.sessions.handlers import handlers as session_handlers
from tests.cluster.conftest import ClusterPlatform
from tests.integration.enrolment.support import Api
from tests.support import wait_until

# Compaction on demand: segments roll after 100 ms, any dirt is worth cleaning, nothing waits to be
# compacted, and a tombstone itself goes 100 ms after it was cleaned past.
FORCE_COMPACTION = {CONTACTS_TOPIC: {"segment.ms": "100", "min.cleanable.dirty.ratio": "0.01",
                                     "min.compaction.lag.ms": "0", "delete.retention.ms": "100"}}


def read_everything(settings: Settings) -> tuple[bytes, dict[str, int]]:
    """Every record of every topic on the cluster, from the beginning to the end offsets seen now (raw bytes)."""
    admin = broker.admin(settings)
    try:
        topics = sorted(admin.list_topics())
    finally:
        admin.close()
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest")
    chunks: list[bytes] = []
    counts: dict[str, int] = {}
    try:
        tps = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or [])]
        ends = {tp: end for tp, end in consumer.end_offsets(tps).items() if end > 0}
        consumer.assign(list(ends))
        consumer.seek_to_beginning(*ends)
        position = {tp: -1 for tp in ends}
        deadline = time.monotonic() + 60
        while any(position[tp] < end - 1 for tp, end in ends.items()):
            assert time.monotonic() < deadline, "could not read every topic to its end"
            for tp, records in consumer.poll(timeout_ms=200).items():
                for r in records:
                    position[tp] = r.offset
                    counts[tp.topic] = counts.get(tp.topic, 0) + 1
                    chunks += [r.key or b"", r.value or b""]
                    chunks += [k.encode() + (v or b"") for k, v in (r.headers or [])]
            # Compaction leaves gaps: a partition whose last records were removed ends before its end offset.
            for tp in ends:
                if position[tp] < ends[tp] - 1 and consumer.position(tp) >= ends[tp]:
                    position[tp] = ends[tp] - 1
    finally:
        consumer.close()
    return b"\n".join(chunks), counts


def contacts_text(settings: Settings) -> bytes:
    """The contacts topic's records, from the beginning (what compaction has left)."""
    text, _ = read_one(settings, contacts_topic(settings))
    return text


def read_one(settings: Settings, topic: str) -> tuple[bytes, int]:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest")
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        ends = consumer.end_offsets(tps)
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        chunks: list[bytes] = []
        deadline = time.monotonic() + 20
        while any(consumer.position(tp) < ends[tp] for tp in tps) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=200).values():
                chunks += [(r.key or b"") + b"=" + (r.value or b"") for r in records]
        return b"\n".join(chunks), len(chunks)
    finally:
        consumer.close()


def test_an_erased_persons_name_and_address_are_in_no_topic_after_compaction(
        cluster_platform: ClusterPlatform, kafka_cluster: KafkaCluster) -> None:
    def settings(service: str) -> Settings:
        return cluster_platform.settings(service, topic_config_overrides=FORCE_COMPACTION)

    enrolment = settings("enrolment")
    broker.ensure_topics(enrolment)  # every declared topic (with the overrides), DLQs included
    stop = threading.Event()
    workers: list[tuple[Settings, list[str], Callable[[Settings], dict[str, Any]]]] = [
        (enrolment, [], lambda s: {}),
        (settings("sessions"), ["enrolment", CONTACTS_TOPIC], session_handlers),
        (settings("notifications"), ["enrolment", "sessions", CONTACTS_TOPIC], notification_handlers),
        (settings("reporting"), REPORTING_CONSUMES, reporting_handlers),
    ]
    threads = []
    for s, consumes, make in workers:
        loops = {"sequencer": Sequencer(s).run} if s.service == "reporting" else None
        threads.append(threading.Thread(target=run_worker, args=(s, consumes, make(s), stop, False, loops),
                                        daemon=True, name=f"worker-{s.service}"))
    for t in threads:
        t.start()
    app = create_app(enrolment)
    api = Api(app, app.test_client())
    tag = uuid.uuid4().hex[:10]
    try:
        e = api.enrolment("admitted")  # its director ("Directeur <kvk>-0") is mailed: on the contacts topic
        director = api.ok(api.get(f"/api/v1/companies/{e['company_id']}"))["directors"][0]
        delegate = api.ok(api.post(f"/api/v1/enrolments/{e['id']}/delegates", {
            "name": f"Anna Gewist {tag}", "email": f"anna.{tag}@bedrijf.nl", "job_level": "foreman"}), 201)
        control = api.ok(api.post(f"/api/v1/enrolments/{e['id']}/delegates", {
            "name": f"Carla Controle {tag}", "email": f"carla.{tag}@bedrijf.nl", "job_level": "manager"}), 201)
        secrets = [director["name"], director["email"], delegate["name"], delegate["email"]]

        # Everything is out and consumed before the erasure: the consumers really had the data.
        def sessions_named() -> bool:
            with psycopg.connect(settings("sessions").database_url) as conn:
                row = conn.execute("SELECT count(*) FROM delegate_names WHERE name = ANY(%s)",
                                   ([delegate["name"], control["name"]],)).fetchone()
            return row is not None and row[0] == 2
        wait_until(sessions_named, 120, what="sessions read the delegates' names from the contacts topic")
        before, _ = read_everything(enrolment)
        assert all(s.encode() in before for s in secrets), "the names never reached Kafka: the test proves nothing"

        for person in (director, delegate):
            api.ok(api.post(f"/api/v1/persons/{person['person_id']}/erasure"))
        wait_until(lambda: unpublished(enrolment) == 0, 30, what="the erasure's tombstones published")

        # Roll the contacts topic's segments in every partition so the tombstones become cleanable, then wait
        # for the log cleaner (it looks every 15 s by default) to have removed the erased people's records.
        producer = broker.producer(enrolment)
        topic = contacts_topic(enrolment)

        def compacted() -> bool:
            for partition in sorted(producer.partitions_for(topic)):
                producer.send(topic, key=f"roll-{uuid.uuid4()}".encode(), value=b"{}", partition=partition)
            producer.flush(10)
            text = contacts_text(enrolment)
            return not any(s.encode() in text for s in secrets)
        try:
            wait_until(compacted, 75, interval=1.0, what="the log cleaner compacted the contacts topic")
        finally:
            producer.close(timeout=5)

        everything, counts = read_everything(enrolment)
        leaks = [s for s in secrets if s.encode() in everything]
        assert leaks == [], f"erased data still readable: {leaks}"
        assert control["name"].encode() in everything and control["email"].encode() in everything
        prefix = cluster_platform.prefix
        read = {t for t in counts if t.startswith(prefix)}
        assert {f"{prefix}progadmin.enrolment.events", f"{prefix}progadmin.enrolment.contacts",
                f"{prefix}progadmin.reporting.events"} <= read, sorted(read)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
        app.config["POOL"].close()


def unpublished(settings: Settings) -> int:
    with psycopg.connect(settings.database_url) as conn:
        row = conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()
    return int(row[0]) if row else -1
