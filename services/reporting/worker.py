"""`python -m services.reporting.worker`: relay, consumer of every topic, and the webhook dispatcher."""

from __future__ import annotations

import threading

from services.common.config import Settings
from services.common.db import open_pool
from services.common.worker import serve
from services.reporting.handlers import handlers
from services.reporting.webhooks import Dispatcher

CONSUMES = ["enrolment", "sessions", "notifications"]


def dispatch(settings: Settings, stop: threading.Event) -> None:
    pool = open_pool(settings, name="reporting-webhooks")
    try:
        Dispatcher(settings, pool).run(stop)
    finally:
        pool.close(timeout=1)


def main() -> None:
    settings = Settings.from_env("reporting")
    serve(settings, CONSUMES, handlers(settings), loops={"webhooks": lambda stop: dispatch(settings, stop)})


if __name__ == "__main__":
    main()
