"""py-spy of one gunicorn worker serving company registrations (bench.profile_http --gunicorn N).

The worker runs as deployed (deploy/gunicorn.conf.py: threaded, keep-alive), one worker so every request
lands in the sampled process. `py-spy record --gil` samples only the thread holding the GIL, so the shares
are shares of the worker's CPU (what bounds its throughput when the cores are busy); waits on PostgreSQL do
not appear. The worker's CPU per write comes from /proc (utime + stime) over the same writes.
"""

from __future__ import annotations

import collections
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench.platform import PROFILES, company_body, pct
from services.common.auth import mint
from services.common.config import Settings

ROOT = Path(__file__).resolve().parents[1]
_SITE = re.compile(r" \((?:.*?/site-packages/|.*?/lib/python3\.\d+/|" + re.escape(str(ROOT)) + "/)")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _group(stack: str) -> str:
    """The layer a sample's CPU belongs to, innermost first."""
    if re.search(r"[(/]psycopg(_pool)?/", stack):
        return "database driver (psycopg: sending statements, reading results)"
    if "Flask.__call__" not in stack:
        return "gunicorn (sockets, HTTP parsing, thread pool)"
    leaf = stack.rsplit(";", 1)[-1]
    if re.search(r"[(/]services/", leaf):
        return "the services' own code (use case, idempotency, checks)"
    return "Flask, werkzeug, webargs, marshmallow, json (request and response handling)"


def summarise(raw: Path, top: int = 70) -> str:
    """py-spy's raw (collapsed) stacks -> share of samples per function, inclusive and own."""
    total = 0
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    groups: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        frames = [re.sub(r":\d+\)$", ")", _SITE.sub(" (", f)) for f in stack.split(";")]
        total += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
        own[frames[-1]] += int(count)
        groups[_group(stack)] += int(count)
    lines = [f"{total} samples (py-spy --gil: CPU of the worker only)", "", "by layer (each sample once):"]
    lines += [f"{100 * c / total:5.1f}%  {name}" for name, c in groups.most_common()]
    lines += ["", "inclusive:"]
    lines += [f"{100 * c / total:5.1f}%  {name}" for name, c in inclusive.most_common(top)]
    lines += ["", "own:"] + [f"{100 * c / total:5.1f}%  {name}" for name, c in own.most_common(top // 2)]
    return "\n".join(lines) + "\n"


def profile_worker(work: Path, database_url: str, settings: Settings, writes: int) -> None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print("py-spy is not installed (pip install -e .[dev]): gunicorn profile skipped")
        return
    from deploy.infra import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROGADMIN_")}
    env.update(PROGADMIN_ENV="test", PROGADMIN_ENROLMENT_DATABASE_URL=database_url,
               PROGADMIN_KAFKA_BOOTSTRAP="127.0.0.1:1", PROGADMIN_LOG_LEVEL="WARNING")
    log = open(work / "gunicorn.log", "wb")  # noqa: SIM115 (closed below)
    web = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "--config",
                            str(ROOT / "deploy" / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}", "--workers",
                            "1", "services.enrolment.app:create_app()"], cwd=ROOT, env=env, stdout=log,
                           stderr=subprocess.STDOUT)
    token = mint(settings, "bench", ["fund_admin"], [])
    conn: http.client.HTTPConnection | None = None
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("GET", "/livez")
                conn.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline or web.poll() is not None:
                    raise RuntimeError((work / "gunicorn.log").read_text()[-2000:]) from None
                time.sleep(0.2)
        worker = int(Path(f"/proc/{web.pid}/task/{web.pid}/children").read_text().split()[0])

        def post(n: int) -> float:
            assert conn is not None
            started = time.perf_counter()
            conn.request("POST", "/api/v1/companies", body=json.dumps(company_body(n)), headers={
                "Content-Type": "application/json", "Authorization": f"Bearer {token}",
                "Idempotency-Key": str(uuid.uuid4())})
            answer = conn.getresponse()
            answer.read()
            assert answer.status == 201, answer.status
            return (time.perf_counter() - started) * 1000

        for i in range(50):  # warm up: prepared statements, pool, caches
            post(i)
        raw = work / "py-spy.txt"
        sampler = subprocess.Popen([spy, "record", "--pid", str(worker), "--gil", "--rate", "250", "--format", "raw",
                                    "--output", str(raw)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)  # py-spy attached
        before = _cpu_seconds(worker)
        times = [post(i) for i in range(writes)]
        cpu_ms = 1000 * (_cpu_seconds(worker) - before) / writes
        sampler.send_signal(signal.SIGINT)
        sampler.wait(60)
        head = (f"gunicorn (deploy/gunicorn.conf.py, 1 worker), {writes} company registrations from one client on a"
                f" keep-alive connection: p50 {pct(times, 50):.1f} ms, p99 {pct(times, 99):.1f} ms;"
                f" worker CPU {cpu_ms:.2f} ms per write; load average {os.getloadavg()[0]:.1f}\n\n")
        out = PROFILES / "http_gunicorn_company.txt"
        out.write_text(head + (summarise(raw) if raw.exists() else "py-spy wrote nothing\n"))
        print(head.strip())
        print(f"gunicorn worker profile in {out}")
    finally:
        if conn is not None:
            conn.close()
        web.terminate()
        web.wait(30)
        log.close()
