"""Fixtures that tests of more than one service's folder use: a real SMTP server, the notifications service
under test (tests/integration/notifications/conftest.py builds it), and the sessions app.

The services are imported inside the fixtures: every integration test loads this file, and one service's
half-finished change must not stop the other services' tests from being collected.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from flask import Flask

from tests.conftest import Platform

if TYPE_CHECKING:
    from tests.integration.notifications.conftest import Notifier, SmtpServer


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    from tests.integration.notifications.conftest import SmtpServer

    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def notifier(db_only: Platform, smtp: SmtpServer) -> Iterator[Notifier]:
    from tests.integration.notifications.conftest import make_notifier

    n = make_notifier(db_only, smtp)
    try:
        yield n
    finally:
        n.close()


@pytest.fixture
def sessions_app(db_only: Platform) -> Iterator[Flask]:
    from services.sessions.app import create_app

    app = create_app(db_only.settings("sessions"))
    yield app
    app.config["POOL"].close()
