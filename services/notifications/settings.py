"""Notifications' settings: the common ones, the link secret (links in mails), the SMTP server and its
credentials (only this service has them), and the pace of deliveries, reminders, digests and alerts."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, ClassVar

from services.common.config import LinkSettings, env_int

MAIL_FROM = "Programmabureau <programma@progadmin.local>"


@dataclass(frozen=True)
class NotificationsSettings(LinkSettings):
    """Outgoing mail and its schedule."""

    SERVICE: ClassVar[str] = "notifications"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_security: str = "none"  # none | starttls | tls
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_ca_file: str = ""  # trust a private CA for STARTTLS/TLS (empty: the system's CAs)
    mail_from: str = MAIL_FROM
    # Delivery retries, reminders, digests, at-risk alerts.
    mail_max_attempts: int = 5
    mail_retry_base_seconds: int = 30
    mail_sender_poll_ms: int = 1000
    mail_sending_lease_seconds: int = 600
    mail_reminder_hours: int = 48
    mail_digest_days: int = 14
    mail_at_risk_threshold: int = 3
    # An invitee who has not answered hears again this long after the invitation (never after the start).
    mail_invitation_reminder_hours: int = 72

    @classmethod
    def read_env(cls, service: str) -> dict[str, Any]:
        return {**super().read_env(service),
                "smtp_host": os.environ.get("PROGADMIN_SMTP_HOST", "127.0.0.1"),
                "smtp_port": env_int("PROGADMIN_SMTP_PORT", 8025),
                "smtp_security": os.environ.get("PROGADMIN_SMTP_SECURITY", "none"),
                "smtp_username": os.environ.get("PROGADMIN_SMTP_USERNAME", ""),
                "smtp_password": os.environ.get("PROGADMIN_SMTP_PASSWORD", ""),
                "smtp_ca_file": os.environ.get("PROGADMIN_SMTP_CA_FILE", ""),
                "mail_from": os.environ.get("PROGADMIN_MAIL_FROM", MAIL_FROM),
                "mail_max_attempts": env_int("PROGADMIN_MAIL_MAX_ATTEMPTS", 5),
                "mail_retry_base_seconds": env_int("PROGADMIN_MAIL_RETRY_BASE_SECONDS", 30),
                "mail_sender_poll_ms": env_int("PROGADMIN_MAIL_SENDER_POLL_MS", 1000),
                "mail_sending_lease_seconds": env_int("PROGADMIN_MAIL_SENDING_LEASE_SECONDS", 600),
                "mail_reminder_hours": env_int("PROGADMIN_MAIL_REMINDER_HOURS", 48),
                "mail_digest_days": env_int("PROGADMIN_MAIL_DIGEST_DAYS", 14),
                "mail_at_risk_threshold": env_int("PROGADMIN_MAIL_AT_RISK_THRESHOLD", 3),
                "mail_invitation_reminder_hours": env_int("PROGADMIN_MAIL_INVITATION_REMINDER_HOURS", 72)}

    def check(self) -> None:
        super().check()
        if self.mail_invitation_reminder_hours < 1:
            raise ValueError("PROGADMIN_MAIL_INVITATION_REMINDER_HOURS must be >= 1")
        if self.smtp_security not in ("none", "starttls", "tls"):
            raise ValueError("PROGADMIN_SMTP_SECURITY must be none, starttls or tls")
