"""The faults, each a blocking call that returns when the fault is over (the platform may still be catching up).

- Kafka paused: SIGSTOP of the broker's JVM, SIGCONT after a while (a broker that hangs, a network stall);
- Kafka killed: SIGKILL, then started again on the same data directory and ports;
- workers killed: SIGKILL of every worker at random moments (the supervisor restarts each);
- PostgreSQL restarted: a fast shutdown (connections cut), then started again;
- poison: on every topic a platform consumer reads, a record that is not an event and a well-formed event of a
  type its consumers handle whose data no handler can apply; each must end in `<topic>.dlq` once per consuming
  group, without holding up the records behind it.

The faults of a three-broker cluster (leader killed, all brokers down, a reporting worker killed) are in
`cluster.py`.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaProducer

from bench.faults.client import Api
from bench.faults.stack import Stack
from deploy.infra import KafkaBroker, KafkaCluster, PostgresServer
from services.common.config import SERVICES, Settings
from services.common.events import new_event

# Producing service -> the groups (services) that consume its topic (services/<service>/worker.py).
CONSUMERS = {"enrolment": ("sessions", "notifications", "reporting"), "sessions": ("notifications", "reporting"),
             "notifications": ("reporting",)}
# A type each topic's consumers all handle, sent with data none of them can apply.
POISON_TYPE = {"enrolment": "CompanyAdmitted", "sessions": "SessionScheduled", "notifications": "NotificationSent"}


@dataclass
class Infra:
    pg: PostgresServer
    kafka: KafkaBroker | KafkaCluster
    settings: Settings  # any service's settings: bootstrap and topic prefix
    stack: Stack
    pg_fast: bool = True
    rng: random.Random = field(default_factory=lambda: random.Random(12))
    poison_keys: dict[str, list[str]] = field(default_factory=dict)  # producing service -> poison record keys
    api: Api | None = None  # the client of the cohort that meets the fault now (set by the suite)
    measures: dict[str, Any] = field(default_factory=dict)  # what the fault measured; the suite moves it to its row
    # When the fault ended (monotonic): a server back, the last kill. Recovery counts from there; unset, from the
    # injector's return (which may have waited for replicas to catch up first).
    ended: float | None = None

    def topic(self, service: str) -> str:
        return self.settings.topic(service)

    def broker(self) -> KafkaBroker:
        if not isinstance(self.kafka, KafkaBroker):
            raise TypeError("this fault is one of a single broker; the cluster's are in bench/faults/cluster.py")
        return self.kafka


def kafka_paused(seconds: float) -> Callable[[Infra], str]:
    def run(infra: Infra) -> str:
        # A hung broker, not a dead one: connections stay open and nothing answers. On a cluster every node
        # hangs at once, the case that no failover can hide.
        nodes = [infra.kafka] if isinstance(infra.kafka, KafkaBroker) else list(infra.kafka.nodes)
        pids = [node.proc.pid for node in nodes if node.proc is not None]
        assert len(pids) == len(nodes), "a broker is not running"
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(seconds)
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
        return f"{len(pids)} broker(s) stopped (SIGSTOP) for {seconds:.0f}s"
    return run


def kafka_killed(down_s: float) -> Callable[[Infra], str]:
    def run(infra: Infra) -> str:
        infra.broker().kill()
        time.sleep(down_s)
        started = time.monotonic()
        infra.broker().start(timeout=120)
        return f"SIGKILL, down {down_s:.0f}s, restart took {time.monotonic() - started:.0f}s"
    return run


def workers_killed(window_s: float, rounds: int = 1) -> Callable[[Infra], str]:
    def run(infra: Infra) -> str:
        kills = [(infra.rng.uniform(0, window_s), service) for _ in range(rounds) for service in SERVICES]
        started = time.monotonic()
        for at, service in sorted(kills):
            time.sleep(max(0.0, started + at - time.monotonic()))
            infra.stack.kill_worker(service)
        time.sleep(max(0.0, started + window_s - time.monotonic()))
        return f"{len(kills)} SIGKILLs over {window_s:.0f}s"
    return run


def postgres_restarted(down_s: float) -> Callable[[Infra], str]:
    def run(infra: Infra) -> str:
        infra.pg.stop()
        time.sleep(down_s)
        infra.pg.start(fast=infra.pg_fast)
        return f"fast shutdown, down {down_s:.0f}s"
    return run


def poison_records(service: str, run_tag: str) -> list[tuple[str, bytes]]:
    """(key, value): bytes that are no event, and an event of a handled type with unusable data."""
    garbage = (f"poison-{run_tag}-{service}-garbage", b"\x00not a cloudevent {")
    event = new_event(service, POISON_TYPE[service], str(uuid.uuid4()), {"poison": True, "enrolment_id": 42})
    return [garbage, (f"poison-{run_tag}-{service}-unusable", json.dumps(event).encode())]


def poison(run_tag: str) -> Callable[[Infra], str]:
    def run(infra: Infra) -> str:
        producer: Any = KafkaProducer(bootstrap_servers=infra.settings.kafka_bootstrap, acks="all")
        try:
            for service in CONSUMERS:
                for key, value in poison_records(service, run_tag):
                    producer.send(infra.topic(service), key=key.encode(), value=value).get(timeout=30)
                    infra.poison_keys.setdefault(service, []).append(key)
        finally:
            producer.close(timeout=5)
        return f"{sum(len(v) for v in infra.poison_keys.values())} poison records on {len(CONSUMERS)} topics"
    return run
