"""Web processes: /readyz depends on the database only; Kafka's state and consumer lag are in /metrics."""

from __future__ import annotations

import time

import pytest

from deploy.infra import free_port
from services.common.config import Settings
from services.enrolment.app import create_app
from tests.conftest import Platform

pytestmark = pytest.mark.integration


def test_ready_with_kafka_unreachable_and_metrics_say_so_without_waiting(db_only: Platform) -> None:
    # A bootstrap address that drops packets (not routed) rather than refusing: the slow kind of outage.
    settings = db_only.settings("enrolment").with_(kafka_bootstrap="10.255.255.1:9092,127.0.0.1:1")
    app = create_app(settings)
    try:
        client = app.test_client()
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.get_json()
        assert ready.get_json()["checks"] == {"database": "ok"}
        for _ in range(2):  # the first scrape starts the background checks; neither waits on Kafka for long
            started = time.monotonic()
            metrics = client.get("/metrics").get_data(as_text=True)
            assert time.monotonic() - started < 2.5
        assert 'progadmin_kafka_reachable{service="enrolment"} 0.0' in metrics
        assert "progadmin_consumer_lag{" not in metrics  # no figures rather than stale ones
        assert 'progadmin_consumer_lag_age_seconds{service="enrolment"} -1.0' in metrics
    finally:
        app.config["POOL"].close()


def test_not_ready_with_the_database_down() -> None:
    nowhere = f"postgresql://enrolment:enrolment@127.0.0.1:{free_port()}/progadmin_enrolment"
    app = create_app(Settings.from_env("enrolment", env="test", database_url=nowhere, db_acquire_timeout_s=0.5))
    try:
        ready = app.test_client().get("/readyz")
        assert ready.status_code == 503
        assert ready.get_json()["checks"]["database"].startswith("unavailable")
        assert app.test_client().get("/livez").status_code == 200  # alive: only not ready
    finally:
        app.config["POOL"].close()


def test_ready_and_kafka_reachable_in_metrics_with_kafka_up(platform: Platform) -> None:
    app = create_app(platform.settings("enrolment"))
    try:
        client = app.test_client()
        assert client.get("/readyz").status_code == 200
        metrics = client.get("/metrics").get_data(as_text=True)
        assert 'progadmin_kafka_reachable{service="enrolment"} 1.0' in metrics
    finally:
        app.config["POOL"].close()
