"""Benchmark 5 (issue 14), national scale: a programme of 10,000 companies, 100,000 participants, 20,000
sessions and 1,000,000 events, loaded, then the pages that read it timed through the real HTTP stack.

    .venv/bin/python -m bench.national [--scale 1] [--seed 14] [--samples 5] [--keep]

1. A PostgreSQL of its own, each service's database migrated by its real migrations.
2. `bench.national_data` generates the programme (seeded); `bench.national_load` COPYs it into each
   service's own tables (what is loaded how, and why that is faithful: that module's docstring).
   Load time and `pg_database_size` per service are recorded.
3. The enrolment, sessions and reporting webs run under gunicorn (two sync workers, as
   `bench/faults/stack.py` starts them) with a fund administrator's token (as `bench.platform`): the final
   report (JSON, the API's HTML, the page), the dashboard, the company list (first and last page), a
   regional calendar month and the pull feed's first, middle and last page are each asked for once cold
   and `--samples` times warm. Goal: each under 1 s.
4. The plans: PostgreSQL's auto_explain (ANALYZE, BUFFERS) is switched on, the webs restarted, each page
   asked for once, and the plans of every statement it ran are written to bench/results/national_plans.txt
   (one per distinct statement, with how often it ran); a sequential scan on a table of over 10,000 rows
   is flagged.

No Kafka and no workers: the pages only read, and the data is loaded as the workers would have left it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import psycopg

from bench import national_cpu
from bench.faults.stack import GUNICORN, ROOT
from bench.national_data import REGIONS, TODAY, Programme, generate
from bench.national_load import SERVICES, load
from bench.national_plans import Explainer, summarise
from bench.platform import RESULTS, git_head, machine, pct, write_results
from deploy.infra import PostgresServer, free_port
from services.common.auth import mint
from services.common.config import Settings
from services.common.migrate import apply_migrations
from services.reporting.settings import ReportingSettings

GOAL_S = 1.0
WEBS = ("enrolment", "sessions", "reporting")


@dataclass
class Webs:
    """The three reading webs under gunicorn, as the fault stack starts them."""

    env: dict[str, str]
    logdir: Path
    workers: int = 2
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        self.logdir.mkdir(parents=True, exist_ok=True)
        for service in WEBS:
            port = free_port()
            with open(self.logdir / f"{service}-web.log", "ab") as log:
                self.procs[service] = subprocess.Popen(
                    [GUNICORN, "--bind", f"127.0.0.1:{port}", "--workers", str(self.workers), "--timeout", "120",
                     f"services.{service}.app:create_app()"],
                    cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            self.urls[service] = f"http://127.0.0.1:{port}"
        for service in WEBS:
            self._wait(service)

    def _wait(self, service: str) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.urls[service]}/livez", timeout=2):
                    return
            except OSError:
                if self.procs[service].poll() is not None:
                    break
                time.sleep(0.2)
        log = (self.logdir / f"{service}-web.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{service} web did not come up:\n{log}")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()


@dataclass(frozen=True)
class Page:
    name: str
    service: str
    path: str
    accept: str = "application/json"


def pages(prog: Programme, feed_total: int, page_size: int = 100) -> list[Page]:
    p = prog.programme_id
    last_companies = max(1, -(-len(prog.companies) // 25))  # the company list shows 25 a page
    month = TODAY.date().replace(day=1).isoformat()
    return [
        Page("final report (JSON)", "reporting", f"/api/v1/programmes/{p}/final-report"),
        Page("final report (HTML, API)", "reporting", f"/api/v1/programmes/{p}/final-report?format=html",
             "text/html"),
        Page("final report page", "reporting", f"/final-report?programme={p}", "text/html"),
        # The session table's last page (200 a page): its sessions are found at the end of the date index.
        Page("final report page, last page", "reporting",
             f"/final-report?programme={p}&sessions_page={max(1, -(-len(prog.sessions) // 200))}", "text/html"),
        Page("dashboard", "reporting", f"/dashboard?programme={p}", "text/html"),
        Page("company list, first page", "enrolment", "/companies", "text/html"),
        Page("company list, last page", "enrolment", f"/companies?page={last_companies}", "text/html"),
        Page("company list API (100)", "enrolment", "/api/v1/companies?page_size=100"),
        Page(f"calendar month ({REGIONS[0]}, {month[:7]})", "sessions",
             f"/calendar?view=month&date={month}&region={REGIONS[0]}", "text/html"),
        Page("pull feed, first page", "reporting", f"/api/v1/feed?after=0&page_size={page_size}"),
        Page("pull feed, middle page", "reporting", f"/api/v1/feed?after={feed_total // 2}&page_size={page_size}"),
        Page("pull feed, last page", "reporting",
             f"/api/v1/feed?after={max(0, feed_total - page_size)}&page_size={page_size}"),
    ]


def fetch(url: str, token: str, accept: str, timeout: float = 120) -> tuple[float, int, int]:
    """(seconds, status, bytes) of one GET."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Accept": accept})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    return time.perf_counter() - started, status, len(body)


