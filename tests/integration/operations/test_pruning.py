"""Pruning deletes only dedupe claims and stored Idempotency-Key responses older than their retention."""

from __future__ import annotations

import threading

import psycopg
import pytest

from services.common.pruning import PRUNE_LOCK_ID, prune_once
from tests.conftest import Platform

pytestmark = pytest.mark.integration


def fill(url: str) -> None:
    with psycopg.connect(url) as conn:
        # processed_events: 5 from 40 days ago, 3 from 29 days ago, 2 now (retention 30 days).
        for i, age in enumerate(["40 days"] * 5 + ["29 days"] * 3 + ["0 days"] * 2):
            conn.execute("INSERT INTO processed_events (consumer, event_source, event_id, event_type, processed_at)"
                         " VALUES ('g', 's', %s, 't', now() - %s::interval)", (f"e{i}", age))
        # idempotency_keys: 4 from 3 days ago, 1 from 47 hours ago, 1 now (retention 48 hours).
        for i, age in enumerate(["72 hours"] * 4 + ["47 hours", "0 hours"]):
            conn.execute("INSERT INTO idempotency_keys (principal, idem_key, method, path, request_hash, status_code,"
                         " created_at) VALUES ('p', %s, 'POST', '/x', 'h', 201, now() - %s::interval)", (f"k{i}", age))


def remaining(url: str) -> tuple[list[str], list[str]]:
    with psycopg.connect(url) as conn:
        events = [r[0] for r in conn.execute("SELECT event_id FROM processed_events ORDER BY event_id")]
        keys = [r[0] for r in conn.execute("SELECT idem_key FROM idempotency_keys ORDER BY idem_key")]
    return events, keys


def test_only_rows_older_than_the_retention_go_in_batches(db_only: Platform) -> None:
    settings = db_only.settings("sessions").with_(prune_batch_size=2)  # 5 old claims: batches of 2, 2, 1
    fill(settings.database_url)
    assert prune_once(settings) == {"processed_events": 5, "idempotency_keys": 4}
    assert remaining(settings.database_url) == (["e5", "e6", "e7", "e8", "e9"], ["k4", "k5"])
    assert prune_once(settings) == {"processed_events": 0, "idempotency_keys": 0}


def test_retention_comes_from_the_settings(db_only: Platform) -> None:
    settings = db_only.settings("notifications").with_(dedupe_retention_days=35, idempotency_retention_hours=24)
    fill(settings.database_url)
    assert prune_once(settings) == {"processed_events": 5, "idempotency_keys": 5}


def test_a_second_worker_leaves_the_pruning_to_the_one_at_it(db_only: Platform) -> None:
    settings = db_only.settings("reporting")
    fill(settings.database_url)
    holding, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        with psycopg.connect(settings.database_url) as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (PRUNE_LOCK_ID,))
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert holding.wait(10)
        assert prune_once(settings) == {"processed_events": 0, "idempotency_keys": 0}
    finally:
        release.set()
        thread.join()
    assert prune_once(settings) == {"processed_events": 5, "idempotency_keys": 4}


def test_the_age_columns_are_indexed(db_only: Platform) -> None:
    settings = db_only.settings("enrolment")
    with psycopg.connect(settings.database_url) as conn:
        indexes = {r[0] for r in conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename IN"
                                              " ('processed_events', 'idempotency_keys')")}
    assert any("processed_events USING btree (processed_at)" in i for i in indexes)
    assert any("idempotency_keys USING btree (created_at)" in i for i in indexes)
