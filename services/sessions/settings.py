"""Sessions' settings: the common ones, the link secret (it signs and verifies participants' links)
and its own rules for cancellations, the below-minimum check and evaluations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from services.common.config import LinkSettings, env_int


@dataclass(frozen=True)
class SessionsSettings(LinkSettings):
    """A cancellation this close to the start is late; a session below its minimum this many days before
    its start raises an alert (a programme's session_rules may override it); evaluations stay open this
    many days after a session; the below-minimum check's pace; the smallest group whose evaluation
    average is shown (the same rule as reporting's)."""

    SERVICE: ClassVar[str] = "sessions"
    sessions_late_cancel_hours: int = 48
    sessions_below_minimum_days: int = 7
    sessions_evaluation_days: int = 14
    sessions_check_interval_s: int = 60
    evaluation_min_group: int = 3

    @classmethod
    def read_env(cls, service: str) -> dict[str, Any]:
        return {**super().read_env(service),
                "sessions_late_cancel_hours": env_int("PROGADMIN_SESSIONS_LATE_CANCEL_HOURS", 48),
                "sessions_below_minimum_days": env_int("PROGADMIN_SESSIONS_BELOW_MINIMUM_DAYS", 7),
                "sessions_evaluation_days": env_int("PROGADMIN_SESSIONS_EVALUATION_DAYS", 14),
                "sessions_check_interval_s": env_int("PROGADMIN_SESSIONS_CHECK_INTERVAL_S", 60),
                "evaluation_min_group": env_int("PROGADMIN_EVALUATION_MIN_GROUP", 3)}
