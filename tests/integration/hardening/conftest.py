"""One app per service on its own real database (PostgreSQL only), shared by a module's tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from deploy.infra import KafkaBroker, PostgresServer
from services.common.config import SERVICES, Settings
from tests.conftest import Platform
from tests.support import bearer

EVERY_ROLE = ("fund_admin", "coordinator", "facilitator", "reporting_consumer")


@dataclass
class Service:
    name: str
    app: Flask
    client: FlaskClient

    @property
    def settings(self) -> Settings:
        settings: Settings = self.app.config["SETTINGS"]
        return settings

    def headers(self, *roles: str, regions: list[str] | None = None) -> dict[str, Any]:
        """A token with the given roles (default: every role, so only input handling can refuse)."""
        return bearer(self.settings, *(roles or EVERY_ROLE), regions=regions or ["Noord"])


@pytest.fixture(scope="module")
def services(pg_server: PostgresServer, db_templates: dict[str, str]) -> Iterator[dict[str, Service]]:
    platform = Platform(pg_server, KafkaBroker(Path("/nonexistent"), port=1, controller_port=1), db_templates)
    apps = {name: import_module(f"services.{name}.app").create_app(platform.settings(name)) for name in SERVICES}
    yield {name: Service(name, app, app.test_client()) for name, app in apps.items()}
    for app in apps.values():
        app.config["POOL"].close()
