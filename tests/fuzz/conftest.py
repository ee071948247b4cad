"""The fuzzer's apps: every service on its own fresh test database, called in-process over WSGI."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import pytest
from flask import Flask

from deploy.infra import PostgresServer
from services.common.config import SERVICES
from tests.conftest import db_platform
from tests.fuzz.targets import SWITCHBOARDS, TALLY
from tests.support import bearer


@dataclass
class FuzzApps:
    apps: dict[str, Flask]
    headers: dict[str, str]  # a fund administrator's bearer token (the same secret in every service)


@pytest.fixture(scope="session")
def fuzz_apps(pg_server: PostgresServer, db_templates: dict[str, str]) -> Iterator[FuzzApps]:
    """The four apps on fresh databases (PostgreSQL only: the outbox keeps events while Kafka is absent)."""
    platform = db_platform(pg_server, db_templates)
    apps: dict[str, Flask] = {name: import_module(f"services.{name}.app").create_app(platform.settings(name))
                              for name in SERVICES}
    for name, app in apps.items():
        SWITCHBOARDS[name].target = app
        SWITCHBOARDS[name].counting = True
    yield FuzzApps(apps, bearer(apps["enrolment"].config["SETTINGS"], "fund_admin", sub="fuzz-admin"))
    for name, app in apps.items():
        SWITCHBOARDS[name].target = None
        app.config["POOL"].close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """`fuzz: <service> N requests, K 5xx` per service that was fuzzed in this run."""
    for service in SERVICES:
        if TALLY.requests[service]:
            terminalreporter.write_line(f"fuzz: {service} {TALLY.requests[service]} requests, "
                                        f"{TALLY.server_errors[service]} 5xx")
            for example in TALLY.examples.get(service, []):
                terminalreporter.write_line(f"  5xx: {example}")
