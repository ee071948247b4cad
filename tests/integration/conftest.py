"""Fixtures that tests of more than one service's folder use: a real SMTP server, the notifications service
under test (tests/integration/notifications/conftest.py builds it), and the sessions app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from services.sessions.app import create_app as create_sessions_app
from tests.conftest import Platform
from tests.integration.notifications.conftest import Notifier, SmtpServer, make_notifier


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def notifier(db_only: Platform, smtp: SmtpServer) -> Iterator[Notifier]:
    n = make_notifier(db_only, smtp)
    try:
        yield n
    finally:
        n.close()


@pytest.fixture
def sessions_app(db_only: Platform) -> Iterator[Flask]:
    app = create_sessions_app(db_only.settings("sessions"))
    yield app
    app.config["POOL"].close()
