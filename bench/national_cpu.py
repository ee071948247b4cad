"""Where a report page's time goes, in CPU seconds: what no load on a shared machine changes.

Wall-clock times on the two shared cores move two to five times with the other processes' load
(RESULTS.md, section 5); CPU time spent by this process (the web's Python) and by its PostgreSQL backend
(read from /proc, the server runs on the same machine) does not. Each step is run in this process as the web
runs it (`Reporting.final_report` / `report_summary`, `orjson`, `exports.to_html`, one pooled connection):

- report: the whole final report's reads and rules (SQL in PostgreSQL, rows and rules in Python),
- JSON / HTML: turning that report into the API's answer,
- page / dashboard: the pages' grouped reads and one page of sessions (`report_summary`).

    .venv/bin/python -m bench.national_cpu <reporting database URL> <programme id> [--rounds 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from services.common import db
from services.reporting import exports
from services.reporting.service import Reporting
from services.reporting.settings import ReportingSettings

TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (the PostgreSQL backend) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def split(database_url: str, programme_id: uuid.UUID, rounds: int = 5) -> dict[str, dict[str, float]]:
    """Median wall, web CPU and PostgreSQL CPU seconds of each step over `rounds` (after one warm-up)."""
    settings = dataclasses.replace(ReportingSettings.from_env(env="test", database_url=database_url),
                                   db_pool_min=1, db_pool_max=1)  # one connection: one backend to read CPU of
    pool = db.open_pool(settings)
    pool.wait()
    service = Reporting(settings, pool)
    with pool.connection() as conn:
        row: Any = conn.execute("SELECT pg_backend_pid() AS pid").fetchone()
        pid = int(row["pid"])
    report: dict[str, Any] = service.final_report(programme_id, None) or {}
    steps: dict[str, Callable[[], Any]] = {
        "report (reads and rules)": lambda: service.final_report(programme_id, None),
        "JSON (orjson)": lambda: orjson.dumps(report),
        "HTML (exports.to_html)": lambda: exports.to_html(report),
        "report page (summary + 200 sessions)": lambda: service.report_summary(programme_id, None, 1, 200),
        "report page, last page": lambda: service.report_summary(programme_id, None, 10**6, 200),
        "dashboard (summary)": lambda: service.report_summary(programme_id, None, 1, 0),
    }
    out = {}
    for name, step in steps.items():
        step()
        samples = []
        for _ in range(rounds):
            wall, cpu, pg = time.perf_counter(), time.process_time(), backend_cpu(pid)
            step()
            samples.append((time.perf_counter() - wall, time.process_time() - cpu, backend_cpu(pid) - pg))
        out[name] = {k: round(statistics.median(s[i] for s in samples), 3)
                     for i, k in enumerate(("wall_s", "web_cpu_s", "postgres_cpu_s"))}
    pool.close()
    return out


def print_split(result: dict[str, dict[str, float]]) -> None:
    print(f"\n{'step (in process, median)':40} {'wall s':>7} {'web CPU s':>10} {'PG CPU s':>9}")
    for name, row in result.items():
        print(f"{name:40} {row['wall_s']:7.3f} {row['web_cpu_s']:10.3f} {row['postgres_cpu_s']:9.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.national_cpu", description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("programme_id", type=uuid.UUID)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    print_split(split(args.database_url, args.programme_id, args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
