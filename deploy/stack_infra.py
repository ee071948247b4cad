"""The local stack's infrastructure: PostgreSQL, Kafka (one node or a KRaft quorum) and Keycloak started
on the ports `stack_model` chose, the services' databases, the one-off setup commands (migrations, topics),
and the environment every service process then gets (the same `PROGADMIN_*` variables a deployment sets).

Stopping it is `stack_control.shutdown`; supervising the service processes is `supervisor`.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time

from deploy import identity, infra
from deploy.stack_model import (
    LOCAL,
    LOGS,
    ROOT,
    SERVICES,
    Stack,
    StackError,
    pg_datadir,
    release,
    start_retrying,
    write_state,
)
from deploy.supervisor import loud, say


def start_keycloak(stack: Stack, timings: dict[str, float]) -> threading.Thread:
    """Start the identity provider in the background; `keycloak_error` says why it failed."""
    origin = f"http://127.0.0.1:{stack.ports['origin']}"
    stack.keycloak = identity.KeycloakServer(LOCAL / "keycloak", stack.ports["keycloak"],
                                             stack.ports["keycloak_mgmt"], origin)

    release(stack, "keycloak")
    release(stack, "keycloak_mgmt")

    def run() -> None:
        t0 = time.monotonic()
        try:
            assert stack.keycloak is not None
            stack.keycloak.start(log_path=LOGS / "keycloak.log")
            timings["keycloak"] = time.monotonic() - t0
            say(f"Keycloak on {stack.keycloak.url} ({timings['keycloak']:.1f}s)")
        except infra.InfraError as exc:
            stack.keycloak_error = str(exc)

    thread = threading.Thread(target=run, name="keycloak", daemon=True)
    thread.start()
    return thread


def start_infra(stack: Stack, timings: dict[str, float]) -> None:
    t0 = time.monotonic()
    # Durable settings (not fast mode): this cluster holds the developer's data between runs.
    def start_pg() -> None:
        stack.pg = infra.PostgresServer(pg_datadir(), stack.ports["postgres"])
        stack.pg.start()

    start_retrying(stack, ("postgres",), start_pg)
    assert stack.pg is not None
    write_state(stack)
    urls: dict[str, str] = {}
    for svc in SERVICES:
        password = os.environ.get(f"PROGADMIN_{svc.upper()}_DB_PASSWORD", svc)
        urls[svc] = stack.pg.ensure_service_database(svc, password)
    timings["postgres"] = time.monotonic() - t0
    say(f"PostgreSQL on 127.0.0.1:{stack.pg.port} ({timings['postgres']:.1f}s)")

    t0 = time.monotonic()
    partitions = int(os.environ.get("PROGADMIN_TOPIC_PARTITIONS") or 6)
    def start_kafka() -> None:
        if stack.brokers > 1:  # its own data dir: a single broker's metadata names a quorum of one
            stack.kafka = infra.KafkaCluster.on_ports(LOCAL / "kafka-cluster", stack.ports, stack.brokers,
                                                      default_partitions=partitions)
        else:
            stack.kafka = infra.KafkaBroker(LOCAL / "kafka", stack.ports["kafka"], stack.ports["kafka_controller"],
                                            default_partitions=partitions)
        stack.kafka.start(log_path=LOGS / "kafka.log")

    start_retrying(stack, tuple(infra.KafkaCluster.port_names(stack.brokers)), start_kafka)
    assert stack.kafka is not None
    write_state(stack)
    timings["kafka"] = time.monotonic() - t0
    say(f"Kafka on {stack.kafka.bootstrap} ({timings['kafka']:.1f}s)")

    origin = f"http://127.0.0.1:{stack.ports['origin']}"
    env = dict(os.environ)
    env.update({f"PROGADMIN_{svc.upper()}_DATABASE_URL": url for svc, url in urls.items()})
    env.update({f"PROGADMIN_{svc.upper()}_PORT": str(stack.ports[svc]) for svc in SERVICES})
    env.update({
        "PROGADMIN_KAFKA_BOOTSTRAP": stack.kafka.bootstrap,
        "PROGADMIN_PG_PORT": str(stack.pg.port),
        "PROGADMIN_TOPIC_PARTITIONS": str(partitions),
        "PROGADMIN_TOPIC_REPLICATION": str(min(3, stack.brokers)),
        "PROGADMIN_SMTP_HOST": "127.0.0.1",
        "PROGADMIN_SMTP_PORT": str(stack.ports["smtp"]),
        "PROGADMIN_SMTP_WEB_PORT": str(stack.ports["smtp_web"]),
        "PROGADMIN_ORIGIN": origin,
        **{f"PROGADMIN_{svc.upper()}_PUBLIC_URL": f"{origin}/{svc}" for svc in SERVICES},
        **(stack.keycloak.settings_env() if stack.keycloak else {}),
        # Piped Python output is block-buffered; unbuffered, log lines show up as they happen.
        "PYTHONUNBUFFERED": "1",
    })
    stack.env = env


def run_once(argv: list[str], name: str, env: dict[str, str]) -> None:
    """Run a setup command to completion; its output is shown, and a failure stops startup."""
    result = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for line in result.stdout.decode(errors="replace").splitlines():
        say(line, name, "37")
    if result.returncode != 0:
        raise StackError(f"`python {' '.join(argv[1:])}` failed with exit code {result.returncode} (output above)")


def report_infra_deaths(stack: Stack) -> None:
    """Kafka or Keycloak dying is shouted about once; the services ride it out (the outbox keeps writes)."""
    for kafka in stack.kafka.processes() if stack.kafka else []:
        if kafka.poll() is not None and not stack.kafka_reported:
            stack.kafka_reported = True
            loud(f"a Kafka node exited unexpectedly with code {kafka.returncode}; see {LOGS}/kafka*.log")
