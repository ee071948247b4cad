"""`python -m services.sessions.worker`: relay, consumer of enrolment events, and the below-minimum check."""

from __future__ import annotations

import logging
import threading

from services.common.config import Settings
from services.common.contacts import CONTACTS_TOPIC
from services.common.db import open_pool
from services.common.worker import serve
from services.sessions.handlers import handlers
from services.sessions.service import Sessions

log = logging.getLogger(__name__)


def run_below_minimum_check(settings: Settings, stop: threading.Event) -> None:
    """Every `sessions_check_interval_s`: alert on sessions still below their minimum N days ahead."""
    pool = open_pool(settings, name="sessions-checks")
    service = Sessions(settings, pool)
    try:
        while not stop.is_set():
            try:
                alerted = service.check_below_minimum()
                if alerted:
                    log.info("below-minimum alerts for %d session(s)", len(alerted))
            except Exception as exc:  # database down: try again next round
                log.warning("below-minimum check failed: %s", exc)
            stop.wait(settings.sessions_check_interval_s)
    finally:
        pool.close(timeout=1)


def main() -> None:
    settings = Settings.from_env("sessions")
    serve(settings, ["enrolment", CONTACTS_TOPIC], handlers(settings),
          loops={"below-minimum": lambda stop: run_below_minimum_check(settings, stop)})


if __name__ == "__main__":
    main()
