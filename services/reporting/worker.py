"""`python -m services.reporting.worker`: relay, consumer of every topic, and the webhook dispatcher."""

from __future__ import annotations

import threading

from services.common.config import Settings
from services.common.db import open_pool
from services.common.worker import run_worker
from services.reporting.handlers import handlers
from services.reporting.webhooks import Dispatcher

CONSUMES = ["enrolment", "sessions", "notifications"]


def main() -> None:
    settings = Settings.from_env("reporting")
    stop = threading.Event()
    pool = open_pool(settings, name="reporting-webhooks")
    dispatcher = threading.Thread(target=Dispatcher(settings, pool).run, args=(stop,), name="webhooks", daemon=True)
    dispatcher.start()
    try:
        # Installs the signal handlers that set `stop` for every thread, and returns after it is set.
        run_worker(settings, CONSUMES, handlers(settings), stop=stop)
    finally:
        stop.set()
        dispatcher.join(timeout=30)
        pool.close()


if __name__ == "__main__":
    main()
