"""Sessions' use cases, one module per aggregate; each use case is one transaction = state + outbox events + audit.

`Sessions` only gathers them around one context (settings, pool, outbox, clock):
`service.scheduling.schedule(...)`, `service.registrations.register(...)`. None of them takes a
principal: who may call what is decided in `services.sessions.access`, by the routes.
"""

from __future__ import annotations

from psycopg_pool import ConnectionPool

from services.common.outbox import Outbox
from services.sessions.service.attendance import Attendance
from services.sessions.service.base import Clock, Context, utc_now
from services.sessions.service.decisions import Decisions
from services.sessions.service.evaluations import Evaluations
from services.sessions.service.invitations import Invitations
from services.sessions.service.queries import Queries
from services.sessions.service.registrations import Registrations
from services.sessions.service.scheduling import Scheduling
from services.sessions.service.series import Series
from services.sessions.settings import SessionsSettings

__all__ = ["Sessions", "utc_now"]


class Sessions:
    """The sessions service's use cases, by aggregate."""

    def __init__(self, settings: SessionsSettings, pool: ConnectionPool, clock: Clock = utc_now) -> None:
        self.ctx = Context(settings, pool, Outbox(settings), clock)
        self.scheduling = Scheduling(self.ctx)
        self.invitations = Invitations(self.ctx)
        self.registrations = Registrations(self.ctx)
        self.attendance = Attendance(self.ctx)
        self.evaluations = Evaluations(self.ctx)
        self.decisions = Decisions(self.ctx, self.scheduling)
        self.series = Series(self.ctx, self.scheduling)
        self.queries = Queries(self.ctx)

    @property
    def settings(self) -> SessionsSettings:
        return self.ctx.settings

    @property
    def pool(self) -> ConnectionPool:
        return self.ctx.pool

    @property
    def clock(self) -> Clock:
        return self.ctx.clock

    @clock.setter
    def clock(self, value: Clock) -> None:
        self.ctx.clock = value
