"""The platform as real processes: four gunicorn webs, the workers, the SMTP sink, and a supervisor.

The supervisor restarts a worker that died (as the local stack's supervisor
does, here after one second), so a SIGKILL is a crash the platform must
recover from, not a process left dead. A service may run several workers in
its consumer group (`workers`), as a scaled-out deployment does.

`start_servers` starts the servers underneath: a PostgreSQL and either one
Kafka broker or a KRaft cluster (`brokers=3`: topics replicated three times,
`min.insync.replicas=2`, so a broker may die without losing an acknowledged
record), migrated and with the topics created.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

# ROOT and GUNICORN stay importable from here (bench/national.py uses them).
from bench.webs import DEPLOYED_CONFIG, gunicorn_argv, wait_live
from bench.webs import GUNICORN as GUNICORN
from bench.webs import ROOT as ROOT
from deploy.infra import KafkaBroker, KafkaCluster, PostgresServer, free_port
from services.common import broker
from services.common.config import SERVICES, Settings
from services.common.migrate import apply_migrations

RESTART_AFTER_S = 1.0
# Short consumer timeouts, so a group fails over in seconds after a worker is killed (as in tests).
FAST_GROUPS = {"PROGADMIN_CONSUMER_SESSION_TIMEOUT_MS": "3000", "PROGADMIN_CONSUMER_HEARTBEAT_MS": "500",
               "PROGADMIN_CONSUMER_POLL_MS": "200", "PROGADMIN_RELAY_POLL_MS": "100",
               "PROGADMIN_RELAY_SEND_TIMEOUT_MS": "5000", "PROGADMIN_CONSUMER_RETRY_BACKOFF_MS": "50",
               "PROGADMIN_CONSUMER_MAX_ATTEMPTS": "3", "PROGADMIN_TOPIC_PARTITIONS": "3"}


@dataclass
class Servers:
    pg: PostgresServer
    kafka: KafkaBroker | KafkaCluster
    env: dict[str, str]  # the services' environment: databases, bootstrap, topic layout, fast groups
    settings: Settings  # enrolment's: bootstrap and topic names for the checks

    def stop(self) -> None:
        self.kafka.stop()
        self.pg.stop()


def start_servers(work: Path, brokers: int = 1, partitions: int = 3) -> Servers:
    """PostgreSQL and Kafka of their own under `work`, migrated, topics created; raises when one cannot start.

    Not under pytest's tmp_path: its parent is 0700, and PostgreSQL runs as the postgres user.
    """
    pg = PostgresServer(work / "pg", free_port())
    kafka: KafkaBroker | KafkaCluster
    if brokers == 1:
        kafka = KafkaBroker(work / "kafka", free_port(), free_port(), min_session_timeout_ms=500,
                            default_partitions=partitions)
    else:
        kafka = KafkaCluster(work / "kafka", brokers, min_session_timeout_ms=500, default_partitions=partitions)
    replication = min(3, brokers)
    try:
        pg.start(fast=True)
        kafka.start(timeout=180)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROGADMIN_")}
        env.update(FAST_GROUPS, PROGADMIN_ENV="test", PROGADMIN_KAFKA_BOOTSTRAP=kafka.bootstrap,
                   PROGADMIN_TOPIC_PARTITIONS=str(partitions), PROGADMIN_TOPIC_REPLICATION=str(replication))
        for service in SERVICES:
            url = pg.ensure_service_database(service, "faults")
            apply_migrations(url, service)
            env[f"PROGADMIN_{service.upper()}_DATABASE_URL"] = url
        settings = Settings.from_env("enrolment", env="test", database_url=env["PROGADMIN_ENROLMENT_DATABASE_URL"],
                                     kafka_bootstrap=kafka.bootstrap, topic_partitions=partitions,
                                     topic_replication=replication)
        broker.ensure_topics(settings)
        if isinstance(kafka, KafkaCluster):
            for topic in broker.all_topics(settings):
                kafka.wait_in_sync(topic, timeout=60)
    except BaseException:
        kafka.stop()
        pg.stop()
        raise
    return Servers(pg, kafka, env, settings)


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
    workers: dict[str, int] = field(default_factory=dict)  # service -> worker processes (1 when absent)
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
        # The deployed gunicorn settings (threaded workers, keep-alive), as the image and the local stack run them.
        self._spawn(f"{service}-web", gunicorn_argv(service, port, self.logdir / f"{service}.ctl",
                                                    "--config", str(DEPLOYED_CONFIG)))
        self.urls[service] = f"http://127.0.0.1:{port}"

    def _wait_web(self, service: str) -> None:
        wait_live(self.urls[service], self.procs[f"{service}-web"], self.logdir / f"{service}-web.log", 60)

    def worker_names(self, service: str) -> list[str]:
        """The first is `<service>-worker`, further ones `<service>-worker-2`, ... (one consumer group)."""
        n = self.workers.get(service, 1)
        return [f"{service}-worker"] + [f"{service}-worker-{i}" for i in range(2, n + 1)]

    def _worker(self, name: str, service: str) -> None:
        self._spawn(name, [sys.executable, "-m", f"services.{service}.worker"])

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
            for name in self.worker_names(service):
                self._worker(name, service)
        self._supervisor = threading.Thread(target=self._supervise, name="supervisor", daemon=True)
        self._supervisor.start()

    def _supervise(self) -> None:
        died: dict[str, float] = {}
        while not self._stop.wait(0.2):
            for service in SERVICES:
                for name in self.worker_names(service):
                    with self._lock:
                        if self.procs[name].poll() is None:
                            continue
                        since = died.setdefault(name, time.monotonic())
                        if time.monotonic() - since >= RESTART_AFTER_S:
                            died.pop(name)
                            self.restarts[name] = self.restarts.get(name, 0) + 1
                            self._worker(name, service)

    def kill_worker(self, service: str, index: int = 0) -> None:
        """SIGKILL a worker, as the kernel's OOM killer or a lost node would; the supervisor restarts it."""
        with self._lock:
            proc = self.procs[self.worker_names(service)[index]]
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
