"""Rebuild on real Kafka: the scripted programme is published to the three topics
(shuffled across them, with duplicates), consumed live, then
`python -m services.reporting.rebuild` replays everything: the report is identical
and nothing is published twice on the public stream. After a topic lost its oldest
records (retention, delete-records) the rebuild refuses and changes nothing."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from typing import Any

import psycopg
import pytest
from kafka import KafkaAdminClient, TopicPartition
from psycopg import sql

from services.common.config import Settings
from services.common.consumer import EventConsumer
from services.common.db import open_pool
from services.common.worker import consumer_group
from services.reporting import db
from services.reporting.handlers import handlers
from services.reporting.sequencer import Sequencer
from services.reporting.service import Reporting
from tests.conftest import Platform
from tests.e2e.processes import ROOT
from tests.integration.reporting.scripted import PROGRAMME_ID, build
from tests.support import publish_events, wait_until

pytestmark = pytest.mark.integration
SCRIPT = build()


def counts(database_url: str) -> tuple[int, int, int]:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT (SELECT count(*) FROM external_events), (SELECT count(*) FROM outbox),"
                           " (SELECT count(*) FROM processed_events)").fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def consume_live(settings: Settings, consumer: EventConsumer, total: int) -> None:
    """What the live worker does: apply every record, and its sequencer numbers the public events."""
    wait_until(lambda: consumer.poll_once() >= 0 and consumer.applied + consumer.skipped >= total,
               timeout=150, interval=0, what="the live consumer to apply every event")
    sequencer = Sequencer(settings)
    try:
        sequencer.drain()
    finally:
        sequencer.close()


def positions(database_url: str) -> list[int]:
    with psycopg.connect(database_url) as conn:
        return [r[0] for r in conn.execute("SELECT position FROM external_events ORDER BY id")]


def test_rebuild_from_the_topics_equals_the_live_projections(platform: Platform) -> None:
    platform.create_topics()
    settings = platform.settings("reporting")
    rng = random.Random(6)
    sent = SCRIPT.events + rng.sample(SCRIPT.events, 40)
    rng.shuffle(sent)  # per topic and key the order differs from the script; across topics anything goes
    publish_events(settings, sent)

    pool = open_pool(settings)
    topics = [settings.topic(s) for s in ("enrolment", "sessions", "notifications")]
    consumer = EventConsumer(settings, pool, consumer_group(settings), topics, handlers(settings))
    try:
        consume_live(settings, consumer, len(sent))
        assert consumer.applied == len(SCRIPT.events) and consumer.skipped == 40
        service = Reporting(settings, pool)
        live = service.final_report(PROGRAMME_ID, None)  # type: ignore[arg-type]
        before = counts(settings.database_url)
        numbered = positions(settings.database_url)
        assert numbered == list(range(1, before[0] + 1)) and before[1] == before[0]  # dense, each in the outbox
        assert live is not None and live["companies"]["started"] == 12

        # Corrupt the projections: a rebuild must not depend on what is there.
        with psycopg.connect(settings.database_url) as conn:
            conn.execute("UPDATE sessions SET held_at = NULL, snapshot_status = 'planned'")
            conn.execute("DELETE FROM follow_ups")
        assert service.final_report(PROGRAMME_ID, None) != live  # type: ignore[arg-type]

        done = subprocess.run([sys.executable, "-m", "services.reporting.rebuild"], cwd=ROOT, env=platform.env(),
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert f"from {len(SCRIPT.events)} events (40 duplicates" in done.stdout
        rebuilt = service.final_report(PROGRAMME_ID, None)  # type: ignore[arg-type]
        assert json.dumps(rebuilt, sort_keys=True) == json.dumps(live, sort_keys=True)
        assert counts(settings.database_url) == before  # nothing published twice, every event processed once
        assert positions(settings.database_url) == numbered
    finally:
        consumer.close()
        pool.close()


def dump(database_url: str) -> dict[str, list[Any]]:
    """Every projection row and the bookkeeping a rebuild would touch, in a comparable form."""
    out: dict[str, list[Any]] = {}
    with psycopg.connect(database_url) as conn:
        for table in (*db.PROJECTION_TABLES, "processed_events", "external_events", "outbox"):
            rows = conn.execute(sql.SQL("SELECT to_jsonb(t)::text FROM {} t").format(sql.Identifier(table)))
            out[table] = sorted(r[0] for r in rows)
    return out


def test_a_rebuild_refuses_when_a_topic_lost_its_oldest_records_and_changes_nothing(platform: Platform) -> None:
    platform.create_topics()
    settings = platform.settings("reporting")
    publish_events(settings, SCRIPT.events)
    pool = open_pool(settings)
    topics = [settings.topic(s) for s in ("enrolment", "sessions", "notifications")]
    consumer = EventConsumer(settings, pool, consumer_group(settings), topics, handlers(settings))
    try:
        consume_live(settings, consumer, len(SCRIPT.events))
    finally:
        consumer.close()
        pool.close()
    # Corrupt a projection so that a rebuild that ran anyway would show (it would repair this).
    with psycopg.connect(settings.database_url) as conn:
        conn.execute("DELETE FROM follow_ups")
    before = dump(settings.database_url)
    assert before["external_events"] and before["programmes"]

    # Retention, or an operator, removed the first two records of one sessions partition.
    trimmed = TopicPartition(settings.topic("sessions"), 1)
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap.split(","), client_id="test-trim")
    try:
        admin.delete_records({trimmed: 2})
    finally:
        admin.close()

    done = subprocess.run([sys.executable, "-m", "services.reporting.rebuild"], cwd=ROOT, env=platform.env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "refusing to rebuild" in done.stderr
    assert f"{trimmed.topic} partition 1 starts at offset 2" in done.stderr, done.stderr
    assert "rebuilt" not in done.stdout
    assert dump(settings.database_url) == before


def test_the_rebuild_publishes_what_the_live_consumer_had_not_yet(platform: Platform) -> None:
    """A lagging live consumer must not leave a gap in the public stream after a rebuild."""
    platform.create_topics()
    settings = platform.settings("reporting")
    publish_events(settings, SCRIPT.events[:30])
    from services.reporting.rebuild import rebuild

    result = rebuild(settings)
    assert result.applied == 30
    with psycopg.connect(settings.database_url) as conn:
        published: list[Any] = conn.execute("SELECT payload->>'type' FROM external_events ORDER BY position").fetchall()
    assert len(published) == 27  # IntakeScheduled (3 of the first 30) has no public counterpart
    assert result.seconds < 30
