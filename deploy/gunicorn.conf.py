"""gunicorn settings shared by every service's web process.

With PROMETHEUS_MULTIPROC_DIR set, a worker that exits must be marked dead
so its live gauges stop counting in /metrics.

Threaded workers with keep-alive (issue 14, benchmark 1): a sync worker
serves one request at a time and closes every connection, so each request
paid a new TCP connection and a worker waiting on PostgreSQL could do
nothing else. A gthread worker keeps a client's connection open between
requests and runs `threads` requests at once, overlapping one request's
database round trips with another's Python work; the process, its
connection pool and its caches (verified tokens, schemas) are shared by the
threads, so a thread costs far less memory than a worker process
(bench.memory: every process stays under 150 MB). Workers: `--workers` /
WEB_CONCURRENCY, as before; threads: WEB_THREADS (4). Each worker's pool
(PROGADMIN_DB_POOL_MAX, 10) stays above its thread count.
"""

from __future__ import annotations

import os
from typing import Any

worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
graceful_timeout = 20
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
# Seconds an idle client connection is kept open for its next request (a client or proxy reconnects after).
keepalive = 5


def post_worker_init(worker: Any) -> None:
    # gunicorn's own refusals (414, 431, 400) answer problem+json like the apps do.
    from services.common import gunicorn_problems

    gunicorn_problems.install()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
