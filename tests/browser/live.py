"""The whole platform for browser tests: real processes behind nginx at one origin, signed in through Keycloak.

`live` (session scope, started once per run when a test asks for it) runs
PostgreSQL, Kafka and Keycloak (the harness's), four gunicorn web processes,
four workers, the SMTP sink and nginx. Tests share it, so each test makes
its own data (a programme, companies with unique names) and never counts
what others made.

`sign_in(page, live, "coordinator-noord")` goes through Keycloak's real login
page, as a person would.
"""

from __future__ import annotations

import email
import email.policy
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from deploy.identity import KeycloakServer
from deploy.infra import free_port
from deploy.proxy import Proxy
from deploy.stack_model import http_status
from services.common.config import SERVICES, Settings
from tests.conftest import Platform
from tests.e2e.processes import Processes, call
from tests.support import bearer, wait_until


@dataclass
class Live:
    origin: str
    platform: Platform
    keycloak: KeycloakServer
    procs: Processes
    mail_dir: Path

    def settings(self, service: str) -> Settings:
        return self.platform.settings(service)

    def api(self, service: str, path: str, token_headers: dict[str, str], body: Any = None,
            method: str | None = None) -> tuple[int, Any]:
        """Call a service's API through the origin (`/api/<service>/v1/...`)."""
        return call(f"{self.origin}/api/{service}/v1{path}", token_headers, body, method)

    def dev_token(self, *roles: str, regions: list[str] | None = None, sub: str = "tester") -> dict[str, str]:
        return bearer(self.settings("enrolment"), *roles, regions=regions, sub=sub)

    def mails(self, to: str | None = None) -> list[EmailMessage]:
        """Every mail the platform sent so far (to `to`, when given)."""
        found = []
        for path in sorted(self.mail_dir.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            if to is None or to.lower() in str(message["To"]).lower():
                found.append(message)
        return found


@pytest.fixture(scope="session")
def live(pg_server: Any, kafka: Any, db_templates: dict[str, str], keycloak: KeycloakServer, origin_port: int,
         workdir: Path) -> Iterator[Live]:
    platform = Platform(pg_server, kafka, db_templates, prefix=f"live{uuid.uuid4().hex[:8]}.")
    platform.create_topics()
    origin = f"http://127.0.0.1:{origin_port}"
    logdir = workdir / "live"
    logdir.mkdir(exist_ok=True)
    mail_dir = logdir / "mail"
    smtp_port, smtp_web = free_port(), free_port()
    env = {
        **platform.env(), **keycloak.settings_env(),
        "PROGADMIN_ORIGIN": origin,
        **{f"PROGADMIN_{svc.upper()}_PUBLIC_URL": f"{origin}/{svc}" for svc in SERVICES},
        "PROGADMIN_SMTP_PORT": str(smtp_port), "PROGADMIN_SMTP_WEB_PORT": str(smtp_web),
        "PROGADMIN_SMTP_SINK_DIR": str(mail_dir), "PROGADMIN_MAIL_SENDER_POLL_MS": "100",
        "PROGADMIN_SESSIONS_CHECK_INTERVAL_S": "2",
    }
    procs = Processes(env, logdir)
    proxy: Proxy | None = None
    try:
        procs._spawn("smtp-sink", [sys.executable, "-m", "services.notifications.smtp_sink"])
        for service in SERVICES:
            procs.web(service)
            procs.worker(service)
        ports = {svc: int(procs.urls[svc].rsplit(":", 1)[1]) for svc in SERVICES}
        proxy = Proxy(origin_port, ports, logdir / "nginx")
        procs._spawn("nginx", proxy.argv())
        try:
            wait_until(lambda: http_status(f"{origin}/enrolment/livez") == 200, 20, what="nginx at the origin")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nnginx said:\n{procs.log('nginx')}") from exc
        yield Live(origin, platform, keycloak, procs, mail_dir)
    finally:
        procs.stop()
        if proxy is not None:
            proxy.cleanup()


def sign_in(page: Page, live: Live, username: str, next_path: str = "/") -> None:
    """Sign in through Keycloak's own login page; ends on `next_path` at the origin."""
    page.goto(f"{live.origin}/auth/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", live.keycloak.demo_password)
    page.click("#kc-login")
    page.wait_for_url(f"{live.origin}/**")
