"""A consumer process that dies right after its DB commit, before its offset commit.

Run as `python -m tests.integration.crashing_consumer <database_url> <bootstrap> <topic> <group>`.
It counts every application of the effect in `effect_log`, then exits
abruptly (os._exit: no cleanup, no offset commit), as a killed pod would.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

import psycopg

from services.common.config import Settings
from services.common.consumer import EventConsumer
from services.common.db import open_pool
from services.common.events import Event


def count_effect(conn: psycopg.Connection[Any], event: Event) -> None:
    conn.execute("INSERT INTO effect_log (event_id) VALUES (%s)", (event["id"],))


class CrashAfterDbCommit(EventConsumer):
    def _commit(self, offsets: Any) -> None:
        os._exit(17)


def main() -> None:
    database_url, bootstrap, topic, group = sys.argv[1:5]
    settings = Settings.from_env("reporting", env="test", database_url=database_url, kafka_bootstrap=bootstrap,
                                 consumer_session_timeout_ms=1500, consumer_heartbeat_ms=300, consumer_poll_ms=100)
    pool = open_pool(settings)
    consumer = CrashAfterDbCommit(settings, pool, group, [topic], {"progadmin.enrolment.CompanyRegistered.v1":
                                                                    count_effect})
    consumer.run(threading.Event())
    sys.exit(3)  # unreachable unless no record ever arrived


if __name__ == "__main__":
    main()
