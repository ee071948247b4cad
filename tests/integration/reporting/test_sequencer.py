"""The external log's sequencer on a real database: consumers publish side by side
without waiting for each other, the sequencer numbers committed rows densely and
in each key's order, a standby takes over from a dead leader without a gap or a
double, and its throughput is measured (printed; run with -s to see it)."""

from __future__ import annotations

import random
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from services.common.config import Settings
from services.common.events import Event, new_event
from services.reporting.handlers import handlers
from services.reporting.rebuild import apply_event
from services.reporting.sequencer import SEQUENCER_LOCK_ID, Sequencer
from tests.conftest import Platform
from tests.support import wait_until

pytestmark = pytest.mark.integration
GROUP = "progadmin.reporting"


@pytest.fixture
def settings(pg_server: Any, db_templates: dict[str, str]) -> Settings:
    from deploy.infra import KafkaBroker

    return Platform(pg_server, KafkaBroker(Path("/nonexistent"), port=1, controller_port=1),
                    db_templates).settings("reporting")


def session_held(sid: str, n: int) -> Event:
    """A publishable fact; `n` (attended) tells a key's events apart."""
    return new_event("sessions", "SessionHeld", sid, {"session_id": sid, "programme_id": str(uuid.uuid4()),
                                                      "type": "dialogue", "region": "Noord", "attended": n,
                                                      "no_shows": 0, "excused": 0})


def log_rows(settings: Settings) -> list[dict[str, Any]]:
    with psycopg.connect(settings.database_url, row_factory=dict_row) as conn:
        return conn.execute("SELECT id, position, cause_id, payload FROM external_events ORDER BY position").fetchall()


def test_consumers_publish_without_waiting_for_each_other(settings: Settings) -> None:
    """Two consumer transactions open at once both publish and commit: no lock is held across them."""
    table = handlers(settings)
    first = psycopg.connect(settings.database_url, row_factory=dict_row, autocommit=True)
    second = psycopg.connect(settings.database_url, row_factory=dict_row, autocommit=True)
    try:
        first.execute("BEGIN")
        apply_event(first, GROUP, table, session_held(str(uuid.uuid4()), 1))
        # With the old global advisory lock this waited for `first` to commit: the timeout proves it does not.
        second.execute("SET statement_timeout = '2s'")
        with second.transaction():
            apply_event(second, GROUP, table, session_held(str(uuid.uuid4()), 2))
        first.execute("COMMIT")
    finally:
        first.close()
        second.close()
    pending = log_rows(settings)
    assert len(pending) == 2 and all(r["position"] is None and "position" not in r["payload"] for r in pending)
    sequencer = Sequencer(settings)
    try:
        assert sequencer.drain() == 2
    finally:
        sequencer.close()
    rows = log_rows(settings)
    assert [r["position"] for r in rows] == [1, 2] and [r["payload"]["position"] for r in rows] == [1, 2]
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)  # numbered in insertion order


def test_parallel_consumers_get_dense_positions_in_each_keys_order(settings: Settings) -> None:
    """Four consumers commit batches concurrently while the sequencer runs; every key keeps its order."""
    keys = [str(uuid.uuid4()) for _ in range(24)]
    per_consumer = [keys[i::4] for i in range(4)]  # a key belongs to one consumer, as a partition does
    table = handlers(settings)
    stop = threading.Event()
    sequencer = Sequencer(settings)
    runner = threading.Thread(target=sequencer.run, args=(stop,))
    runner.start()
    errors: list[BaseException] = []

    def consume(mine: list[str], seed: int) -> None:
        rng = random.Random(seed)
        try:
            with psycopg.connect(settings.database_url, row_factory=dict_row) as conn:
                for n in range(1, 16):
                    with conn.transaction():  # a batch: a few keys, one event each, in key order
                        for key in rng.sample(mine, k=3):
                            apply_event(conn, GROUP, table, session_held(key, n))
                        time.sleep(rng.random() / 200)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=consume, args=(mine, i)) for i, mine in enumerate(per_consumer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors, errors
        total = 4 * 15 * 3
        wait_until(lambda: sum(r["position"] is not None for r in log_rows(settings)) == total, timeout=20,
                   what="the sequencer to number every published event")
    finally:
        stop.set()
        runner.join(timeout=10)
    rows = log_rows(settings)
    assert [r["position"] for r in rows] == list(range(1, total + 1))
    for key in keys:
        attended = [r["payload"]["data"]["attended"] for r in rows if r["payload"]["subject"] == key]
        assert attended == sorted(attended), (key, attended)
    with psycopg.connect(settings.database_url) as conn:
        outbox = [r[0] for r in conn.execute("SELECT payload FROM outbox ORDER BY id")]
    assert outbox == [r["payload"] for r in rows]  # the public topic gets them in position order


def test_a_standby_takes_over_from_a_dead_leader_without_gap_or_double(settings: Settings) -> None:
    table = handlers(settings)

    def publish(count: int) -> None:
        with psycopg.connect(settings.database_url, row_factory=dict_row) as conn, conn.transaction():
            for _ in range(count):
                apply_event(conn, GROUP, table, session_held(str(uuid.uuid4()), 1))

    leader, standby = Sequencer(settings), Sequencer(settings)
    try:
        publish(5)
        assert leader.drain() == 5
        publish(5)
        assert standby.drain() == 0  # the leader holds the lock
        with psycopg.connect(settings.database_url, autocommit=True) as admin:
            # The leader's process dies: its server session ends and the lock goes with it. Only this
            # database's leader: other tests' sequencers hold the same lock id in their own databases.
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                          " AND objid = %s AND granted AND database = (SELECT oid FROM pg_database"
                          " WHERE datname = current_database())", (SEQUENCER_LOCK_ID & 0xFFFFFFFF,))
        wait_until(lambda: standby.drain() == 5, timeout=10, what="the standby to take over")
        publish(3)
        assert standby.drain() == 3
    finally:
        leader.close()
        standby.close()
    rows = log_rows(settings)
    assert [r["position"] for r in rows] == list(range(1, 14))
    with psycopg.connect(settings.database_url) as conn:
        row = conn.execute("SELECT count(*), count(DISTINCT event_id) FROM outbox").fetchone()
    assert row == (13, 13)


