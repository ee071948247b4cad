"""Test harness: one real PostgreSQL server and one real Kafka broker per run.

Both are started once per test session (a few seconds); each test gets its
own databases (cloned from a migrated template), its own topic prefix and
its own consumer groups, so tests never see each other's data. There is no
skip path: if a server cannot start, every test that needs it errors, and
the run fails.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from deploy.identity import KeycloakServer
from deploy.infra import KafkaBroker, PostgresServer, free_port
from services.common import broker
from services.common.config import SERVICES, Settings
from services.common.migrate import apply_migrations

# Short timeouts so consumer groups join and fail over in about a second.
TEST_TIMEOUTS = {
    "consumer_session_timeout_ms": 1500,
    "consumer_heartbeat_ms": 300,
    "consumer_poll_ms": 100,
    "consumer_retry_backoff_ms": 10,
    "consumer_max_attempts": 3,
    "relay_poll_ms": 50,
    "relay_send_timeout_ms": 4000,
    "topic_partitions": 3,
    "db_pool_max": 20,
}


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="progadmin-test-") as d:
        yield Path(d)


@pytest.fixture(scope="session")
def pg_server(workdir: Path) -> Iterator[PostgresServer]:
    server = PostgresServer(workdir / "pg", free_port())
    server.start(fast=True)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def kafka(workdir: Path) -> Iterator[KafkaBroker]:
    node = KafkaBroker(workdir / "kafka", free_port(), free_port(), min_session_timeout_ms=500,
                       default_partitions=3)
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def origin_port() -> int:
    """The port of the one origin (nginx) in tests; Keycloak's realm sends browsers back to it."""
    return free_port()


@pytest.fixture(scope="session")
def keycloak(workdir: Path, origin_port: int) -> Iterator[KeycloakServer]:
    """The real identity provider, started once per run (only when a test asks for it)."""
    server = KeycloakServer(workdir / "keycloak", free_port(), free_port(), origin=f"http://127.0.0.1:{origin_port}")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def migrated_templates(pg_server: PostgresServer) -> dict[str, str]:
    """A migrated template database per service on `pg_server`; tests clone them (fast)."""
    names = {}
    with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
        for service in SERVICES:
            name = f"template_{service}"
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            apply_migrations(pg_server.url(pg_server.superuser, pg_server.password, name), service)
            names[service] = name
    return names


@pytest.fixture(scope="session")
def db_templates(pg_server: PostgresServer) -> dict[str, str]:
    return migrated_templates(pg_server)


def create_database(pg_server: PostgresServer, template: str) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))
    return pg_server.url(pg_server.superuser, pg_server.password, name)


@dataclass
class Platform:
    """One isolated copy of the platform's configuration for a test."""

    pg: PostgresServer
    kafka: KafkaBroker
    templates: dict[str, str]
    prefix: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:10]}.")
    _settings: dict[str, Settings] = field(default_factory=dict)

    def settings(self, service: str, **overrides: object) -> Settings:
        """Settings for `service` with its own fresh database (created on first use)."""
        if service not in self._settings:
            url = create_database(self.pg, self.templates[service])
            self._settings[service] = Settings.from_env(
                service, env="test", database_url=url, kafka_bootstrap=self.kafka.bootstrap,
                topic_prefix=self.prefix, **TEST_TIMEOUTS)
        base = self._settings[service]
        return base.with_(**overrides) if overrides else base

    def create_topics(self) -> None:
        broker.ensure_topics(self.settings("enrolment"))

    def env(self) -> dict[str, str]:
        """Environment for service processes started by e2e tests."""
        env = dict(os.environ)
        for service in SERVICES:
            env[f"PROGADMIN_{service.upper()}_DATABASE_URL"] = self.settings(service).database_url
        env.update({
            "PROGADMIN_ENV": "test",
            "PROGADMIN_KAFKA_BOOTSTRAP": self.kafka.bootstrap,
            "PROGADMIN_TOPIC_PREFIX": self.prefix,
            "PROGADMIN_TOPIC_PARTITIONS": str(TEST_TIMEOUTS["topic_partitions"]),
            "PROGADMIN_CONSUMER_SESSION_TIMEOUT_MS": str(TEST_TIMEOUTS["consumer_session_timeout_ms"]),
            "PROGADMIN_CONSUMER_HEARTBEAT_MS": str(TEST_TIMEOUTS["consumer_heartbeat_ms"]),
            "PROGADMIN_CONSUMER_POLL_MS": str(TEST_TIMEOUTS["consumer_poll_ms"]),
            "PROGADMIN_RELAY_POLL_MS": str(TEST_TIMEOUTS["relay_poll_ms"]),
        })
        return env


@pytest.fixture
def platform(pg_server: PostgresServer, kafka: KafkaBroker, db_templates: dict[str, str]) -> Platform:
    return Platform(pg_server, kafka, db_templates)


def db_platform(pg_server: PostgresServer, db_templates: dict[str, str]) -> Platform:
    """A platform with PostgreSQL and no Kafka (its broker is unreachable), for fixtures of any scope."""
    no_kafka = KafkaBroker(Path("/nonexistent"), port=1, controller_port=1)
    return Platform(pg_server, no_kafka, db_templates)


@pytest.fixture
def db_only(pg_server: PostgresServer, db_templates: dict[str, str]) -> Platform:
    """A platform whose tests need PostgreSQL but not Kafka (API tests)."""
    return db_platform(pg_server, db_templates)


# The whole platform at one origin for browser and end-to-end tests (started once per run, when asked for).
from tests.browser.live import live  # noqa: E402, F401
