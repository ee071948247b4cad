"""`python -m services.reporting.worker`: relay, consumer of every topic, the external log's sequencer and the
webhook dispatcher.

Any number of these run in one consumer group (up to the partition count). Each runs a sequencer and a
relay too; one of each leads (advisory lock) and the others stand by.
"""

from __future__ import annotations

import threading

from services.common.config import Settings
from services.common.db import open_pool
from services.common.worker import serve
from services.reporting.handlers import handlers
from services.reporting.sequencer import Sequencer
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
    serve(settings, CONSUMES, handlers(settings), loops={"sequencer": Sequencer(settings).run,
                                                         "webhooks": lambda stop: dispatch(settings, stop)})


if __name__ == "__main__":
    main()
