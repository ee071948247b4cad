"""What the local stack knows about itself: its folders, the processes it started, its state file, its ports.

Shared by `deploy.stack` (up), `deploy.stack_control` (down, status) and the
port handling below, so a `down` in another terminal reads what `up` wrote.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy import identity, infra, proxy
from deploy.supervisor import Child, alive, say, stop_pids

ROOT = infra.ROOT
LOCAL = ROOT / ".local"
LOGS = LOCAL / "logs"
STATE = LOCAL / "stack.json"
SERVICES = infra.SERVICES
HTTP_PORTS = {"enrolment": 8081, "sessions": 8082, "notifications": 8083, "reporting": 8084}
STOP_GRACE = 10.0  # seconds a child gets between SIGTERM and SIGKILL
READY_TIMEOUT = 90.0  # seconds for every web process to answer /livez
COLOURS = ("36", "33", "35", "32", "34")


class StackError(RuntimeError):
    """Startup cannot go on; the message says why."""


@dataclass
class Stack:
    """Everything `up` started, so that shutdown (or `down`) can undo it in reverse order."""

    detach: bool
    ports: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    pg: infra.PostgresServer | None = None
    kafka: infra.KafkaBroker | infra.KafkaCluster | None = None
    brokers: int = 1  # `--brokers N`: a KafkaCluster of N KRaft nodes instead of one broker
    keycloak: identity.KeycloakServer | None = None
    keycloak_error: str = ""
    proxy: proxy.Proxy | None = None
    children: list[Child] = field(default_factory=list)
    urls: dict[str, Any] = field(default_factory=dict)
    kafka_reported: bool = False
    # Ports held from the moment they are chosen until their server starts (see choose_ports).
    held: dict[str, socket.socket] = field(default_factory=dict)
    ready: bool = False
    # Worker processes per service (`--workers N`) and each worker's health port, by process name.
    workers: int = 1
    health_ports: dict[str, int] = field(default_factory=dict)
    started_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))



# -- state file ----------------------------------------------------------------------------------------


def read_state() -> dict[str, Any] | None:
    try:
        return dict(json.loads(STATE.read_text()))
    except FileNotFoundError:
        return None
    except ValueError:
        say(f"{STATE} is unreadable; ignoring it")
        return None


def write_state(stack: Stack) -> None:
    """Record what runs; rewritten after each step so a crash mid-startup still leaves a record for `down`."""
    kafka = stack.kafka
    state = {
        "mode": "detached" if stack.detach else "foreground",
        "stack_pid": os.getpid(),
        "started_at": stack.started_at,
        "ports": stack.ports,
        "postgres": {"datadir": str(stack.pg.datadir), "port": stack.pg.port} if stack.pg else None,
        "kafka": {"pid": kafka.processes()[0].pid if kafka and kafka.processes() else None,
                  "pids": [p.pid for p in kafka.processes()] if kafka else [],
                  "bootstrap": kafka.bootstrap if kafka else None},
        "keycloak": {"pid": stack.keycloak.proc.pid if stack.keycloak and stack.keycloak.proc else None},
        "processes": [
            {"name": c.name, "pid": c.proc.pid if c.proc else None, "marker": c.marker,
             "log": str(c.log) if c.log else None}
            for c in stack.children
        ],
        "urls": stack.urls,
        "ready": stack.ready,
    }
    STATE.write_text(json.dumps(state, indent=2) + "\n")


def state_running(state: dict[str, Any]) -> bool:
    """A stack runs while its `up` process does; a detached one, after `up` returned, while any child does."""
    if alive(state.get("stack_pid"), "deploy.stack"):
        return True
    if state.get("mode") == "foreground":
        return False  # its `up` died without cleaning up: what is left over is debris
    procs = state.get("processes", [])
    kafkas = state["kafka"].get("pids") or [state["kafka"]["pid"]]
    return any(alive(pid, "kafka.Kafka") for pid in kafkas) or any(alive(p["pid"], p["marker"]) for p in procs)


def stop_recorded(state: dict[str, Any]) -> None:
    """Stop what a state file lists: services, then Kafka, then PostgreSQL (the reverse of startup)."""
    stop_pids([(p["name"], p["pid"], p["marker"]) for p in state.get("processes", [])], STOP_GRACE)
    # Kafka flushes and closes its logs on SIGTERM; give it longer than a web process.
    stop_pids([("kafka", pid, "kafka.Kafka") for pid in state["kafka"].get("pids") or [state["kafka"]["pid"]]], 30)
    keycloak_pid = int((state.get("keycloak") or {}).get("pid") or 0)
    stop_pids([("keycloak", keycloak_pid, "keycloak")], 30)
    if state.get("postgres"):
        infra.PostgresServer(Path(state["postgres"]["datadir"]), state["postgres"]["port"]).stop()
    STATE.unlink(missing_ok=True)



def pick_port(var: str, preferred: int, taken: set[int]) -> int:
    """The port from `var` (or `preferred`); another free one when something else listens there."""
    want = int(os.environ.get(var) or preferred)
    port = infra.free_port(want)
    while port in taken:  # two free_port() calls may hand out the same ephemeral port
        port = infra.free_port()
    if port != want:
        say(f"port {want} ({var}) is in use by something else; using {port}")
    taken.add(port)
    return port


def hold_ports(stack: Stack) -> None:
    """Bind every chosen port at once and keep it until its server starts, so nothing takes it meanwhile.

    Web ports stay bound for good: gunicorn inherits the socket itself. The others are released a moment
    before their server binds them; PostgreSQL and Kafka also retry on another port if one was taken anyway.
    """
    for name, port in stack.ports.items():
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:  # taken since it was chosen: choose again
            sock.close()
            port = infra.free_port()
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))
            say(f"port {stack.ports[name]} ({name}) was taken meanwhile; using {port}")
            stack.ports[name] = port
        stack.held[name] = sock


def release(stack: Stack, name: str) -> None:
    sock = stack.held.pop(name, None)
    if sock is not None:
        sock.close()


def start_retrying(stack: Stack, names: tuple[str, ...], start: Any) -> None:
    """Run `start()` after releasing `names`; when it fails because a port got taken, move and try again."""
    for attempt in range(3):
        for name in names:
            release(stack, name)
        try:
            start()
            return
        except infra.InfraError:
            taken = [n for n in names if infra.port_in_use(stack.ports[n])]
            if not taken or attempt == 2:
                raise
            for name in taken:
                new = infra.free_port()
                say(f"port {stack.ports[name]} ({name}) was taken by something else; trying {new}")
                stack.ports[name] = new


def pg_datadir() -> Path:
    """Where the local cluster keeps its data.

    Run as root, PostgreSQL runs as the `postgres` user, who may not be able to reach the clone (a home
    folder of mode 0700): then the data lives under /var/lib/progadmin, one folder per clone.
    """
    if os.geteuid() != 0:
        return LOCAL / "pg"
    digest = hashlib.sha1(str(ROOT).encode()).hexdigest()[:12]
    base = Path("/var/lib/progadmin") / digest
    base.mkdir(parents=True, exist_ok=True)
    for folder in (base.parent, base):
        folder.chmod(0o711)
    return base / "pg"


def choose_ports(brokers: int = 1) -> dict[str, int]:
    taken: set[int] = set()
    ports = {
        "postgres": pick_port("PROGADMIN_PG_PORT", 55432, taken),
        "kafka": pick_port("PROGADMIN_KAFKA_PORT", 19092, taken),
        "kafka_controller": pick_port("PROGADMIN_KAFKA_CONTROLLER_PORT", 19093, taken),
    }
    for n in range(2, brokers + 1):  # further nodes of a cluster: 19094/19095, 19096/19097, ...
        ports[f"kafka_{n}"] = pick_port(f"PROGADMIN_KAFKA_PORT_{n}", 19090 + 2 * n, taken)
        ports[f"kafka_controller_{n}"] = pick_port(f"PROGADMIN_KAFKA_CONTROLLER_PORT_{n}", 19091 + 2 * n, taken)
    for svc in SERVICES:
        ports[svc] = pick_port(f"PROGADMIN_{svc.upper()}_PORT", HTTP_PORTS[svc], taken)
    # The one origin (nginx) and the identity provider (Keycloak, with its management port).
    ports["origin"] = pick_port("PROGADMIN_ORIGIN_PORT", 8080, taken)
    ports["keycloak"] = pick_port("PROGADMIN_KEYCLOAK_PORT", 8180, taken)
    ports["keycloak_mgmt"] = pick_port("PROGADMIN_KEYCLOAK_MANAGEMENT_PORT", 9180, taken)
    # The local SMTP sink that keeps every mail notifications sends, and its page.
    ports["smtp"] = pick_port("PROGADMIN_SMTP_PORT", 8025, taken)
    ports["smtp_web"] = pick_port("PROGADMIN_SMTP_WEB_PORT", 8026, taken)
    return ports




def http_status(url: str, timeout: float = 1.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return None