def time_pages(webs: Webs, token: str, todo: list[Page], samples: int,
               say: Callable[[str], None] = print) -> list[dict[str, Any]]:
    out = []
    for page in todo:
        url = webs.urls[page.service] + page.path
        cold, status, size = fetch(url, token, page.accept)
        if status != 200:
            raise RuntimeError(f"{page.name}: GET {page.path} answered {status}")
        warm = [fetch(url, token, page.accept)[0] for _ in range(samples)]
        p50 = pct(warm, 50)
        out.append({"page": page.name, "service": page.service, "path": page.path, "bytes": size,
                    "cold_s": round(cold, 3), "p50_s": round(p50, 3), "max_s": round(max(warm), 3),
                    "samples": samples, "goal_s": GOAL_S, "pass": max(warm) < GOAL_S})
        say(f"  {page.name}: cold {cold:.3f} s, p50 {p50:.3f} s, max {max(warm):.3f} s")
    return out


def sizes(pg: PostgresServer) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with psycopg.connect(pg.admin_url) as conn:
        for service in SERVICES:
            row = conn.execute("SELECT pg_database_size(%s)", (f"progadmin_{service}",)).fetchone()
            out[service] = {"bytes": int(row[0]) if row else 0, "mb": round(int(row[0]) / 2**20, 1) if row else 0}
    return out


