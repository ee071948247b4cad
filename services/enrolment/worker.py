"""`python -m services.enrolment.worker`: enrolment's outbox relay and pruning (it consumes nothing)."""

from __future__ import annotations

from services.common.worker import Loop, main
from services.enrolment.handlers import handlers
from services.enrolment.settings import EnrolmentSettings

CONSUMES: list[str] = []


def loops(settings: EnrolmentSettings) -> dict[str, Loop]:
    """Enrolment's own loops beside relay and pruning: none yet."""
    return {}


if __name__ == "__main__":
    main(EnrolmentSettings, CONSUMES, handlers, loops)
