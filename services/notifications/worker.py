"""`python -m services.notifications.worker`: relay, consumer of enrolment and sessions events, and the sender."""

from __future__ import annotations

import threading

from services.common import logs
from services.common.config import Settings
from services.common.db import open_pool
from services.common.worker import run_worker
from services.notifications.handlers import handlers
from services.notifications.sender import Sender


def main() -> None:
    settings = Settings.from_env("notifications")
    logs.configure(settings.service, settings.log_level)
    stop = threading.Event()
    pool = open_pool(settings, name="notifications-sender")
    sender = threading.Thread(target=Sender(settings, pool).run, args=(stop,), name="sender", daemon=True)
    sender.start()
    try:
        run_worker(settings, ["enrolment", "sessions"], handlers(settings), stop=stop)
    finally:
        stop.set()
        sender.join(timeout=30)
        pool.close()


if __name__ == "__main__":
    main()
