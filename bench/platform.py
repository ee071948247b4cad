"""The whole platform for a benchmark run: PostgreSQL, Kafka, four gunicorn webs, four workers.

Reuses deploy.infra for the servers and bench.faults.stack for the processes
(the fault suite starts the platform the same way). The mail goes to an SMTP
sink inside the benchmark process, which timestamps each message as it is
accepted. Everything lives in a temporary folder that is removed afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bench.faults.stack import Stack, suite_env
from deploy.http_client import exchange
from deploy.infra import KafkaBroker, PostgresServer, free_port
from services.common import broker
from services.common.auth import mint
from services.common.config import SERVICES, Settings
from services.common.migrate import apply_migrations

RESULTS = Path(__file__).resolve().parent / "results"
PROFILES = Path(__file__).resolve().parent / "profiles"
REGION = "Noord"


class TimedSink:
    """aiosmtpd handler: records (monotonic time, recipients) of every accepted message."""

    def __init__(self) -> None:
        self.accepted: dict[str, float] = {}  # recipient -> first acceptance
        self.count = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        now = time.monotonic()
        with self._lock:
            self.count += 1
            for rcpt in envelope.rcpt_tos:
                self.accepted.setdefault(str(rcpt).lower(), now)
        return "250 Message accepted for delivery"


@dataclass
class Http:
    """Plain urllib calls with a development token; one request, one connection (gunicorn sync workers)."""

    urls: dict[str, str]
    token: str

    def call(self, method: str, service: str, path: str, body: Any = None, key: str | None = None,
             timeout: float = 30) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if key:
            headers["Idempotency-Key"] = key
        answer = exchange(method, f"{self.urls[service]}/api/v1{path}", body, headers, timeout)
        return answer.status, answer.body

    def must(self, method: str, service: str, path: str, body: Any = None, key: str | None = None) -> Any:
        status, answer = self.call(method, service, path, body, key or str(uuid.uuid4()))
        if not 200 <= status < 300:
            raise RuntimeError(f"{method} {service}{path}: {status} {answer!r}")
        return answer


@dataclass
class Platform:
    work: Path
    pg: PostgresServer
    kafka: KafkaBroker
    db_urls: dict[str, str]
    stack: Stack
    sink: TimedSink
    http: Http
    settings: Settings  # enrolment's, for bootstrap and topic names
    extra: dict[str, Any] = field(default_factory=dict)

    def new_programme(self, max_delegates: int = 100) -> str:
        today = date.today()
        programme = self.http.must("POST", "enrolment", "/programmes", {
            "name": f"Benchmark {uuid.uuid4().hex[:8]}", "regions": [REGION],
            "max_delegates_per_company": max_delegates, "planned_sessions": {"dialogue": 1},
            "reminder_hours_before": 48, "period_start": (today - timedelta(days=30)).isoformat(),
            "period_end": (today + timedelta(days=300)).isoformat()})
        self.http.must("POST", "enrolment", f"/programmes/{programme['id']}/opening", {})
        return str(programme["id"])

    def new_company(self, n: int, director: str | None = None) -> str:
        company = self.http.must("POST", "enrolment", "/companies", company_body(n, director))
        return str(company["id"])

    def enrol(self, company_id: str, programme_id: str) -> str:
        enrolment = self.http.must("POST", "enrolment", "/enrolments",
                                   {"company_id": company_id, "programme_id": programme_id})
        return str(enrolment["id"])

    def admit(self, enrolment_id: str) -> None:
        path = f"/enrolments/{enrolment_id}"
        intake = self.http.must("POST", "enrolment", f"{path}/intakes", intake_body())
        self.http.must("POST", "enrolment", f"{path}/intakes/{intake['id']}/outcome", {
            "held_on": date.today().isoformat(), "interviewee_role": "director", "interviewer": "Projectleider",
            "commitments": dict.fromkeys(("director_attends_kickoff_and_closing", "staff_time_released",
                                          "managers_delegated", "internal_follow_up_owner"), True),
            "assessed_level": 3})
        self.http.must("POST", "enrolment", f"{path}/admission", {})

    def pids(self) -> dict[str, list[int]]:
        """Every process of the platform: name -> pids (a gunicorn web is its master and its workers)."""
        out: dict[str, list[int]] = {}
        for name, proc in self.stack.procs.items():
            if proc.poll() is not None:
                continue
            pids = [proc.pid]
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
                pids += [int(c) for c in children]
            out[name] = pids
        return out


_kvk = iter(range(int(time.time()) % 1_000_000 * 100, 10**9))


def company_body(n: int, director: str | None = None) -> dict[str, Any]:
    email = director or f"directie.{uuid.uuid4().hex[:12]}@bedrijf.example"
    return {"name": f"Bouwbedrijf {n}", "kvk_number": f"{next(_kvk) % 10**8:08d}", "region": REGION,
            "directors": [{"name": f"Directeur {n}", "email": email, "language": "nl"}]}


def intake_body() -> dict[str, Any]:
    return {"scheduled_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(), "location": "Op kantoor"}


def delegate_body(n: int) -> dict[str, Any]:
    return {"name": f"Deelnemer {n}", "email": f"deelnemer.{uuid.uuid4().hex[:12]}@bedrijf.example", "language": "nl",
            "job_level": "manager"}


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"date": datetime.now(UTC).isoformat(timespec="seconds"), "cores": os.cpu_count(), "cpu": cpu,
            "python": platform.python_version(), "load_at_start": [round(x, 2) for x in load]}


def write_results(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"benchmark": name, "machine": machine(), **data}, indent=2, default=str) + "\n")
    print(f"results written to {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return path


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def start_servers(work: Path, partitions: int = 6) -> tuple[PostgresServer, KafkaBroker]:
    pg = PostgresServer(work / "pg", free_port())
    kafka = KafkaBroker(work / "kafka", free_port(), free_port(), default_partitions=partitions)
    pg.start(fast=True)
    kafka.start()
    return pg, kafka


@contextlib.contextmanager
def running(env_overrides: dict[str, str] | None = None, keep: bool = False) -> Iterator[Platform]:
    """Start everything, yield the platform, stop everything (also on Ctrl-C)."""
    work = Path(tempfile.mkdtemp(prefix="progadmin-bench-"))
    pg, kafka = start_servers(work)
    stack: Stack | None = None
    controller: Controller | None = None
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROGADMIN_")}
        env.update(PROGADMIN_ENV="test", PROGADMIN_KAFKA_BOOTSTRAP=kafka.bootstrap, PROGADMIN_LOG_LEVEL="WARNING")
        db_urls = {}
        for service in SERVICES:
            url = pg.ensure_service_database(service, "bench")
            apply_migrations(url, service)
            env[f"PROGADMIN_{service.upper()}_DATABASE_URL"] = db_urls[service] = url
        settings = Settings.from_env("enrolment", env="test", database_url=db_urls["enrolment"],
                                     kafka_bootstrap=kafka.bootstrap)
        broker.ensure_topics(settings)
        sink = TimedSink()
        smtp_port = free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        env = suite_env(env, work / "mail", free_port())  # the stack's own sink listens on a port nobody uses
        # The platform's defaults, not the fault suite's short intervals: what is measured is what ships.
        for name in ("PROGADMIN_MAIL_SENDER_POLL_MS", "PROGADMIN_REPORTING_WEBHOOK_POLL_MS",
                     "PROGADMIN_MAIL_SENDING_LEASE_SECONDS", "PROGADMIN_MAIL_RETRY_BASE_SECONDS"):
            env.pop(name, None)
        env["PROGADMIN_SMTP_PORT"] = str(smtp_port)
        env["PROGADMIN_DB_POOL_MAX"] = "10"
        env.update(env_overrides or {})
        stack = Stack(env, work / "logs", work / "mail")
        stack.start()
        http = Http(stack.urls, mint(settings, "bench", ["fund_admin"], [], ttl_seconds=6 * 3600))
        yield Platform(work, pg, kafka, db_urls, stack, sink, http, settings)
    finally:
        if stack is not None:
            stack.stop()
        if controller is not None:
            controller.stop()
        kafka.stop()
        pg.stop()
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def peak_rss_self_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def git_head() -> str:
    """The commit measured: PROGADMIN_BENCH_COMMIT when run from an exported tree, else the checkout's HEAD."""
    if os.environ.get("PROGADMIN_BENCH_COMMIT"):
        return os.environ["PROGADMIN_BENCH_COMMIT"]
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[1], check=False).stdout.strip()
    except OSError:
        return "?"
