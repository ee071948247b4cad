"""The fault suite's short profile on real processes, in CI: nothing lost, nothing doubled.

Four gunicorn webs, four workers (restarted by the suite's supervisor when
killed) and the SMTP sink run against this run's PostgreSQL and Kafka, which
the suite pauses, kills and restarts in turn; one cohort per fault goes
through the HTTP APIs meanwhile. Afterwards every projection, mail and public
record is counted against what was sent (`bench/faults`). The table is
printed (pytest -s shows it) and in the failure message.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.faults import suite
from bench.faults.injectors import Infra
from bench.faults.stack import Stack, suite_env
from deploy.infra import KafkaBroker, PostgresServer, free_port
from tests.conftest import Platform, migrated_templates

pytestmark = pytest.mark.e2e


@pytest.fixture
def own_servers() -> Iterator[Platform]:
    """A PostgreSQL and a Kafka of this test's own: it pauses, kills and restarts them, which the servers
    the rest of the run shares (the browser tests' platform among them) must not feel."""
    # Not under pytest's tmp_path: its parent is 0700, and PostgreSQL runs as the postgres user.
    home = Path(tempfile.mkdtemp(prefix="progadmin-faults-"))
    pg = PostgresServer(home / "pg", free_port())
    kafka = KafkaBroker(home / "kafka", free_port(), free_port(), min_session_timeout_ms=500,
                        default_partitions=3)
    try:
        pg.start(fast=True)
        kafka.start()
        yield Platform(pg, kafka, migrated_templates(pg))
    finally:
        kafka.stop()
        pg.stop()
        shutil.rmtree(home, ignore_errors=True)


def test_short_fault_profile_loses_and_doubles_nothing(own_servers: Platform, tmp_path: Path) -> None:
    platform, pg_server, kafka = own_servers, own_servers.pg, own_servers.kafka
    platform.create_topics()
    stack = Stack(suite_env(platform.env(), tmp_path / "mail", free_port()), tmp_path / "logs", tmp_path / "mail")
    try:
        stack.start()
        outcome = suite.run(suite.SHORT, Infra(pg_server, kafka, platform.settings("enrolment"), stack, pg_fast=True))
    finally:
        stack.stop()
    table = outcome.table()
    print(table)
    assert not outcome.errors, table
    assert (outcome.lost, outcome.doubled) == (0, 0), table
    rows = {r.fault: r for r in outcome.rows}
    assert all(r.recovered_s is not None for r in outcome.rows if r.fault != suite.WHOLE), table
    assert all(r.tally.counted > 0 for r in outcome.rows), table  # every row counted something
    # Its cohort's items, and 2 poison records x 6 (topic, consuming group) pairs, each parked in the DLQ.
    assert rows["poison on every topic"].tally.counted == rows["kafka paused"].tally.counted + 12, table
