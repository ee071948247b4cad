"""Stopping the local stack and looking at it: `down` and `status` read the state file `up` keeps; `shutdown`
stops a stack in order from within; `clear_leftovers` cleans up after one that was killed."""

from __future__ import annotations

import os
import signal
import time

from deploy import infra
from deploy.stack_model import (
    LOCAL,
    ROOT,
    SERVICES,
    STATE,
    STOP_GRACE,
    Stack,
    StackError,
    http_status,
    pg_datadir,
    read_state,
    state_running,
    stop_recorded,
)
from deploy.supervisor import alive, running_with, say, started_from, stop_pids


def down() -> int:
    result = stop_stack()
    stop_started_by_hand()
    return result


def stop_stack() -> int:
    state = read_state()
    if state is None:
        pidfile = pg_datadir() / "postmaster.pid"
        if pidfile.exists():
            infra.PostgresServer(pg_datadir(), 0).stop()
            say(f"no stack.json; stopped the PostgreSQL cluster in {pg_datadir()}")
        else:
            say("nothing is running (no .local/stack.json)")
        return 0
    stack_pid = int(state.get("stack_pid") or 0)
    if alive(stack_pid, "deploy.stack"):
        # A foreground stack (or a detached one still starting) shuts down in order on SIGTERM, as on Ctrl-C.
        say(f"asking the running `deploy.stack up` (pid {stack_pid}) to stop")
        os.kill(stack_pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE + 60
        while alive(stack_pid, "deploy.stack") and time.monotonic() < deadline:
            time.sleep(0.2)
        if not alive(stack_pid, "deploy.stack"):
            say("stopped")
            return 0
        say("it did not stop in time; stopping its processes directly")
    stop_recorded(state)
    say("stopped")
    return 0


def stop_started_by_hand() -> None:
    """An operator may have started a service process by hand from this clone; down stops those too."""
    markers = tuple(f"services.{svc}.{kind}" for svc in SERVICES for kind in ("app", "worker"))
    found = [entry for entry in started_from(ROOT, (*markers, "services.notifications.smtp_sink"))
             if entry[1] != os.getpid()]
    for name, pid, _ in found:
        say(f"stopping {name} (pid {pid}), started from this clone outside the stack")
    stop_pids(found, STOP_GRACE)


def status() -> int:
    state = read_state()
    if state is None:
        running = (pg_datadir() / "postmaster.pid").exists()
        say("no stack running" + (f"; a PostgreSQL cluster in {pg_datadir()} is (run deploy/down)" if running else ""))
        return 1
    starting = state["mode"] == "detached" and alive(state.get("stack_pid"), "deploy.stack")
    say(f"stack ({state['mode']}, started {state['started_at']}){' (still starting)' if starting else ''}")
    # Fields are filled in as startup proceeds, so a stack caught mid-start lacks some.
    if state.get("postgres"):
        pg_port = state["postgres"]["port"]
        say(f"  {'postgres':<22} port {pg_port:<6} {'up' if infra.port_in_use(pg_port) else 'DOWN'}")
    kafka_pids = [p for p in state["kafka"].get("pids") or [state["kafka"]["pid"]] if p]
    for n, kafka_pid in enumerate(kafka_pids, 1):
        name = f"kafka-{n}" if len(kafka_pids) > 1 else "kafka"
        say(f"  {name:<22} pid {kafka_pid:<7} {'up' if alive(kafka_pid, 'kafka.Kafka') else 'DOWN'}"
            f"  {state['kafka']['bootstrap']}")
    for proc in state["processes"]:
        extra = ""
        web = state["urls"].get("services", {}).get(proc["name"].removesuffix("-web"))
        if proc["name"].endswith("-web") and web:
            extra = f"  {web['livez']} -> {http_status(web['livez']) or 'no answer'}"
        worker = next((s.get("workers", {}).get(proc["name"]) for s in state["urls"].get("services", {}).values()
                       if proc["name"] in s.get("workers", {})), None)
        if worker:  # a worker's own readiness: its database and Kafka
            extra = f"  {worker}/readyz -> {http_status(worker + '/readyz', timeout=3) or 'no answer'}"
        up_ = "up" if alive(proc["pid"], proc["marker"]) else "DOWN"
        say(f"  {proc['name']:<22} pid {proc['pid']:<7} {up_}{extra}")
    return 0


def clear_leftovers() -> None:
    """Refuse a second stack; clean up after one that was killed without running its shutdown."""
    state = read_state()
    if state is not None:
        if state_running(state):
            raise StackError(f"a stack is already running ({state['mode']}, see {STATE}); "
                             "stop it with deploy/down or look with `python -m deploy.stack status`")
        say("cleaning up what a previous stack left behind")
        stop_recorded(state)
    # Two brokers on one data dir corrupt each other's metadata; find one by its config path even unrecorded.
    for config in [LOCAL / "kafka" / "server.properties", *LOCAL.glob("kafka-cluster/node-*/server.properties")]:
        for pid in running_with("kafka.Kafka", str(config)):
            say(f"stopping a Kafka (pid {pid}) left running on {config.parent}")
            stop_pids([("kafka", pid, str(config))], 30)
    pidfile = pg_datadir() / "postmaster.pid"
    if pidfile.exists():
        # A postmaster that outlived its stack still holds the data dir; pg_ctl stop clears a stale pid file too.
        lines = pidfile.read_text().splitlines()
        port = int(lines[3]) if len(lines) > 3 and lines[3].isdigit() else 0
        infra.PostgresServer(pg_datadir(), port).stop()


def shutdown(stack: Stack) -> None:
    """Services first (they flush to Kafka and PostgreSQL), then Kafka, then PostgreSQL."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup short
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    say("stopping services")
    stop_pids([(c.name, c.proc.pid, c.marker) for c in stack.children if c.proc], STOP_GRACE)
    for child in stack.children:
        if child.proc is not None:
            child.proc.wait()  # reap, so no zombie stays behind while Kafka stops
    if stack.keycloak is not None:
        say("stopping Keycloak")
        stack.keycloak.stop()
    if stack.proxy is not None:
        stack.proxy.cleanup()
    if stack.kafka is not None:
        say("stopping Kafka")
        stack.kafka.stop()
    if stack.pg is not None:
        say("stopping PostgreSQL")
        stack.pg.stop()
    STATE.unlink(missing_ok=True)
    say("stopped")
