"""The thin slice through real processes: a company registered over HTTP in
enrolment is counted by reporting, through the outbox, Kafka and a consumer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Platform
from tests.e2e.processes import Processes, call, started
from tests.support import bearer, wait_until

pytestmark = pytest.mark.e2e



@pytest.fixture
def running(platform: Platform, tmp_path: Path) -> Iterator[Processes]:
    platform.create_topics()
    with started(platform.env(), tmp_path, web=("enrolment", "reporting"), workers=("enrolment", "reporting")) as procs:
        yield procs


def test_a_registered_company_is_counted_by_reporting(platform: Platform, running: Processes) -> None:
    admin = bearer(platform.settings("enrolment"), "fund_admin")
    status, created = call(f"{running.urls['enrolment']}/api/v1/companies", admin,
                           {"name": "Betonbouw Zuid BV", "kvk_number": "87654321", "region": "Zuid"})
    assert status == 201, created

    def counted() -> dict[str, object] | None:
        _, figures = call(f"{running.urls['reporting']}/api/v1/figures/companies", admin)
        return figures if figures.get("total") == 1 else None

    try:
        figures = wait_until(counted, timeout=30, interval=0.2, what="reporting counting the company")
    except AssertionError:
        raise AssertionError("\n".join(running.log(n) for n in running.procs)) from None
    assert figures["by_region"] == {"Zuid": 1}
    coordinator = bearer(platform.settings("enrolment"), "coordinator", regions=["Noord"])
    _, noord = call(f"{running.urls['reporting']}/api/v1/figures/companies", coordinator)
    assert noord == {"total": 0, "by_region": {}}


def test_workers_stop_cleanly_on_sigterm(platform: Platform, tmp_path: Path) -> None:
    import os
    import signal
    import time

    platform.create_topics()
    procs = Processes(platform.env(), tmp_path)
    try:
        procs.worker("reporting")
        proc = procs.procs["reporting-worker"]
        wait_until(lambda: "worker reporting started" in procs.log("reporting-worker"), timeout=30,
                   what="worker start")
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(20) == 0, procs.log("reporting-worker")
        assert time.monotonic() - started < 15
        assert "worker reporting stopped" in procs.log("reporting-worker")
    finally:
        procs.stop()
