"""Reporting's test databases: an empty one per test (in a transaction that is rolled back), and one per
module holding the whole scripted programme, projected and sequenced, for tests that only read it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from psycopg.rows import dict_row

from services.common.config import Settings
from services.reporting.app import create_app
from tests.conftest import Platform, db_platform
from tests.integration.reporting.scripted import build
from tests.integration.reporting.support import feed_all


@pytest.fixture
def reporting_settings(db_only: Platform) -> Settings:
    return db_only.settings("reporting")


@pytest.fixture
def conn(reporting_settings: Settings) -> Iterator[psycopg.Connection[Any]]:
    """A transaction that is rolled back: each test (and example) starts from empty projections."""
    with psycopg.connect(reporting_settings.database_url, row_factory=dict_row) as c:
        c.execute("BEGIN")
        yield c
        c.rollback()


@pytest.fixture(scope="module")
def scripted(pg_server: Any, db_templates: dict[str, str]) -> Settings:
    """Reporting on a database of the module's own with the scripted programme fed (read it, do not change it)."""
    settings = db_platform(pg_server, db_templates).settings("reporting")
    feed_all(settings, build().events)
    return settings


@pytest.fixture(scope="module")
def scripted_app(scripted: Settings) -> Iterator[Flask]:
    app = create_app(scripted)
    yield app
    app.config["POOL"].close()


@pytest.fixture
def client(scripted_app: Flask) -> FlaskClient:
    """A test client of the scripted programme's app."""
    return scripted_app.test_client()
