"""Fixtures for enrolment's API tests: one app per module on a real database (PostgreSQL only)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from deploy.infra import PostgresServer
from services.enrolment.app import create_app
from tests.conftest import db_platform
from tests.integration.enrolment.support import Api


@pytest.fixture(scope="module")
def module_app(pg_server: PostgresServer, db_templates: dict[str, str]) -> Iterator[Flask]:
    """One app and database for a module's API tests (PostgreSQL only; Kafka deliberately unreachable)."""
    platform = db_platform(pg_server, db_templates)
    app = create_app(platform.settings("enrolment"))
    yield app
    app.config["POOL"].close()


@pytest.fixture
def api(module_app: Flask) -> Api:
    return Api(module_app, module_app.test_client())
