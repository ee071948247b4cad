"""Enrolment's settings: the common ones only (enrolment signs no links and sends no mail)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from services.common.config import Settings


@dataclass(frozen=True)
class EnrolmentSettings(Settings):
    """Enrolment's settings; it holds no secret beyond the common ones."""

    SERVICE: ClassVar[str] = "enrolment"
