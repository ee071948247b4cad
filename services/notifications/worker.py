"""`python -m services.notifications.worker`: relay, consumer of enrolment and sessions events, and the sender."""

from __future__ import annotations

import threading

from services.common.config import Settings
from services.common.contacts import CONTACTS_TOPIC
from services.common.db import open_pool
from services.common.worker import serve
from services.notifications.handlers import handlers
from services.notifications.sender import Sender


def send(settings: Settings, stop: threading.Event) -> None:
    pool = open_pool(settings, name="notifications-sender")
    try:
        Sender(settings, pool).run(stop)
    finally:
        pool.close(timeout=1)


def main() -> None:
    settings = Settings.from_env("notifications")
    serve(settings, ["enrolment", "sessions", CONTACTS_TOPIC], handlers(settings),
          loops={"sender": lambda stop: send(settings, stop)})


if __name__ == "__main__":
    main()
