"""`python -m services.notifications.worker`: relay, consumer of enrolment and sessions events, and the sender."""

from __future__ import annotations

from services.common.contacts import CONTACTS_TOPIC
from services.common.worker import Loop, main, pooled
from services.notifications.handlers import handlers
from services.notifications.sender import Sender
from services.notifications.settings import NotificationsSettings

CONSUMES = ["enrolment", "sessions", CONTACTS_TOPIC]


def loops(settings: NotificationsSettings) -> dict[str, Loop]:
    """Notifications' own loop: the sender, which mails what is due."""
    return {"sender": pooled(settings, "sender", lambda pool: Sender(settings, pool).run)}


if __name__ == "__main__":
    main(NotificationsSettings, CONSUMES, handlers, loops)
