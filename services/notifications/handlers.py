"""Events notifications turns into mail: the triggers arrive with the notifications issue."""

from __future__ import annotations

from services.common.config import Settings
from services.common.consumer import Handler


def handlers(settings: Settings) -> dict[str, Handler]:
    return {}
