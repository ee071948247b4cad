"""A worker's own health endpoint (/livez, /readyz, /metrics) and consumer lag, against real servers."""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from kafka import KafkaProducer
from kafka.errors import KafkaError

from services.common.config import Settings
from services.common.events import encode, new_event
from services.common.lag import Lag, group_lag
from services.common.worker import consumer_group, run_worker
from services.common.worker_health import WorkerHealth
from services.reporting.app import create_app
from tests.conftest import Platform
from tests.support import wait_until

pytestmark = pytest.mark.integration


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def lag_lines(metrics: str, group: str) -> dict[int, float]:
    """partition -> lag of `group` from a Prometheus text page."""
    found = {}
    for line in metrics.splitlines():
        match = re.match(r'progadmin_consumer_lag\{(.*)\} (\S+)$', line)
        if match and f'group="{group}"' in match.group(1):
            partition = int(re.search(r'partition="(\d+)"', match.group(1)).group(1))  # type: ignore[union-attr]
            found[partition] = float(match.group(2))
    return found


def produce(settings: Settings, topic: str, count: int) -> None:
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    for i in range(count):
        company = str(uuid.uuid4())
        event = new_event("enrolment", "CompanyRegistered", company,
                          {"company_id": company, "name": f"Bedrijf {i}", "kvk_number": f"{i:08d}", "region": "Zuid"})
        producer.send(topic, key=company.encode(), value=encode(event))
    producer.flush(10)
    producer.close()


def lag_or_none(settings: Settings, group: str, topic: str) -> list[Lag] | None:
    try:  # a fresh broker creates its offsets topic on the first ask: the coordinator comes a moment later
        return group_lag(settings, [group], [topic])
    except KafkaError:
        return None


class Running:
    def __init__(self, settings: Settings, consumes: list[str], loops: dict[str, Any] | None = None) -> None:
        self.health = WorkerHealth(settings, port=0, groups=[consumer_group(settings)] if consumes else [],
                                   topics=[settings.topic(s) for s in consumes])
        self.health.kafka.state.max_age_s = 0.5  # fresh figures for the test
        self.stop = threading.Event()
        self.thread = threading.Thread(target=run_worker, args=(settings, consumes, {}),
                                       kwargs={"stop": self.stop, "install_signals": False, "loops": loops,
                                               "health": self.health}, daemon=True)
        self.thread.start()
        wait_until(lambda: self.health.port_in_use, 10, what="the health server")

    @property
    def port(self) -> int:
        return self.health.port

    def close(self) -> None:
        self.stop.set()
        self.thread.join(15)


@pytest.fixture
def running() -> Iterator[list[Running]]:
    started: list[Running] = []
    yield started
    for r in started:
        r.close()


def test_worker_reports_a_real_lag_then_zero_after_catching_up(platform: Platform, running: list[Running]) -> None:
    settings = platform.settings("reporting")
    platform.create_topics()
    topic, group = settings.topic("enrolment"), consumer_group(settings)
    produce(settings, topic, 7)
    # Nothing consumed yet: every record is lag, counted per partition from the earliest offset.
    before = wait_until(lambda: lag_or_none(settings, group, topic), 30, 0.5, what="the group's coordinator")
    assert sum(item.lag for item in before) == 7 and len(before) == settings.topic_partitions
    assert all(item.committed is None for item in before)

    worker = Running(settings, ["enrolment"])
    running.append(worker)
    status, body = get(worker.port, "/livez")
    assert status == 200 and set(json.loads(body)["loops"]) == {"relay", "consumer", "pruning"}

    def caught_up() -> bool:
        lags = lag_lines(get(worker.port, "/metrics")[1], group)
        return len(lags) == settings.topic_partitions and sum(lags.values()) == 0

    wait_until(caught_up, 30, 0.2, what="the worker's lag to reach 0")
    after = group_lag(settings, [group], [topic])
    assert sum(item.lag for item in after) == 0 and sum(item.committed or 0 for item in after) == 7
    ready = wait_until(lambda: (r := get(worker.port, "/readyz"))[0] == 200 and r, 10, what="ready")
    ready_body = json.loads(ready[1])
    assert ready_body["checks"] == {"database": "ok", "kafka": "ok"}
    assert ready_body["consumer"] in (f"{settings.topic_partitions} partitions assigned", "waiting for partitions")
    metrics = get(worker.port, "/metrics")[1]
    assert 'progadmin_kafka_reachable{service="reporting"} 1.0' in metrics
    assert 'progadmin_worker_loop_alive{loop="consumer",service="reporting"} 1.0' in metrics

    # The web process of the same service shows the same group's lag (it finds the group by its name):
    # 0 now, and a real lag once records arrive while no worker runs.
    app = create_app(settings)
    app.config["KAFKA_HEALTH"].state.max_age_s = 0.5
    try:
        def web_lag() -> dict[int, float]:
            return lag_lines(app.test_client().get("/metrics").get_data(as_text=True), group)

        web = wait_until(web_lag, 15, 0.2, what="lag in the web's /metrics")
        assert web == dict.fromkeys(range(settings.topic_partitions), 0.0)
        worker.close()
        produce(settings, topic, 3)
        wait_until(lambda: sum(web_lag().values()) == 3, 15, 0.3, what="a lag of 3 in the web's /metrics")
    finally:
        app.config["POOL"].close()


def test_worker_with_kafka_away_is_alive_not_ready_and_shows_its_backlog(db_only: Platform,
                                                                         running: list[Running]) -> None:
    settings = db_only.settings("enrolment")
    with psycopg.connect(settings.database_url) as conn:  # two events the relay cannot publish
        for _ in range(2):
            conn.execute("INSERT INTO outbox (event_id, topic, message_key, event_type, payload)"
                         " VALUES (%s, 't', 'k', 'x', '{}')", (uuid.uuid4(),))
    worker = Running(settings, [], loops={"short-lived": lambda stop: None})
    running.append(worker)
    status, body = wait_until(lambda: (r := get(worker.port, "/livez"))[0] == 503 and r, 10, what="a dead loop")
    assert json.loads(body)["loops"]["short-lived"] is False and json.loads(body)["loops"]["relay"] is True
    status, body = get(worker.port, "/readyz")
    assert status == 503 and json.loads(body)["checks"] == {"database": "ok", "kafka": "unreachable"}
    metrics = wait_until(lambda: "progadmin_outbox_backlog{" in (m := get(worker.port, "/metrics")[1]) and m, 10,
                         what="the backlog figure")
    assert 'progadmin_outbox_backlog{service="enrolment"} 2.0' in metrics
    assert 'progadmin_kafka_reachable{service="enrolment"} 0.0' in metrics
