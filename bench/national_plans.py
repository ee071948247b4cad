"""The query plans behind each page: PostgreSQL's auto_explain, read back from the server's log.

auto_explain logs EXPLAIN (ANALYZE, BUFFERS) of every statement a server
runs, so the plans shown are those of the statements the real pages ran,
with their real parameters, not hand-copied SQL. It is switched on only for
the plan pass (its timing costs something), for new connections, so the
webs are restarted after `enable`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from deploy.infra import PostgresServer

BIG_TABLE_ROWS = 10_000  # a sequential scan reading more rows than this is flagged
SETTINGS = {"session_preload_libraries": "auto_explain", "auto_explain.log_min_duration": "0",
            "auto_explain.log_analyze": "on", "auto_explain.log_buffers": "on", "auto_explain.log_timing": "on",
            "log_line_prefix": "%m [%p] db=%d "}
_ENTRY = re.compile(r"^\d{4}-\d\d-\d\d [^\n]*? db=(\S*) LOG:  duration: ([\d.]+) ms  plan:$", re.M)
_SEQ = re.compile(r"Seq Scan on (\w+).*?actual time=[\d.]+\.\.[\d.]+ rows=(\d+) loops=(\d+)")
_REMOVED = re.compile(r"^\s*Rows Removed by Filter: (\d+)")


@dataclass
class Plan:
    database: str
    ms: float
    query: str
    text: str


@dataclass
class Explainer:
    pg: PostgresServer
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.pg.datadir.parent / f"postgres-{self.pg.port}.log"

    def _set(self, values: dict[str, str] | None) -> None:
        with psycopg.connect(self.pg.admin_url, autocommit=True) as conn:
            conn.execute("LOAD 'auto_explain'")  # registers its settings, so ALTER SYSTEM knows them
            for name in SETTINGS:
                if values is None:
                    conn.execute(f"ALTER SYSTEM RESET {name}")
                else:
                    conn.execute(f"ALTER SYSTEM SET {name} = '{values[name]}'")
            conn.execute("SELECT pg_reload_conf()")

    def enable(self) -> None:
        self._set(SETTINGS)

    def disable(self) -> None:
        self._set(None)

    def capture(self, request: Callable[[], Any]) -> list[Plan]:
        """The plans of every statement run while `request` ran."""
        offset = self.log.stat().st_size
        request()
        time.sleep(0.3)  # the backends write their log lines as their statements end; give the last a moment
        with open(self.log, "rb") as f:
            f.seek(offset)
            return parse(f.read().decode(errors="replace"))


def parse(log: str) -> list[Plan]:
    plans = []
    marks = list(_ENTRY.finditer(log))
    for n, m in enumerate(marks):
        end = marks[n + 1].start() if n + 1 < len(marks) else len(log)
        body = [line[1:] if line.startswith("\t") else line for line in log[m.end():end].strip("\n").splitlines()]
        body = [line for line in body if line.strip() and not re.match(r"^\d{4}-\d\d-\d\d ", line)]
        query: list[str] = []
        rest: list[str] = []
        for line in body:
            if rest or "(cost=" in line or "(actual" in line:
                rest.append(line)
            else:
                query.append(line.removeprefix("Query Text: "))
        plans.append(Plan(m.group(1), float(m.group(2)), " ".join(q.strip() for q in query), "\n".join(rest)))
    return plans


def big_seq_scans(plan: str, threshold: int = BIG_TABLE_ROWS) -> list[str]:
    """Tables a plan scans sequentially while reading more than `threshold` rows."""
    out = []
    lines = plan.splitlines()
    for i, line in enumerate(lines):
        m = _SEQ.search(line)
        if not m:
            continue
        removed = 0
        for follow in lines[i + 1:i + 4]:
            r = _REMOVED.match(follow)
            if r:
                removed = int(r.group(1))
        if int(m.group(2)) + removed >= threshold:
            out.append(m.group(1))
    return out


def summarise(pages: dict[str, list[Plan]], path: Path, header: str) -> dict[str, dict[str, Any]]:
    """Write every page's distinct statements (the slowest run's plan, with how often it ran); return a summary."""
    out: dict[str, dict[str, Any]] = {}
    text = [f"# {header}", "# EXPLAIN (ANALYZE, BUFFERS) by auto_explain of every statement each page ran;",
            "# one plan per distinct statement (its slowest run), with how often it ran and the total time.", ""]
    for page, plans in pages.items():
        distinct: dict[tuple[str, str], list[Plan]] = {}
        for plan in plans:
            distinct.setdefault((plan.database, plan.query), []).append(plan)
        seq = sorted({t for plan in plans for t in big_seq_scans(plan.text)})
        total = sum(p.ms for p in plans)
        out[page] = {"statements": len(plans), "distinct": len(distinct), "sql_ms": round(total, 1),
                     "big_seq_scans": seq}
        text += ["=" * 100, f"== {page}: {len(plans)} statements ({len(distinct)} distinct), {total:.1f} ms in"
                 f" PostgreSQL" + (f"; SEQ SCAN on {', '.join(seq)}" if seq else ""), "=" * 100]
        for (database, query), runs in sorted(distinct.items(), key=lambda kv: -sum(p.ms for p in kv[1])):
            slowest = max(runs, key=lambda p: p.ms)
            text += [f"-- {database}: ran {len(runs)}x, {sum(p.ms for p in runs):.2f} ms in all,"
                     f" slowest {slowest.ms:.2f} ms", f"-- {query}", slowest.text, ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(text) + "\n")
    return out
