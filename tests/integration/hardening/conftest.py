"""One app per service on its own real database (PostgreSQL only), shared by a module's tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import pytest

from deploy.infra import PostgresServer
from services.common.config import SERVICES
from tests.conftest import db_platform
from tests.support import AppClient, bearer

EVERY_ROLE = ("fund_admin", "coordinator", "facilitator", "reporting_consumer")


@dataclass
class Service(AppClient):
    name: str = ""

    def headers(self, *roles: str, regions: list[str] | None = None) -> dict[str, Any]:
        """A token with the given roles (default: every role, so only input handling can refuse)."""
        return bearer(self.settings, *(roles or EVERY_ROLE), regions=regions or ["Noord"])


@pytest.fixture(scope="module")
def services(pg_server: PostgresServer, db_templates: dict[str, str]) -> Iterator[dict[str, Service]]:
    platform = db_platform(pg_server, db_templates)
    apps = {name: import_module(f"services.{name}.app").create_app(platform.settings(name)) for name in SERVICES}
    yield {name: Service(app, app.test_client(), name) for name, app in apps.items()}
    for app in apps.values():
        app.config["POOL"].close()
