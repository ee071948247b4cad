"""The one worker entry (services.common.worker): a scheduled job survives a failed round, stops at once,
and every service's worker module has the same shape."""

from __future__ import annotations

import importlib
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from services.common import worker
from services.common.config import Settings

SERVICES = ("enrolment", "sessions", "notifications", "reporting")


class FakePool:
    closed = False

    def close(self, timeout: float = 0) -> None:
        self.closed = True


def test_a_periodic_job_retries_after_a_failed_round_and_stops_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    pools: list[FakePool] = []
    monkeypatch.setattr(worker, "open_pool", lambda settings, name: pools.append(FakePool()) or pools[-1])
    rounds: list[str] = []
    stop = threading.Event()

    def one_round() -> None:
        rounds.append("round")
        if len(rounds) == 1:
            raise RuntimeError("database down")
        if len(rounds) == 3:
            stop.set()

    loop = worker.periodic(Settings.from_env("sessions"), "checks", 0.01, lambda pool: one_round)
    thread = threading.Thread(target=loop, args=(stop,))
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive() and rounds == ["round"] * 3
    assert len(pools) == 1 and pools[0].closed  # its own pool, closed when it ends


def test_a_stop_ends_a_long_wait_between_rounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "open_pool", lambda settings, name: FakePool())
    stop = threading.Event()
    ran = threading.Event()
    loop = worker.periodic(Settings.from_env("sessions"), "checks", 3600, lambda pool: ran.set)
    thread = threading.Thread(target=loop, args=(stop,))
    thread.start()
    assert ran.wait(30)
    started = time.monotonic()
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive() and time.monotonic() - started < 5


@pytest.mark.parametrize("service", SERVICES)
def test_every_worker_module_has_the_same_shape(service: str) -> None:
    """CONSUMES, loops(settings) and main through services.common.worker with the service's own settings type;
    no signals or threads by hand."""
    module: Any = importlib.import_module(f"services.{service}.worker")
    assert isinstance(module.CONSUMES, list)
    loops = module.loops(Settings.from_env(service))
    assert isinstance(loops, dict) and all(callable(loop) for loop in loops.values())
    source = Path(module.__file__).read_text(encoding="utf-8")
    assert f"main({service.capitalize()}Settings, CONSUMES, handlers, loops)" in source
    for hand_rolled in ("import signal", "threading.Thread", "while not stop", "open_pool("):
        assert hand_rolled not in source, f"{service}/worker.py: {hand_rolled} belongs in services.common.worker"
