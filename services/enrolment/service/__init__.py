"""Enrolment's use cases, one module per aggregate; each writes its state change, its events and its
audit row in one transaction.

`Enrolment` holds one use-case object per aggregate, and the HTTP layer names the one it needs
(`enrolment.lifecycle.admit(...)`), so a reader finds a use case in the module its name says:

- `programmes`: a programme and its lifecycle (draft -> open -> closed);
- `companies`: companies with their directors and contact person;
- `lifecycle`: an enrolment from interest through the intake interviews and the gate to its end;
- `participation`: delegates and follow-up ("borging");
- `privacy`: a person's export and erasure, the audit trail;
- `overview`: read-only views the pages need (funnel, history, the gate's verdict).

What they share (the pool, the outbox, the row-locking transaction, the Dutch "today") is in `base`.
"""

from __future__ import annotations

from psycopg_pool import ConnectionPool

from services.common.config import Settings
from services.enrolment.service.base import today
from services.enrolment.service.companies import Companies
from services.enrolment.service.lifecycle import Lifecycle
from services.enrolment.service.overview import Overview
from services.enrolment.service.participation import Participation
from services.enrolment.service.privacy import Privacy
from services.enrolment.service.programmes import Programmes

__all__ = ["Enrolment", "today"]


class Enrolment:
    """The enrolment service's use cases, by aggregate."""

    def __init__(self, settings: Settings, pool: ConnectionPool) -> None:
        self.programmes = Programmes(settings, pool)
        self.companies = Companies(settings, pool)
        self.lifecycle = Lifecycle(settings, pool)
        self.participation = Participation(settings, pool)
        self.privacy = Privacy(settings, pool)
        self.overview = Overview(settings, pool)
