"""Fixtures for enrolment's API tests: one app per module on a real database (PostgreSQL only)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from deploy.infra import KafkaBroker, PostgresServer
from services.enrolment.app import create_app
from tests.conftest import Platform
from tests.integration.enrolment.support import Api


@pytest.fixture(scope="module")
def module_app(pg_server: PostgresServer, db_templates: dict[str, str]) -> Iterator[Flask]:
    """One app and database for a module's API tests (PostgreSQL only; Kafka deliberately unreachable)."""
    platform = Platform(pg_server, KafkaBroker(Path("/nonexistent"), port=1, controller_port=1), db_templates)
    app = create_app(platform.settings("enrolment"))
    yield app
    app.config["POOL"].close()


@pytest.fixture
def api(module_app: Flask) -> Api:
    return Api(module_app, module_app.test_client())
