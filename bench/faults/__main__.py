"""`python -m bench.faults --profile short|long`: the fault suite on its own servers; prints the table.

Starts its own PostgreSQL and Kafka (deploy.infra) in a temporary folder,
four gunicorn webs, four workers and the SMTP sink, runs the profile's
cohorts through the faults, counts, and prints: fault, operations, lost,
doubled, seconds to recover. Exit status 1 when anything was lost or doubled.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from bench.faults import suite
from bench.faults.injectors import Infra
from bench.faults.stack import Stack, suite_env
from deploy.infra import KafkaBroker, PostgresServer, free_port
from services.common import broker
from services.common.config import SERVICES, Settings
from services.common.migrate import apply_migrations

# Short consumer timeouts, so a group fails over in seconds after a worker is killed (as in tests).
FAST_GROUPS = {"PROGADMIN_CONSUMER_SESSION_TIMEOUT_MS": "3000", "PROGADMIN_CONSUMER_HEARTBEAT_MS": "500",
               "PROGADMIN_CONSUMER_POLL_MS": "200", "PROGADMIN_RELAY_POLL_MS": "100",
               "PROGADMIN_RELAY_SEND_TIMEOUT_MS": "5000", "PROGADMIN_CONSUMER_RETRY_BACKOFF_MS": "50",
               "PROGADMIN_CONSUMER_MAX_ATTEMPTS": "3", "PROGADMIN_TOPIC_PARTITIONS": "3"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--profile", choices=sorted(suite.PROFILES), default="short")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, mail) afterwards")
    args = parser.parse_args(argv)
    # SIGTERM (a CI timeout) unwinds like Ctrl-C, so the servers and processes below are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    profile = suite.PROFILES[args.profile]
    work = Path(tempfile.mkdtemp(prefix="progadmin-faults-"))
    pg = PostgresServer(work / "pg", free_port())
    kafka = KafkaBroker(work / "kafka", free_port(), free_port(), min_session_timeout_ms=500, default_partitions=3)
    stack: Stack | None = None
    try:
        pg.start(fast=True)
        kafka.start()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROGADMIN_")}
        env.update(FAST_GROUPS, PROGADMIN_ENV="test", PROGADMIN_KAFKA_BOOTSTRAP=kafka.bootstrap)
        for service in SERVICES:
            url = pg.ensure_service_database(service, "faults")
            apply_migrations(url, service)
            env[f"PROGADMIN_{service.upper()}_DATABASE_URL"] = url
        settings = Settings.from_env("enrolment", env="test", database_url=env["PROGADMIN_ENROLMENT_DATABASE_URL"],
                                     kafka_bootstrap=kafka.bootstrap, topic_partitions=3)
        broker.ensure_topics(settings)
        smtp_port = free_port()
        stack = Stack(suite_env(env, work / "mail", smtp_port), work / "logs", work / "mail")
        stack.start()
        print(f"fault suite, profile {profile.name}: servers and processes up (logs in {work / 'logs'})", flush=True)
        outcome = suite.run(profile, Infra(pg, kafka, settings, stack), say=lambda s: print(s, flush=True))
        print(outcome.table(), flush=True)
        return 1 if outcome.lost or outcome.doubled or outcome.errors else 0
    finally:
        if stack is not None:
            stack.stop()
        kafka.stop()
        pg.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")


if __name__ == "__main__":
    sys.exit(main())