def env_for(urls: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROGADMIN_")}
    env.update(PROGADMIN_ENV="test", PROGADMIN_LOG_LEVEL="WARNING", PROGADMIN_DB_POOL_MAX="4",
               PROGADMIN_KAFKA_BOOTSTRAP=f"127.0.0.1:{free_port()}")  # nothing listens: the webs only read
    for service, url in urls.items():
        env[f"PROGADMIN_{service.upper()}_DATABASE_URL"] = url
    return env


@contextlib.contextmanager
def database(keep: bool = False) -> Iterator[tuple[Path, PostgresServer, dict[str, str]]]:
    work = Path(tempfile.mkdtemp(prefix="progadmin-national-"))
    pg = PostgresServer(work / "pg", free_port())
    try:
        pg.start(fast=True, timeout=120)
        urls = {}
        for service in SERVICES:
            urls[service] = pg.ensure_service_database(service, "bench")
            apply_migrations(urls[service], service)
        yield work, pg, urls
    finally:
        pg.stop()
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(scale: float, seed: int, samples: int, keep: bool = False, plans_path: Path | None = None,
        quiet: bool = False, workers: int = 2) -> dict[str, Any]:
    """Generate, load, time and explain; returns the results (the command also prints and saves them)."""
    def say(text: str) -> None:
        if not quiet:
            print(text, flush=True)
    with database(keep) as (work, pg, urls):
        started = time.monotonic()
        prog = generate(scale, seed)
        generated_s = time.monotonic() - started
        say(f"generated {prog.counts} in {generated_s:.1f} s")
        reporting = ReportingSettings.from_env(env="test", database_url=urls["reporting"])
        loaded = load(prog, urls, reporting.reporting_pseudonym_secret, reporting.evaluation_min_group)
        events = loaded["reporting"]["rows"]["processed_events"]
        feed_total = loaded["reporting"]["rows"]["external_events"]
        load_s = sum(loaded[s]["seconds"] for s in ("enrolment", "sessions", "reporting"))
        say(f"loaded {events:,} events ({feed_total:,} public) in {load_s:.1f} s"
            f" + VACUUM ANALYZE {loaded['vacuum_analyze_seconds']} s")
        db_sizes = sizes(pg)
        env = env_for(urls)
        settings = Settings.from_env("enrolment", env="test", database_url=urls["enrolment"])
        token = mint(settings, "bench-national", ["fund_admin"], [], ttl_seconds=6 * 3600)
        todo = pages(prog, feed_total)
        webs = Webs(env, work / "logs", workers)
        load_before = os.getloadavg()  # the pages are timed on a machine others may share: say how busy it was
        try:
            webs.start()
            timings = time_pages(webs, token, todo, samples, say)
        finally:
            webs.stop()
        say("the report's steps in CPU seconds (bench.national_cpu):")
        cpu = national_cpu.split(urls["reporting"], uuid.UUID(prog.programme_id))
        if not quiet:
            national_cpu.print_split(cpu)
        explainer = Explainer(pg)
        explainer.enable()
        webs = Webs(env, work / "logs-explain", workers)
        try:
            webs.start()
            plans = {}
            for page in todo:
                url = webs.urls[page.service] + page.path
                plans[page.name] = explainer.capture(partial(fetch, url, token, page.accept))
        finally:
            webs.stop()
            explainer.disable()
    summary = summarise(plans, plans_path or RESULTS / "national_plans.txt", header=(
        f"bench.national --scale {scale:g} --seed {seed}: {prog.counts}, {events:,} events;"
        f" commit {git_head()}; {machine()['date']}"))
    for row in timings:
        row["plans"] = summary[row["page"]]
    return {"scale": scale, "seed": seed, "commit": git_head(), "counts": {**prog.counts, "events": events,
                                                                            "public_events": feed_total},
            "generate_s": round(generated_s, 2), "load": loaded, "load_s": round(load_s, 2),
            "database_sizes": db_sizes, "load_average_while_timing": [round(x, 2) for x in load_before],
            "pages": timings, "cpu_split": cpu}


def print_table(result: dict[str, Any]) -> None:
    counts = result["counts"]
    print(f"\nnational programme at scale {result['scale']:g}: {counts['companies']:,} companies,"
          f" {counts['participants']:,} participants, {counts['sessions']:,} sessions, {counts['events']:,} events"
          f" ({counts['public_events']:,} in the pull feed)")
    print(f"generated in {result['generate_s']} s, loaded in {result['load_s']} s"
          f" (+ VACUUM ANALYZE {result['load']['vacuum_analyze_seconds']} s)")
    print("database sizes: " + ", ".join(f"{s} {v['mb']} MB" for s, v in result["database_sizes"].items()))
    print(f"load average when the timing began: {result['load_average_while_timing']}")
    national_cpu.print_split(result["cpu_split"])
    print(f"\n{'page':44} {'cold s':>7} {'p50 s':>7} {'max s':>7} {'KB':>8}  goal  plans")
    for r in result["pages"]:
        plans = r["plans"]
        flag = f"{plans['statements']} stmts" + (f", seq scan on {', '.join(plans['big_seq_scans'])}"
                                                   if plans["big_seq_scans"] else ", no seq scan on a big table")
        print(f"{r['page']:44} {r['cold_s']:7.3f} {r['p50_s']:7.3f} {r['max_s']:7.3f} {r['bytes'] / 1024:8.0f}"
              f"  {'✔' if r['pass'] else '✘'} <1s  {flag}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.national", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1: 10k companies, 100k participants, 20k "
                        "sessions, 1M events; 0.01 for a quick run")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--samples", type=int, default=5, help="warm requests per page after the cold one")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, logs)")
    args = parser.parse_args(argv)
    result = run(args.scale, args.seed, args.samples, args.keep)
    print_table(result)
    write_results("national" if args.scale == 1 else f"national-{args.scale:g}", result)
    return 0 if all(r["pass"] for r in result["pages"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
