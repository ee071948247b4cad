"""The local stack's service processes (per service a gunicorn web and N workers, the SMTP sink, nginx),
and what `up` prints about them.

N workers of a service (`deploy/up --workers N`) are N processes in the same
consumer group: Kafka spreads the topic's partitions over them (beyond the
partition count a worker waits as a standby and takes over on a rebalance),
the relay's advisory lock lets one of them publish at a time, and the
supervisor restarts each one that dies, with backoff, on its own. Each
worker answers its own health endpoint on a port of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from deploy import identity, infra, proxy
from deploy.stack_model import COLOURS, LOCAL, LOGS, ROOT, SERVICES, Stack, StackError, release
from deploy.supervisor import Child, launch, say


def gunicorn_bin() -> str:
    beside = Path(sys.executable).parent / "gunicorn"
    found = str(beside) if beside.exists() else shutil.which("gunicorn")
    if not found:
        raise StackError("gunicorn not found: run deploy/bootstrap.sh")
    return found


def has_control_socket(gunicorn: str) -> bool:
    """Recent gunicorn opens a control socket, by default at one shared path in $HOME: four masters would clash."""
    return "--control-socket" in subprocess.run([gunicorn, "--help"], capture_output=True, text=True).stdout


def worker_name(svc: str, number: int, workers: int) -> str:
    """`enrolment-worker`, or `enrolment-worker-1` ... `-N` when there are several."""
    return f"{svc}-worker" if workers == 1 else f"{svc}-worker-{number}"


def worker_children(stack: Stack, svc: str, colour: str) -> list[Child]:
    """The service's N worker processes, each with a health port of its own (shown by `status`)."""
    partitions = int(stack.env.get("PROGADMIN_TOPIC_PARTITIONS") or 6)
    if stack.workers > partitions and svc == SERVICES[0]:
        say(f"{stack.workers} workers per service but {partitions} partitions per topic: "
            f"{stack.workers - partitions} of each service's workers wait as standbys")
    children = []
    for number in range(1, stack.workers + 1):
        name = worker_name(svc, number, stack.workers)
        port = infra.free_port()
        while port in stack.health_ports.values():
            port = infra.free_port()
        stack.health_ports[name] = port
        children.append(Child(
            name, ["env", f"PROGADMIN_WORKER_HEALTH_PORT={port}", "PROGADMIN_WORKER_HEALTH_HOST=127.0.0.1",
                   sys.executable, "-m", f"services.{svc}.worker"],
            f"services.{svc}.worker", colour))
    return children


def start_children(stack: Stack) -> None:
    gunicorn = gunicorn_bin()
    ctl = has_control_socket(gunicorn)
    (LOCAL / "run").mkdir(exist_ok=True)
    # First, so notifications' sender finds a server; mails land in .local/mail.
    stack.children.append(Child("smtp-sink", [sys.executable, "-m", "services.notifications.smtp_sink"],
                                "services.notifications.smtp_sink", "37"))
    for i, svc in enumerate(SERVICES):
        colour = COLOURS[i % len(COLOURS)]
        # One metrics folder per service so /metrics sums that service's gunicorn workers.
        metrics_dir = LOCAL / "metrics" / svc
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        listener = stack.held[svc]
        listener.listen(128)
        stack.children.append(Child(
            f"{svc}-web",
            ["env", f"PROMETHEUS_MULTIPROC_DIR={metrics_dir}",
             gunicorn, "--config", str(ROOT / "deploy" / "gunicorn.conf.py"),
             # gunicorn takes the socket the stack bound when it chose the port: no one can take it meanwhile.
             "--bind", f"fd://{listener.fileno()}", "--workers", "2", "--access-logfile", "-",
             *(["--control-socket", str(LOCAL / "run" / f"{svc}-web.ctl")] if ctl else []),
             f"services.{svc}.app:create_app()"],
            f"services.{svc}.app", colour, pass_fds=(listener.fileno(),)))
        stack.children.extend(worker_children(stack, svc, colour))
    stack.proxy = proxy.Proxy(stack.ports["origin"], {svc: stack.ports[svc] for svc in SERVICES}, LOCAL / "nginx")
    for name in ("origin", "smtp", "smtp_web"):
        release(stack, name)
    stack.children.append(Child("nginx", stack.proxy.argv(), str(stack.proxy.config), "1"))
    for child in stack.children:
        child.log = LOGS / f"{child.name}.log"
        launch(child, stack.env, ROOT, to_files=stack.detach)


