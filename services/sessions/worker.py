"""`python -m services.sessions.worker`: relay, consumer of enrolment events, and the below-minimum check."""

from __future__ import annotations

import logging
from collections.abc import Callable

from psycopg_pool import ConnectionPool

from services.common.contacts import CONTACTS_TOPIC
from services.common.worker import Loop, main, periodic
from services.sessions.handlers import handlers
from services.sessions.service import Sessions
from services.sessions.settings import SessionsSettings

log = logging.getLogger(__name__)
CONSUMES = ["enrolment", CONTACTS_TOPIC]


def below_minimum_check(settings: SessionsSettings) -> Callable[[ConnectionPool], Callable[[], None]]:
    """Alert on sessions still below their minimum N days ahead (every `sessions_check_interval_s`)."""
    def job(pool: ConnectionPool) -> Callable[[], None]:
        service = Sessions(settings, pool)

        def check() -> None:
            alerted = service.decisions.check_below_minimum()
            if alerted:
                log.info("below-minimum alerts for %d session(s)", len(alerted))
        return check
    return job


def loops(settings: SessionsSettings) -> dict[str, Loop]:
    """Sessions' own loop: the scheduled below-minimum check."""
    return {"below-minimum": periodic(settings, "checks", settings.sessions_check_interval_s,
                                      below_minimum_check(settings))}


if __name__ == "__main__":
    main(SessionsSettings, CONSUMES, handlers, loops)
