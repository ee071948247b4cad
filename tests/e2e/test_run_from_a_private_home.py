"""The README's run command works from a clone in a folder only its owner may enter (a home of mode 0700).

The copy of the project lives in a fresh 0700 folder; what the bootstrap
installs (the venv, Kafka's and Keycloak's jars, the npm assets) is linked
in from this checkout, so the bootstrap finds it done and the test measures
the stack itself: `deploy/up --detach` must bring the platform up at its
origin, restart a process that dies, and `deploy/down` must stop it all.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.stack_model import http_status
from deploy.supervisor import alive
from tests.support import wait_until

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
LINKED = (".venv", "deploy/kafka/target", "deploy/keycloak/target", "deploy/web/node_modules")


@pytest.fixture
def private_clone() -> Iterator[Path]:
    home = Path(tempfile.mkdtemp(prefix="progadmin-home-"))
    home.chmod(0o700)
    clone = home / "progadmin"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split("\n")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file() and not any(name.startswith(f"{linked}/") for linked in LINKED):
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    for linked in LINKED:
        (clone / linked).parent.mkdir(parents=True, exist_ok=True)
        (clone / linked).symlink_to(ROOT / linked)
    try:
        yield clone
    finally:
        subprocess.run(["deploy/down"], cwd=clone, capture_output=True, timeout=180)
        shutil.rmtree(home, ignore_errors=True)


def test_up_restart_and_down_from_a_0700_home(private_clone: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROGADMIN_")}
    started = subprocess.run(["deploy/up", "--detach"], cwd=private_clone, env=env, capture_output=True,
                             text=True, timeout=420)
    if started.returncode != 0:
        said = started.stdout
        failed = said.find("startup failed")
        raise AssertionError((said[failed:failed + 3000] if failed >= 0 else said[-4000:]) + started.stderr[-2000:])
    state = json.loads((private_clone / ".local" / "stack.json").read_text())
    origin = state["urls"]["origin"]
    assert "Aanmelden" in urllib.request.urlopen(f"{origin}/", timeout=5).read().decode()
    assert http_status(f"{origin}/enrolment/readyz") == 200
    if os.geteuid() == 0:  # the postgres user cannot enter the clone; its data lives where it can
        assert state["postgres"]["datadir"].startswith("/var/lib/progadmin/")

    # A worker that dies is started again by the stack, which says so.
    worker = next(p for p in state["processes"] if p["name"] == "reporting-worker")
    os.kill(worker["pid"], signal.SIGKILL)

    def restarted() -> bool:
        now = json.loads((private_clone / ".local" / "stack.json").read_text())
        again = next(p for p in now["processes"] if p["name"] == "reporting-worker")
        return again["pid"] != worker["pid"] and alive(again["pid"], again["marker"])

    wait_until(restarted, 30, interval=0.5, what="the killed worker to be restarted")
    assert "reporting-worker restarted" in (private_clone / ".local" / "logs" / "stack.log").read_text()

    # An operator starts a worker by hand from the clone; down stops it too.
    by_hand = subprocess.Popen([".venv/bin/python", "-m", "services.sessions.worker"], cwd=private_clone,
                               env={**env, **{k: v for k, v in _stack_env(state).items()}},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(3)
    assert by_hand.poll() is None, "the hand-started worker should run until down stops it"

    stopped = subprocess.run(["deploy/down"], cwd=private_clone, env=env, capture_output=True, text=True,
                             timeout=180)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    deadline = time.monotonic() + 10
    while http_status(f"{origin}/") is not None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert http_status(f"{origin}/") is None
    now = json.loads((private_clone / ".local" / "stack.json").read_text()) if (
        private_clone / ".local" / "stack.json").exists() else state
    assert not any(alive(p["pid"], p["marker"]) for p in now["processes"])
    assert by_hand.wait(timeout=15) is not None


def _stack_env(state: dict[str, object]) -> dict[str, str]:
    """Enough of the stack's settings for a hand-started worker to run against it."""
    urls = state["urls"]
    assert isinstance(urls, dict)
    return {"PROGADMIN_KAFKA_BOOTSTRAP": str(urls["kafka_bootstrap"]),
            "PROGADMIN_PG_PORT": str(state["postgres"]["port"])}  # type: ignore[index]
