"""Events enrolment consumes: none (it is the source of the enrolment facts; see README.md)."""

from __future__ import annotations

from services.common.config import Settings
from services.common.consumer import Handler


def handlers(settings: Settings) -> dict[str, Handler]:
    return {}
