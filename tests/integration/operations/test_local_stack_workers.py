"""`deploy/up --workers N`: N worker processes of a service in one group, each supervised and restarted on its own."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.stack_model import ROOT, Stack
from deploy.stack_services import worker_children
from deploy.supervisor import Child, launch, stop_pids, supervise
from tests.conftest import Platform
from tests.support import wait_until

pytestmark = pytest.mark.integration


def readyz(port: int) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3) as resp:
            return dict(json.loads(resp.read()))
    except (urllib.error.URLError, OSError, ValueError):
        return None


@pytest.fixture
def children() -> Iterator[list[Child]]:
    started: list[Child] = []
    yield started
    stop_pids([(c.name, c.proc.pid, c.marker) for c in started if c.proc], 10)
    for c in started:
        if c.proc:
            c.proc.wait(5)


def test_two_workers_share_the_group_and_a_killed_one_is_restarted(platform: Platform, tmp_path: Path,
                                                                   children: list[Child],
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    platform.create_topics()
    stack = Stack(detach=True, workers=2, env=platform.env())
    children.extend(worker_children(stack, "reporting", "36"))
    assert [c.name for c in children] == ["reporting-worker-1", "reporting-worker-2"]
    ports = [stack.health_ports[c.name] for c in children]
    assert len(set(ports)) == 2
    for child in children:
        child.log = tmp_path / f"{child.name}.log"
        launch(child, stack.env, ROOT, to_files=True)

    def both_consuming() -> bool:
        states = [readyz(port) for port in ports]
        return all(s and s["status"] == "ready" and str(s.get("consumer", "")).endswith("partitions assigned")
                   and not str(s["consumer"]).startswith("0 ") for s in states)

    wait_until(both_consuming, 60, 0.5, what="both workers ready, each with partitions of the one group")

    first, second = children
    assert first.proc is not None and second.proc is not None
    killed, untouched = first.proc.pid, second.proc.pid
    os.killpg(killed, signal.SIGKILL)

    def restarted() -> bool:
        supervise(children, stack.env, ROOT, to_files=True)
        return first.restarts == 1
    wait_until(restarted, 20, 0.2, what="the supervisor to restart the killed worker")
    log = capsys.readouterr().out
    assert f"reporting-worker-1 died (pid {killed}, killed by SIGKILL" in log
    assert "restarting it in 1s" in log
    assert f"reporting-worker-1 restarted: pid {first.proc.pid}, restart 1 (the previous run: pid {killed}" in log
    assert second.restarts == 0 and second.proc.pid == untouched
    time.sleep(0.5)
    wait_until(lambda: (s := readyz(ports[0])) and s["status"] == "ready", 60, 0.5, what="the restarted worker")
