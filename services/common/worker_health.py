"""A worker process's own health server: `/livez`, `/readyz` and `/metrics`, for its probes and Prometheus.

A worker has no web framework, and needs none for three read-only answers:
the standard library's threading HTTP server runs in a daemon thread.

- `/livez`: every loop thread (relay, consumer, pruning, the service's own) is
  still running. A dead loop never comes back by itself; the probe's failure
  makes Kubernetes restart the container (the local stack restarts the process
  when it exits).
- `/readyz`: the database and Kafka are reachable. A consumer with no
  partitions is ready too: with more workers than partitions some wait as
  standbys, which is how they take over on a rebalance.
- `/metrics`: Kafka's reachability, the service's consumer lag per group and
  partition (`services.common.lag`), the relay's backlog (outbox rows not yet
  published) and whether each loop runs. All is refreshed in the background;
  a scrape waits on nothing for more than a second.

PROGADMIN_WORKER_HEALTH_PORT picks the port (Kubernetes: 8081; the local stack
gives each worker its own); -1 (the default) runs no server, 0 any free port.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import psycopg
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.common.config import Settings
from services.common.lag import KafkaHealth, Refreshed
from services.common.plain_http import PlainHandler

log = logging.getLogger(__name__)


def _database_ok(settings: Settings) -> bool:
    with psycopg.connect(settings.database_url, connect_timeout=2) as conn:
        conn.execute("SELECT 1")
    return True


def _outbox_backlog(settings: Settings) -> int:
    with psycopg.connect(settings.database_url, connect_timeout=2, options="-c statement_timeout=2000") as conn:
        row = conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()
    return int(row[0]) if row else 0


class WorkerHealth(Collector):
    """What a worker's probes and Prometheus ask; `serve()` starts answering on `port`."""

    def __init__(self, settings: Settings, port: int | None = None, groups: list[str] | None = None,
                 topics: list[str] | None = None) -> None:
        self.settings = settings
        self.port = settings.worker_health_port if port is None else port
        self.threads: list[threading.Thread] = []
        # The consumer's assigned partitions (set by the consumer loop; None before it starts).
        self.assignment: Callable[[], set[Any]] | None = None
        self.kafka = KafkaHealth(settings, groups=groups, topics=topics, max_age_s=3.0)
        self.database = Refreshed(lambda: _database_ok(settings), 3.0, f"{settings.service}-db")
        self.backlog = Refreshed(lambda: _outbox_backlog(settings), 5.0, f"{settings.service}-backlog")
        self.registry = CollectorRegistry()
        self.registry.register(self)
        self._server: ThreadingHTTPServer | None = None

    # -- the answers --------------------------------------------------------------------------------
    def livez(self) -> tuple[int, dict[str, Any]]:
        dead = [t.name for t in self.threads if not t.is_alive()]
        return (503 if dead else 200), {"status": "dead loops" if dead else "ok", "service": self.settings.service,
                                        "loops": {t.name: t.is_alive() for t in self.threads}}

    def readyz(self) -> tuple[int, dict[str, Any]]:
        database, _ = self.database.get(wait_s=2.5)
        checks = {"database": "ok" if database else "unavailable",
                  "kafka": "ok" if self.kafka.is_reachable() else "unreachable"}
        ready = all(v == "ok" for v in checks.values())
        body: dict[str, Any] = {"status": "ready" if ready else "not ready", "checks": checks}
        assigned = self._assigned()
        if assigned is not None:
            body["consumer"] = f"{len(assigned)} partitions assigned" if assigned else "waiting for partitions"
        return (200 if ready else 503), body

    def _assigned(self) -> set[Any] | None:
        if self.assignment is None:
            return None
        try:
            return self.assignment()
        except Exception:  # the consumer is being replaced after an error: no partitions right now
            return set()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        service = self.settings.service
        yield from self.kafka.collect()
        backlog, _ = self.backlog.get(wait_s=1.0)
        relay = GaugeMetricFamily("progadmin_outbox_backlog", "Outbox rows not yet published to Kafka",
                                  labels=["service"])
        if backlog is not None:
            relay.add_metric([service], float(backlog))
        yield relay
        loops = GaugeMetricFamily("progadmin_worker_loop_alive", "1 while a worker loop's thread runs",
                                  labels=["service", "loop"])
        for t in self.threads:
            loops.add_metric([service, t.name], 1.0 if t.is_alive() else 0.0)
        yield loops
        assigned = self._assigned()
        if assigned is not None:
            partitions = GaugeMetricFamily("progadmin_consumer_assigned_partitions",
                                           "Partitions assigned to this worker's consumer", labels=["service"])
            partitions.add_metric([service], float(len(assigned)))
            yield partitions

    # -- the server ---------------------------------------------------------------------------------
    def serve(self) -> int:
        """Start the server in a daemon thread; return the port it listens on."""
        health = self

        class Handler(PlainHandler):
            def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self.answer(200, generate_latest(health.registry), CONTENT_TYPE_LATEST)
                elif path in ("/livez", "/readyz"):
                    status, body = health.livez() if path == "/livez" else health.readyz()
                    self.answer(status, json.dumps(body).encode(), "application/json")
                else:
                    self.answer(404, b'{"status": "not found"}', "application/json")

        self._server = ThreadingHTTPServer((self.settings.worker_health_host, max(self.port, 0)), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="health-server", daemon=True).start()
        log.info("worker %s: health on port %d (/livez, /readyz, /metrics)", self.settings.service, self.port)
        return self.port

    @property
    def port_in_use(self) -> int | None:
        return self.port if self._server is not None else None

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
