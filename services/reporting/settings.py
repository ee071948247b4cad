"""Reporting's settings: the common ones, the link secret (signed company-report links), the
pseudonym secret of the external event stream (only this service has it), the smallest group whose
evaluation average is shown, and webhook delivery (retry window, timeout, pace)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, ClassVar

from services.common.config import DEV_PSEUDONYM_SECRET, LinkSettings, env_int


@dataclass(frozen=True)
class ReportingSettings(LinkSettings):
    """Reporting's own settings and secret."""

    SERVICE: ClassVar[str] = "reporting"
    reporting_pseudonym_secret: str = DEV_PSEUDONYM_SECRET
    # The smallest group whose evaluation average is shown (sessions and reporting alike).
    evaluation_min_group: int = 3
    reporting_webhook_retry_hours: int = 24
    reporting_webhook_timeout_s: int = 10
    reporting_webhook_poll_ms: int = 1000

    @classmethod
    def read_env(cls, service: str) -> dict[str, Any]:
        return {**super().read_env(service),
                "reporting_pseudonym_secret": os.environ.get("PROGADMIN_REPORTING_PSEUDONYM_SECRET",
                                                             DEV_PSEUDONYM_SECRET),
                "evaluation_min_group": env_int("PROGADMIN_EVALUATION_MIN_GROUP", 3),
                "reporting_webhook_retry_hours": env_int("PROGADMIN_REPORTING_WEBHOOK_RETRY_HOURS", 24),
                "reporting_webhook_timeout_s": env_int("PROGADMIN_REPORTING_WEBHOOK_TIMEOUT_S", 10),
                "reporting_webhook_poll_ms": env_int("PROGADMIN_REPORTING_WEBHOOK_POLL_MS", 1000)}

    def check(self) -> None:
        super().check()
        if self.env == "production" and self.reporting_pseudonym_secret == DEV_PSEUDONYM_SECRET:
            raise ValueError("PROGADMIN_REPORTING_PSEUDONYM_SECRET must be set in production")
