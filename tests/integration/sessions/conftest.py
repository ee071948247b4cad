from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from services.sessions.app import create_app
from tests.conftest import Platform
from tests.integration.sessions.world import World


@pytest.fixture
def app(db_only: Platform) -> Iterator[Flask]:
    app = create_app(db_only.settings("sessions"))
    yield app
    app.config["POOL"].close()


@pytest.fixture
def world(app: Flask) -> World:
    return World(app)
