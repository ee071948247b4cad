"""Issue 12: every worker process exits within 5 s of SIGTERM, even in the middle of a webhook delivery or a
Kafka call that does not answer. Work cut off there is redone after the restart (outbox rows stay unpublished,
a consumer batch rolls back, a webhook delivery stays pending): the at-least-once paths, never a loss."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.types.json import Jsonb

from services.common import broker
from services.common.events import encode, new_event
from tests.conftest import Platform
from tests.e2e.processes import Processes

pytestmark = pytest.mark.e2e
PROMPT_S = 5.0


class BlackHole:
    """A TCP server that accepts connections and reads, but never answers (a hung webhook or a paused broker)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received = threading.Event()
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._swallow, args=(conn,), daemon=True).start()

    def _swallow(self, conn: socket.socket) -> None:
        try:
            while conn.recv(65536):
                self.received.set()
        except OSError:
            pass

    def close(self) -> None:
        self.sock.close()
        for conn in self._conns:
            conn.close()


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    hole = BlackHole()
    try:
        yield hole
    finally:
        hole.close()


def _sigterm_and_time(procs: Processes, name: str) -> float:
    proc = procs.procs[name]
    assert proc.poll() is None, procs.log(name)
    started = time.monotonic()
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        code = proc.wait(PROMPT_S + 10)
    except Exception:
        raise AssertionError(f"{name} still running 15 s after SIGTERM:\n{procs.log(name)}") from None
    took = time.monotonic() - started
    assert code == 0, procs.log(name)
    assert "stopped" in procs.log(name), procs.log(name)
    return took


def test_reporting_worker_exits_promptly_while_a_webhook_endpoint_hangs(platform: Platform, tmp_path: Path,
                                                                        black_hole: BlackHole) -> None:
    platform.create_topics()
    settings = platform.settings("reporting")
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO subscriptions (id, owner, url, description, event_types, secret, cursor)"
                     " VALUES (%s, 'bi', %s, 'hangs', '{}', 'whsec_test', 0)",
                     (uuid.uuid4(), f"http://127.0.0.1:{black_hole.port}/hook"))
    # A fact reporting publishes: the dispatcher then calls the endpoint, which never answers.
    sid = str(uuid.uuid4())
    event = new_event("sessions", "SessionHeld", sid, {"session_id": sid, "programme_id": str(uuid.uuid4()),
                                                       "type": "workshop", "region": "Zuid", "attended": 5,
                                                       "no_shows": 0, "excused": 0})
    producer = broker.producer(settings)
    producer.send(settings.topic("sessions"), key=sid.encode(), value=encode(event)).get(timeout=30)
    producer.close(timeout=5)
    env = {**platform.env(), "PROGADMIN_REPORTING_WEBHOOK_TIMEOUT_S": "120",
           "PROGADMIN_REPORTING_WEBHOOK_POLL_MS": "100"}
    procs = Processes(env, tmp_path)
    try:
        procs.worker("reporting")
        assert black_hole.received.wait(60), procs.log("reporting-worker")  # the POST is in flight
        assert _sigterm_and_time(procs, "reporting-worker") < PROMPT_S
    finally:
        procs.stop()
    with psycopg.connect(settings.database_url) as conn:
        row = conn.execute("SELECT status FROM deliveries").fetchone()
    assert row is not None and row[0] == "pending"  # cut off, not lost: delivered after the restart


@pytest.mark.parametrize("service", ["enrolment", "sessions", "notifications", "reporting"])
def test_every_worker_exits_promptly_while_kafka_does_not_answer(platform: Platform, tmp_path: Path,
                                                                 black_hole: BlackHole, service: str) -> None:
    """A paused broker accepts connections and answers nothing: startup and the relay's calls hang there."""
    settings = platform.settings(service)
    with psycopg.connect(settings.database_url, autocommit=True) as conn:  # something for the relay to send
        conn.execute("INSERT INTO outbox (event_id, topic, message_key, event_type, payload)"
                     " VALUES (%s, %s, 'k', 'progadmin.test.Nothing.v1', %s)",
                     (str(uuid.uuid4()), settings.topic(service), Jsonb({"type": "progadmin.test.Nothing.v1"})))
    env = {**platform.env(), "PROGADMIN_KAFKA_BOOTSTRAP": f"127.0.0.1:{black_hole.port}"}
    procs = Processes(env, tmp_path)
    name = f"{service}-worker"
    try:
        procs.worker(service)
        assert black_hole.received.wait(60), procs.log(name)  # a Kafka call is in progress
        time.sleep(1)
        assert _sigterm_and_time(procs, name) < PROMPT_S
    finally:
        procs.stop()
