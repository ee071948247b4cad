"""Start the platform's real processes (gunicorn apps, workers) for end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.webs import ROOT, gunicorn_argv, wait_live
from deploy.http_client import exchange
from deploy.infra import free_port


@dataclass
class Processes:
    env: dict[str, str]
    logdir: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

    def _spawn(self, name: str, argv: list[str]) -> None:
        with open(self.logdir / f"{name}.log", "wb") as log:
            self.procs[name] = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)

    def web(self, service: str) -> str:
        """Start the service's web and wait until it answers; its URL."""
        port = free_port()
        self._spawn(f"{service}-web", gunicorn_argv(service, port, self.logdir / f"{service}.ctl"))
        url = self.urls[service] = f"http://127.0.0.1:{port}"
        wait_live(url, self.procs[f"{service}-web"], self.logdir / f"{service}-web.log", 60)
        return url

    def mail_sink(self, folder: Path) -> int:
        """Start the SMTP sink as the local stack runs it, keeping each mail as a .eml file in `folder`.

        Processes started from now on send their mail to it (the sender polling often); returns its page's port.
        """
        page_port = free_port()
        self.env = {**self.env, "PROGADMIN_SMTP_PORT": str(free_port()), "PROGADMIN_SMTP_WEB_PORT": str(page_port),
                    "PROGADMIN_SMTP_SINK_DIR": str(folder), "PROGADMIN_MAIL_SENDER_POLL_MS": "100"}
        self._spawn("smtp-sink", [sys.executable, "-m", "services.notifications.smtp_sink"])
        return page_port

    def share_public_urls(self) -> None:
        """Links in mails (and enrolment's calls to the others) use the services' URLs: processes started from
        now on know those of the webs started so far."""
        self.env = {**self.env, **{f"PROGADMIN_{s.upper()}_PUBLIC_URL": u for s, u in self.urls.items()}}

    def worker(self, service: str) -> None:
        self._spawn(f"{service}-worker", [sys.executable, "-m", f"services.{service}.worker"])

    def log(self, name: str) -> str:
        path = self.logdir / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, 15)
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)


def call(url: str, headers: dict[str, str], body: dict[str, Any] | None = None, method: str | None = None,
         timeout: float = 20) -> tuple[int, Any]:
    """One JSON request to a running service: (status, parsed body or None). Errors are answers, not raises."""
    answer = exchange(method or ("POST" if body is not None else "GET"), url, body, headers, timeout)
    return answer.status, answer.body


def must(method: str, url: str, headers: dict[str, str], body: dict[str, Any] | None = None) -> Any:
    """The body of a 2xx answer; anything else fails the test with the service's problem."""
    status, answer = call(url, headers, body, method)
    assert 200 <= status < 300, f"{method} {url} -> {status}: {str(answer)[:2000]}"
    return answer


@contextlib.contextmanager
def started(env: dict[str, str], logdir: Path, web: tuple[str, ...] = (),
            workers: tuple[str, ...] = ()) -> Iterator[Processes]:
    """Start web processes (waiting until they answer), then workers; stop them all afterwards."""
    procs = Processes(env, logdir)
    try:
        for service in web:
            procs.web(service)
        for service in workers:
            procs.worker(service)
        yield procs
    finally:
        procs.stop()