def build_urls(stack: Stack) -> None:
    assert stack.pg is not None and stack.kafka is not None
    services = {}
    for svc in SERVICES:
        base = f"http://127.0.0.1:{stack.ports[svc]}"
        services[svc] = {
            "base": base, "api": f"{base}/api/v1", "docs": f"{base}/api/v1/docs",
            "openapi": f"{base}/api/v1/openapi.json", "livez": f"{base}/livez", "readyz": f"{base}/readyz",
            "metrics": f"{base}/metrics",
            # Each worker process's own health server: /livez, /readyz, /metrics (lag, relay backlog).
            "workers": {name: f"http://127.0.0.1:{port}" for name, port in stack.health_ports.items()
                        if name.startswith(f"{svc}-worker")},
        }
    origin = f"http://127.0.0.1:{stack.ports['origin']}"
    stack.urls = {
        "origin": origin,
        "identity_provider": stack.keycloak.issuer if stack.keycloak else None,
        "services": services,
        "kafka_bootstrap": stack.kafka.bootstrap,
        "mail": {"smtp": f"127.0.0.1:{stack.ports['smtp']}", "page": f"http://127.0.0.1:{stack.ports['smtp_web']}/"},
        # No passwords here: this goes to the terminal and to stack.json.
        "postgres": {svc: f"postgresql://{svc}@127.0.0.1:{stack.pg.port}/progadmin_{svc}" for svc in SERVICES},
    }


def print_summary(stack: Stack, timings: dict[str, float]) -> None:
    lines = [f"progadmin:  {stack.urls['origin']}/   <- open this; sign in as a demo user below", "",
             f"up in {timings['total']:.1f}s (PostgreSQL {timings['postgres']:.1f}s, "
             f"Kafka {timings['kafka']:.1f}s, migrate+topics {timings['setup']:.1f}s, "
             f"services {timings['services']:.1f}s, Keycloak {timings.get('keycloak', 0):.1f}s)", ""]
    kc = stack.keycloak
    if kc is not None:
        lines.append(f"{'sign-in':<14} {kc.issuer}  (admin console {kc.url}/admin/, "
                     f"user {kc.admin_user} / {kc.admin_password})")
        users = ", ".join(f"{user} ({role})" for user, role in identity.DEMO_USERS.items())
        lines.append(f"{'demo users':<14} {users}; password {kc.demo_password}")
        lines.append(f"{'API clients':<14} {', '.join(identity.DEMO_CONSUMERS)} (client credentials, "
                     f"secret {kc.consumer_secret})")
        lines.append("")
    for svc in SERVICES:
        u = stack.urls["services"][svc]
        lines.append(f"{svc:<14} {u['base']}")
        for key in ("api", "docs", "openapi", "livez", "readyz", "metrics"):
            lines.append(f"{'':<14}   {key:<8} {u[key]}")
        for name, base in u["workers"].items():
            lines.append(f"{'':<14}   {name.removeprefix(svc + '-'):<8} {base}/readyz  {base}/metrics")
    lines += ["", f"{'Kafka':<14} {stack.urls['kafka_bootstrap']}"]
    lines.append(f"{'Mail (SMTP)':<14} {stack.urls['mail']['smtp']}   received mail: {stack.urls['mail']['page']}")
    for url in stack.urls["postgres"].values():
        lines.append(f"{'PostgreSQL':<14} {url}")
    py = os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(str(ROOT)) else sys.executable
    lines += ["", f"dev token (development only): {py} -m services.common.auth mint --role fund_admin"]
    if stack.detach:
        lines += [f"logs:   {LOGS}/<name>.log", "stop:   deploy/down"]
    else:
        lines += [f"logs:   here; Kafka's also in {LOGS / 'kafka.log'}", "stop:   Ctrl-C (or deploy/down elsewhere)"]
    width = max(len(line) for line in lines)
    say("=" * width, colour="1;32")
    for line in lines:
        say(line, colour="1;32")
    say("=" * width, colour="1;32")
