"""Memory: the resident set of every platform process at rest and at its peak under the HTTP write load.

    .venv/bin/python -m bench.memory [--writes 400] [--clients 1,8,32]

Runs bench.http_writes (which samples every process's RSS from /proc every
250 ms: each gunicorn master and worker, each service's worker process, the
SMTP sink) and prints one row per process. Goal: under 150 MB per process.
Writes bench/results/memory.json (and http_writes.json).
"""

from __future__ import annotations

import argparse

from bench import http_writes
from bench.platform import git_head, write_results

GOAL_MB = 150.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--writes", type=int, default=400)
    parser.add_argument("--clients", default="1,8,32")
    args = parser.parse_args(argv)
    result = http_writes.main(["--writes", str(args.writes), "--clients", args.clients])
    rest, peak = result["memory"]["at_rest_mb"], result["memory"]["under_load_peak_mb"]
    print(f"  {'process':<36} {'at rest MB':>10} {'peak MB':>9}  goal < {GOAL_MB:.0f}")
    rows = []
    for name in sorted(set(rest) | set(peak)):
        at_rest, top = rest.get(name, 0.0), peak.get(name, 0.0)
        ok = "ok" if max(at_rest, top) < GOAL_MB else "OVER"
        print(f"  {name:<36} {at_rest:>10.1f} {top:>9.1f}  {ok}")
        rows.append({"process": name, "at_rest_mb": at_rest, "peak_mb": top, "under_goal": ok == "ok"})
    write_results("memory", {"commit": git_head(), "rows": rows, "goal_mb": GOAL_MB})


if __name__ == "__main__":
    main()