def test_sequencer_throughput(settings: Settings) -> None:
    """Rows numbered (and written to the outbox) per second, for the report; the floor only catches a
    pathological regression on a loaded two-core machine."""
    rows = 20000
    with psycopg.connect(settings.database_url) as conn:
        # Pending rows as consumers leave them (same payload shape), inserted in bulk to time only the sequencer.
        conn.execute(
            "INSERT INTO external_events (event_id, event_type, cause_source, cause_id, payload)"
            " SELECT gen_random_uuid(), 'progadmin.reporting.PublicSessionHeld.v1', 'urn:test', g::text,"
            " jsonb_build_object('specversion', '1.0', 'id', gen_random_uuid(), 'source', 'urn:progadmin:reporting',"
            "  'type', 'progadmin.reporting.PublicSessionHeld.v1', 'subject', gen_random_uuid(),"
            "  'time', now(), 'data', jsonb_build_object('attended', g))"
            " FROM generate_series(1, %s) g", (rows,))
    sequencer = Sequencer(settings)
    try:
        started = time.perf_counter()
        assert sequencer.drain() == rows
        elapsed = time.perf_counter() - started
    finally:
        sequencer.close()
    rate = rows / elapsed
    print(f"\nsequencer: numbered {rows} rows (with their outbox rows) in {elapsed:.2f}s = {rate:.0f} rows/s")
    assert rate > 500
    with psycopg.connect(settings.database_url) as conn:
        check = conn.execute("SELECT min(position), max(position), count(*) FROM external_events").fetchone()
    assert check == (1, rows, rows)


def test_the_migration_keeps_an_existing_log_and_its_deliveries(pg_server: Any, monkeypatch: Any) -> None:
    """A database with positions from the old global-lock era: rows keep their positions and deliveries, and
    the sequencer counts on from the last one."""
    from services.common import migrate

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = pg_server.url(pg_server.superuser, pg_server.password, name)
    files = migrate.migration_files
    monkeypatch.setattr(migrate, "migration_files", lambda folder: [
        (v, p) for v, p in files(folder) if folder.parent.name != "reporting" or v == "0001"])
    migrate.apply_migrations(url, "reporting")
    with psycopg.connect(url) as conn:
        for position in (1, 2, 3):
            conn.execute("INSERT INTO external_events (event_id, event_type, cause_source, cause_id, payload)"
                         " VALUES (gen_random_uuid(), 'progadmin.reporting.PublicSessionHeld.v1', 'urn:old', %s,"
                         " jsonb_build_object('position', %s))", (str(position), position))
        conn.execute("INSERT INTO subscriptions (id, owner, url, secret, cursor) VALUES"
                     " (gen_random_uuid(), 'bi', 'http://127.0.0.1/h', 'whsec_x', 3)")
        conn.execute("INSERT INTO deliveries (id, subscription_id, position, event_type)"
                     " SELECT gen_random_uuid(), id, 2, 'progadmin.reporting.PublicSessionHeld.v1' FROM subscriptions")
    monkeypatch.setattr(migrate, "migration_files", files)
    assert "reporting/0002_sequenced_external_log.sql" in migrate.apply_migrations(url, "reporting")
    settings = Settings.from_env("reporting", env="test", database_url=url)
    table = handlers(settings)
    with psycopg.connect(url, row_factory=dict_row) as consumer, consumer.transaction():
        apply_event(consumer, GROUP, table, session_held(str(uuid.uuid4()), 1))
    sequencer = Sequencer(settings)
    try:
        assert sequencer.drain() == 1
    finally:
        sequencer.close()
    rows = log_rows(settings)
    assert [(r["id"], r["position"]) for r in rows] == [(1, 1), (2, 2), (3, 3), (4, 4)]
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT position FROM deliveries").fetchall() == [(2,)]
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute("INSERT INTO deliveries (id, subscription_id, position, event_type)"
                         " SELECT gen_random_uuid(), id, 99, 'x' FROM subscriptions")
