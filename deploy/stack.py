"""The local stack: PostgreSQL, Kafka and the four services on one machine.

    python -m deploy.stack up [--detach]   start everything (foreground: Ctrl-C stops it all)
                         [--demo]     ... and then load the demo programme (deploy/demo) through the APIs
                         [--workers N] N worker processes per service, in one consumer group (default 1)
                         [--brokers N] N Kafka nodes (KRaft quorum; topics get replication 3 from 3 nodes)
    python -m deploy.stack down            stop what `up` started (detached, or left over after a crash)
    python -m deploy.stack status          show what runs and whether it answers

PostgreSQL and Kafka keep their data under `.local/` so a restart keeps the
platform's state. Every address chosen here reaches the services through the
same `PROGADMIN_*` variables a real deployment sets (see deploy/README.md).

This module holds the commands and the order of `up`; each part is a module of its own:
`stack_model` (folders, ports, the state file), `stack_infra` (PostgreSQL, Kafka, Keycloak, setup
commands, the services' environment), `stack_services` (the web and worker processes),
`supervisor` (start, restart and stop processes; finding them in /proc) and `stack_control`
(down, status, the ordered shutdown, a killed stack's leftovers).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from deploy import infra
from deploy.stack_control import clear_leftovers, down, shutdown, status
from deploy.stack_infra import report_infra_deaths, run_once, start_infra, start_keycloak
from deploy.stack_model import (
    LOCAL,
    LOGS,
    READY_TIMEOUT,
    ROOT,
    SERVICES,
    STATE,
    Stack,
    StackError,
    choose_ports,
    hold_ports,
    http_status,
    read_state,
    state_running,
    write_state,
)
from deploy.stack_services import build_urls, print_summary, start_children
from deploy.supervisor import loud, say, supervise, tail

# -- up ------------------------------------------------------------------------------------------------


def module_file(module: str) -> Path | None:
    """Where `python -m module` would find its code, without importing it (no side effects here)."""
    base = ROOT / module.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__main__.py"):
        if candidate.exists():
            return candidate
    return None


def check_modules() -> None:
    """Fail before any server starts when the service code is not there yet."""
    needed = ["services.common.migrate", "services.common.topics"]
    needed += [f"services.{s}.{m}" for s in SERVICES for m in ("app", "worker")]
    missing = [m for m in needed if module_file(m) is None]
    if missing:
        raise StackError("service modules missing, nothing can run without them:\n  "
                         + "\n  ".join(f"{m}  (expected {m.replace('.', '/')}.py)" for m in missing))


def wait_until_live(stack: Stack) -> bool:
    """Wait for every web process's /livez; report children that die meanwhile."""
    pending = {svc: stack.urls["services"][svc]["livez"] for svc in SERVICES}
    deadline = time.monotonic() + READY_TIMEOUT
    while pending and time.monotonic() < deadline:
        supervise(stack.children, stack.env, ROOT, to_files=stack.detach)
        for svc, url in list(pending.items()):
            if http_status(url) == 200:
                del pending[svc]
        if pending:
            time.sleep(0.2)
    for svc in pending:
        loud(f"{svc} did not answer {pending[svc]} within {READY_TIMEOUT:.0f}s")
    return not pending


def _interrupt(signum: int, frame: Any) -> None:
    # SIGTERM takes the same path as Ctrl-C, wherever startup or the main loop happens to be.
    raise KeyboardInterrupt


