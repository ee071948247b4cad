"""The platform as real processes: four gunicorn webs, four workers, the SMTP sink, and a supervisor.

The supervisor restarts a worker that died (as the local stack's supervisor
does, here after one second), so a SIGKILL is a crash the platform must
recover from, not a process left dead.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from deploy.infra import free_port
from services.common.config import SERVICES

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
RESTART_AFTER_S = 1.0


def suite_env(base: dict[str, str], mail_dir: Path, smtp_port: int) -> dict[str, str]:
    """The services' environment for the suite: its SMTP sink, fast sender, short mail lease."""
    return {
        **base,
        "PROGADMIN_SMTP_HOST": "127.0.0.1", "PROGADMIN_SMTP_PORT": str(smtp_port),
        "PROGADMIN_SMTP_WEB_PORT": str(free_port()), "PROGADMIN_SMTP_SINK_DIR": str(mail_dir),
        "PROGADMIN_MAIL_SENDER_POLL_MS": "200", "PROGADMIN_MAIL_RETRY_BASE_SECONDS": "1",
        # A sender killed mid-send leaves its rows in `sending`; they return to the queue after the lease.
        "PROGADMIN_MAIL_SENDING_LEASE_SECONDS": "10",
        "PROGADMIN_SESSIONS_CHECK_INTERVAL_S": "5", "PROGADMIN_REPORTING_WEBHOOK_POLL_MS": "200",
        "PROGADMIN_DB_POOL_MAX": "6",
    }


@dataclass
class Stack:
    env: dict[str, str]
    logdir: Path
    mail_dir: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _supervisor: threading.Thread | None = None

    def _spawn(self, name: str, argv: list[str]) -> None:
        with open(self.logdir / f"{name}.log", "ab") as log:
            self.procs[name] = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                                start_new_session=True)

    def _web(self, service: str) -> None:
        port = free_port()
        self._spawn(f"{service}-web", [GUNICORN, "--bind", f"127.0.0.1:{port}", "--workers", "2",
                                       "--control-socket", str(self.logdir / f"{service}.ctl"),
                                       f"services.{service}.app:create_app()"])
        self.urls[service] = f"http://127.0.0.1:{port}"

    def _wait_web(self, service: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.urls[service]}/livez", timeout=1):
                    return
            except OSError:
                if self.procs[f"{service}-web"].poll() is not None:
                    break
                time.sleep(0.2)
        raise RuntimeError(f"{service} web did not come up:\n{self.log(f'{service}-web')}")

    def _worker(self, service: str) -> None:
        self._spawn(f"{service}-worker", [sys.executable, "-m", f"services.{service}.worker"])

    def start(self) -> None:
        self.logdir.mkdir(parents=True, exist_ok=True)
        self._spawn("smtp-sink", [sys.executable, "-m", "services.notifications.smtp_sink"])
        for service in SERVICES:
            self._web(service)
        for service in SERVICES:
            self._wait_web(service)
        # Links in mails point at the services' public URLs: the workers must know them.
        self.env = {**self.env, **{f"PROGADMIN_{s.upper()}_PUBLIC_URL": u for s, u in self.urls.items()}}
        for service in SERVICES:
            self._worker(service)
        self._supervisor = threading.Thread(target=self._supervise, name="supervisor", daemon=True)
        self._supervisor.start()

    def _supervise(self) -> None:
        died: dict[str, float] = {}
        while not self._stop.wait(0.2):
            for service in SERVICES:
                name = f"{service}-worker"
                with self._lock:
                    if self.procs[name].poll() is None:
                        continue
                    since = died.setdefault(name, time.monotonic())
                    if time.monotonic() - since >= RESTART_AFTER_S:
                        died.pop(name)
                        self.restarts[name] = self.restarts.get(name, 0) + 1
                        self._worker(service)

    def kill_worker(self, service: str) -> None:
        """SIGKILL a worker, as the kernel's OOM killer or a lost node would; the supervisor restarts it."""
        with self._lock:
            proc = self.procs[f"{service}-worker"]
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def log(self, name: str) -> str:
        path = self.logdir / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        self._stop.set()
        if self._supervisor is not None:
            self._supervisor.join(5)
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
