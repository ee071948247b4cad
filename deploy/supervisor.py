"""The local stack's process supervisor: start children, stream their output, restart the ones that die.

A child that exits on its own is said loudly and started again after a
backoff (1 s, doubling to 30 s; back to 1 s once it has run a minute), so a
crashed worker or web process comes back by itself, as Kubernetes'
restart policy does in a cluster. Stopping is by process group, SIGTERM
first, SIGKILL after a grace period; a recorded pid is only signalled while
its command line still carries the child's marker, so a recycled pid is
never killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

PREFIX_WIDTH = len("notifications-worker-1")
BACKOFF_START_S = 1.0
BACKOFF_MAX_S = 30.0
HEALTHY_AFTER_S = 60.0  # a child that ran this long starts its backoff afresh


@dataclass
class Child:
    """One supervised process. `marker` must appear in its command line."""

    name: str
    argv: list[str]
    marker: str
    colour: str
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    pass_fds: tuple[int, ...] = ()
    started_at: float = 0.0
    restarts: int = 0
    backoff_s: float = BACKOFF_START_S
    restart_at: float | None = None
    last_exit: str = ""  # how the previous run ended, repeated when it is restarted


_print_lock = threading.Lock()


def say(msg: str, prefix: str = "stack", colour: str = "1") -> None:
    """Print one line with a fixed-width prefix; a lock keeps lines from several threads whole."""
    tag = prefix.ljust(PREFIX_WIDTH)
    if sys.stdout.isatty():
        tag = f"\033[{colour}m{tag}\033[0m"
    with _print_lock:
        try:
            sys.stdout.write("".join(f"{tag} | {line}\n" for line in msg.split("\n")))
            sys.stdout.flush()
        except (OSError, ValueError):
            pass  # a closed terminal or pipe must not abort startup or, worse, the cleanup


def loud(msg: str) -> None:
    bar = "!" * 72
    for line in (bar, msg, bar):
        say(line, colour="1;31")


def alive(pid: int | None, marker: str) -> bool:
    """True when `pid` runs and is the process we started (its command line carries `marker`)."""
    if not pid:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # A zombie (state Z) has exited; it only waits for its parent to reap it.
    return marker in cmdline and stat.rsplit(")", 1)[1].split()[0] != "Z"


def stop_pids(entries: list[tuple[str, int, str]], grace: float) -> None:
    """SIGTERM each process group, wait up to `grace` seconds in all, then SIGKILL what is left.

    Children run in their own session (pgid == pid), so signalling the group
    reaches gunicorn's workers too, and a terminal's Ctrl-C never reaches them
    directly: the stack decides the order of shutdown.
    """
    running = [(name, pid, marker) for name, pid, marker in entries if alive(pid, marker)]
    for _, pid, _ in running:
        signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while running and time.monotonic() < deadline:
        time.sleep(0.1)
        running = [e for e in running if alive(e[1], e[2])]
    for name, pid, _ in running:
        say(f"{name} (pid {pid}) ignored SIGTERM for {grace:.0f}s: SIGKILL")
        signal_group(pid, signal.SIGKILL)


def signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:  # not a group leader we own; fall back to the process itself
        os.kill(pid, sig)


def pump(stream: IO[bytes], child: Child) -> None:
    """Copy a child's output to our terminal, line by line, with its prefix."""
    for raw in iter(stream.readline, b""):
        say(raw.decode(errors="replace").rstrip("\n"), child.name, child.colour)
    stream.close()


def tail(path: Path, name: str, stop: threading.Event) -> None:
    """Follow Kafka's log file (the broker writes to a file so it survives a detached run)."""
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        while not stop.is_set():
            line = fh.readline()
            if line:
                say(line.decode(errors="replace").rstrip("\n"), name, "37")
            else:
                time.sleep(0.3)


def launch(child: Child, env: dict[str, str], cwd: Path, to_files: bool) -> None:
    """Start `child` in its own session: output to its log file, or streamed here with its prefix."""
    if to_files:
        assert child.log is not None
        with open(child.log, "ab") as out:
            child.proc = subprocess.Popen(child.argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True, pass_fds=child.pass_fds)
    else:
        child.proc = subprocess.Popen(child.argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                                      pass_fds=child.pass_fds)
        assert child.proc.stdout is not None
        threading.Thread(target=pump, args=(child.proc.stdout, child), daemon=True).start()
    child.started_at = time.monotonic()


def supervise(children: list[Child], env: dict[str, str], cwd: Path, to_files: bool,
              on_restart: Callable[[Child], None] | None = None) -> None:
    """One round: say and schedule a restart for each child that died; restart those whose backoff is over."""
    now = time.monotonic()
    for child in children:
        if child.proc is None:
            continue
        code = child.proc.poll()
        if code is None:
            if now - child.started_at > HEALTHY_AFTER_S:
                child.backoff_s = BACKOFF_START_S
            continue
        if child.restart_at is None:
            where = f"; its log: {child.log}" if child.log else ""
            how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
            child.last_exit = f"pid {child.proc.pid}, {how}, after {now - child.started_at:.0f}s"
            loud(f"{child.name} died ({child.last_exit}){where}; restarting it in {child.backoff_s:.0f}s "
                 f"(the wait doubles up to {BACKOFF_MAX_S:.0f}s while it keeps dying)")
            child.restart_at = now + child.backoff_s
            child.backoff_s = min(child.backoff_s * 2, BACKOFF_MAX_S)
        elif now >= child.restart_at:
            child.restart_at = None
            child.restarts += 1
            launch(child, env, cwd, to_files)
            say(f"{child.name} restarted: pid {child.proc.pid}, restart {child.restarts} "
                f"(the previous run: {child.last_exit})")
            if on_restart is not None:
                on_restart(child)


def started_from(folder: Path, markers: tuple[str, ...]) -> list[tuple[str, int, str]]:
    """Processes run from `folder` whose command line carries one of `markers` (e.g. started by hand).

    Only group leaders are returned; stopping their group stops their children too.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            if Path(os.readlink(entry / "cwd")) != folder or os.getpgid(pid) != pid:
                continue
        except OSError:
            continue
        for marker in markers:
            if alive(pid, marker):
                found.append((marker, pid, marker))
                break
    return found


def running_with(*markers: str) -> list[int]:
    """Pids of the processes whose command line carries every one of `markers` (e.g. a Kafka on one config)."""
    return [int(entry.name) for entry in Path("/proc").iterdir()
            if entry.name.isdigit() and all(alive(int(entry.name), marker) for marker in markers)]