def up(detach: bool, background: bool = False, demo: bool = False, workers: int = 1, brokers: int = 1) -> int:
    """Start everything and supervise it until Ctrl-C or SIGTERM (`deploy/down`).

    `detach` starts the same supervisor as a background process (`--background`, output in
    .local/logs/stack.log), follows its output until the platform is ready, and returns.
    """
    if detach:
        result = start_in_background(workers, brokers)
        return run_demo() if demo and result == 0 else result
    started = time.monotonic()
    timings: dict[str, float] = {}
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if our parent ignored it
    check_modules()
    LOCAL.mkdir(exist_ok=True)
    LOGS.mkdir(exist_ok=True)
    clear_leftovers()
    stack = Stack(detach=background, ports=choose_ports(brokers), workers=workers, brokers=brokers)
    hold_ports(stack)
    stop_tail = threading.Event()
    try:
        # Keycloak takes longest (a JVM, its database); it starts beside everything else.
        keycloak_thread = start_keycloak(stack, timings)
        start_infra(stack, timings)
        if not background:
            for n in range(1, brokers + 1) if brokers > 1 else [0]:
                log, name = (LOGS / f"kafka-{n}.log", f"kafka-{n}") if n else (LOGS / "kafka.log", "kafka")
                threading.Thread(target=tail, args=(log, name, stop_tail), daemon=True).start()
        t0 = time.monotonic()
        for svc in SERVICES:
            run_once([sys.executable, "-m", "services.common.migrate", svc], f"migrate-{svc}", stack.env)
        run_once([sys.executable, "-m", "services.common.topics"], "topics", stack.env)
        timings["setup"] = time.monotonic() - t0
        t0 = time.monotonic()
        build_urls(stack)
        start_children(stack)
        write_state(stack)
        all_live = wait_until_live(stack)
        timings["services"] = time.monotonic() - t0
        keycloak_thread.join()
        if stack.keycloak_error:
            raise StackError(stack.keycloak_error)
        timings["total"] = time.monotonic() - started
        print_summary(stack, timings)
        if not all_live:
            say("some services did not come up yet; they are restarted as they die (deploy/down stops all)")
        stack.ready = True
        write_state(stack)
        if demo:  # beside the supervision below, which keeps restarting what dies while it loads
            threading.Thread(target=run_demo, args=(stack.env,), name="demo", daemon=True).start()
        while True:  # watch the children until Ctrl-C or SIGTERM; restart what dies
            supervise(stack.children, stack.env, ROOT, to_files=background, on_restart=lambda _: write_state(stack))
            report_infra_deaths(stack)
            time.sleep(0.5)
    except KeyboardInterrupt:  # asked to stop: not a failure
        return 0
    except (StackError, infra.InfraError, OSError) as exc:
        loud(f"startup failed: {exc}")
        return 1
    finally:
        shutdown(stack)
        stop_tail.set()


def run_demo(env: dict[str, str] | None = None) -> int:
    """`--demo`: load the demo programme through the public APIs (`python -m deploy.demo`), shown as `demo`."""
    proc = subprocess.Popen([sys.executable, "-m", "deploy.demo"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    for line in proc.stdout:
        say(line.decode(errors="replace").rstrip(), "demo", "35")
    code = proc.wait()
    if code != 0:
        loud(f"the demo programme was not (fully) loaded (exit code {code}); the platform keeps running")
    return code


def start_in_background(workers: int = 1, brokers: int = 1) -> int:
    """Run the supervisor detached from this terminal; show its output until the platform is ready."""
    check_modules()
    LOCAL.mkdir(exist_ok=True)
    LOGS.mkdir(exist_ok=True)
    state = read_state()
    if state is not None and state_running(state):
        raise StackError(f"a stack is already running ({state['mode']}, see {STATE}); stop it with deploy/down")
    log = LOGS / "stack.log"
    offset = log.stat().st_size if log.exists() else 0
    with open(log, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "deploy.stack", "up", "--background",
                                 "--workers", str(workers), "--brokers", str(brokers)], cwd=ROOT,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    with open(log, "rb") as fh:
        fh.seek(offset)
        while True:
            line = fh.readline()
            if line:
                sys.stdout.write(line.decode(errors="replace"))
                sys.stdout.flush()
                continue
            current = read_state()
            if current and current.get("ready") and current.get("stack_pid") == proc.pid:
                sys.stdout.write(fh.read().decode(errors="replace"))
                say(f"running in the background (supervisor pid {proc.pid}); logs in {LOGS}; stop: deploy/down")
                return 0
            if proc.poll() is not None:
                sys.stdout.write(fh.read().decode(errors="replace"))
                return 1
            time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.stack", description=(__doc__ or "").splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="start PostgreSQL, Kafka and the services")
    p_up.add_argument("--detach", action="store_true", help="run in the background; stop with `down`")
    p_up.add_argument("--background", action="store_true", help=argparse.SUPPRESS)  # what --detach starts
    p_up.add_argument("--demo", action="store_true",
                      help="once everything is up, load the demo programme through the APIs (a few minutes)")
    p_up.add_argument("--workers", type=int, default=int(os.environ.get("PROGADMIN_WORKERS") or 1), metavar="N",
                      help="worker processes per service, in one consumer group (default 1; "
                           "more than the partition count wait as standbys)")
    p_up.add_argument("--brokers", type=int, default=int(os.environ.get("PROGADMIN_BROKERS") or 1), metavar="N",
                      help="Kafka nodes (default 1); 3 gives a KRaft quorum and topics with replication 3")
    sub.add_parser("down", help="stop a detached (or left-over) stack")
    sub.add_parser("status", help="show what runs")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            if args.workers < 1:
                parser.error("--workers must be at least 1")
            if args.brokers < 1:
                parser.error("--brokers must be at least 1")
            return up(args.detach, background=args.background, demo=args.demo, workers=args.workers,
                      brokers=args.brokers)
        return down() if args.command == "down" else status()
    except (StackError, infra.InfraError) as exc:
        loud(str(exc))
        return 1
    except KeyboardInterrupt:  # Ctrl-C before anything was started
        return 130


if __name__ == "__main__":
    sys.exit(main())
