"""A service's gunicorn web as a child process, and the wait until it answers.

The fault suite, the benchmarks and the end-to-end tests each start webs of
their own on free ports; this is how all of them do it.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
# The settings the image and the local stack run webs with (threaded workers, keep-alive, problem+json refusals).
DEPLOYED_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"


def gunicorn_argv(service: str, port: int, control_socket: Path, *options: str) -> list[str]:
    """`services.<service>.app` on 127.0.0.1:`port` with two workers; `options` come last, so they may override.

    Each web needs a control socket of its own: gunicorn's default path is shared by every web on the machine.
    """
    return [GUNICORN, "--bind", f"127.0.0.1:{port}", "--workers", "2", "--control-socket", str(control_socket),
            *options, f"services.{service}.app:create_app()"]


def wait_live(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    """Return once `url`/livez answers; RuntimeError with the end of `log` if the web exits or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/livez", timeout=2):
                return
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    tail = log.read_text(errors="replace")[-4000:] if log.exists() else "(no log)"
    state = f"exited with {proc.returncode}" if proc.poll() is not None else f"no answer within {timeout:.0f} s"
    raise RuntimeError(f"the web at {url} did not come up ({state}):\n{tail}")
