"""What notifications does with enrolment and sessions events.

Handlers keep the few facts mails need and claim deliveries (one row per
logical mail, unique on cause + kind + recipient) in the consumer's
transaction; the sender loop mails them when due. Nothing is sent here.

Contact data (name, address, language) comes from enrolment's compacted
contacts topic (ContactDetailsChanged, keyed by person id; a tombstone
there clears it); the v2 enrolment events name people by id only. The v1
events, which carried the contact data inside, stay in the history and are
handled alike. The two topics arrive in any order: a mail for someone whose
contact data is not here yet waits for it (see sender.py).

One module per source of facts: enrolment (programmes, companies, people,
campaigns), sessions (a session's life), registrations (invitations,
registrations, waiting list, cancellations, attendance); base holds what
they share.
"""

from __future__ import annotations

from services.common.consumer import Handler
from services.notifications.clock import Clock
from services.notifications.handlers.base import Triggers
from services.notifications.handlers.enrolment import EnrolmentTriggers
from services.notifications.handlers.registrations import RegistrationTriggers
from services.notifications.handlers.sessions import SessionTriggers
from services.notifications.settings import NotificationsSettings

__all__ = ["EnrolmentTriggers", "RegistrationTriggers", "SessionTriggers", "Triggers", "handlers"]


def handlers(settings: NotificationsSettings, clock: Clock | None = None) -> dict[str, Handler]:
    """Every event type notifications consumes, with its handler."""
    table: dict[str, Handler] = {}
    for part in (EnrolmentTriggers, SessionTriggers, RegistrationTriggers):
        table.update(part(settings, clock).table())
    return table
