"""gunicorn settings shared by every service's web process.

With PROMETHEUS_MULTIPROC_DIR set, a worker that exits must be marked dead
so its live gauges stop counting in /metrics.
"""

from __future__ import annotations

import os
from typing import Any

worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
graceful_timeout = 20


def post_worker_init(worker: Any) -> None:
    # gunicorn's own refusals (414, 431, 400) answer problem+json like the apps do.
    from services.common import gunicorn_problems

    gunicorn_problems.install()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
