"""A service's worker process: the outbox relay, the service's consumer, pruning and its own loops.

Any number of worker processes of a service may run: their consumers share
one group (Kafka spreads the partitions over them; a worker beyond the
partition count waits as a standby), the relay's advisory lock lets one of
them publish, and pruning's lets one of them prune at a time. Each answers
its own health endpoint (`services.common.worker_health`) when
PROGADMIN_WORKER_HEALTH_PORT is set.

Every piece runs in a thread of its own; the main thread only waits for
SIGTERM/SIGINT. Then each loop gets `worker_stop_grace_s` (3 s) in all to
finish the record or batch in hand and commit it. A loop still blocked after
that (a webhook endpoint or a Kafka broker that does not answer, a slow
SMTP server) is abandoned and the process exits anyway: what it had not
committed is redone after the restart by the at-least-once paths (an
outbox row not marked published is sent again, a consumer batch rolls back
and is redelivered, a webhook delivery or mail stays pending or is
reclaimed), never lost. So a worker always stops within a few seconds.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable

from psycopg_pool import ConnectionPool

from services.common import broker, logs, pruning
from services.common.config import S, Settings
from services.common.consumer import EventConsumer, Handler
from services.common.db import open_pool
from services.common.outbox import Relay
from services.common.worker_health import WorkerHealth

log = logging.getLogger(__name__)
Loop = Callable[[threading.Event], None]


def consumer_group(settings: Settings) -> str:
    return f"{settings.topic_prefix}progadmin.{settings.service}"


def consumed_topics(settings: Settings, consumes: list[str]) -> list[str]:
    # A service name means its events topic; a dotted name is a topic itself (the contacts topic).
    return [settings.topic_prefix + s if "." in s else settings.topic(s) for s in consumes]


def run_worker(settings: Settings, consumes: list[str], handlers: dict[str, Handler],
               stop: threading.Event | None = None, install_signals: bool = True,
               loops: dict[str, Loop] | None = None, health: WorkerHealth | None = None) -> list[str]:
    """Run relay, consumer, pruning and `loops` (name -> loop(stop)) in threads until `stop` is set (or a signal).

    `consumes` names the producing services whose topics this one reads
    (or a topic by its full unprefixed name, such as the contacts topic).
    `health` answers the probes (default: one on PROGADMIN_WORKER_HEALTH_PORT, if set).
    Returns the names of the loops that did not finish within the grace
    period (their threads are daemons: they end with the process).
    """
    logs.configure(settings.service, settings.log_level)
    stop = stop or threading.Event()
    if install_signals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    if health is None and settings.worker_health_port >= 0:
        health = WorkerHealth(settings, groups=[consumer_group(settings)] if consumes else [],
                              topics=consumed_topics(settings, consumes))
    targets: dict[str, Loop] = {"relay": Relay(settings).run}
    if consumes:
        targets["consumer"] = lambda s: _consume(settings, consumes, handlers, s, health)
    targets["pruning"] = lambda s: pruning.run(settings, s)
    targets.update(loops or {})
    threads = [threading.Thread(target=target, args=(stop,), name=name, daemon=True)
               for name, target in targets.items()]
    for t in threads:
        t.start()
    if health is not None:
        health.threads = threads
        if health.port_in_use is None:
            health.serve()
    log.info("worker %s started: %s%s", settings.service, ", ".join(targets),
             f" (consuming {consumes})" if consumes else "")
    stop.wait()
    deadline = time.monotonic() + settings.worker_stop_grace_s
    for t in threads:
        t.join(timeout=max(deadline - time.monotonic(), 0))
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        log.warning("worker %s: %s still busy after %.1f s; leaving it to be redone after the restart",
                    settings.service, ", ".join(stuck), settings.worker_stop_grace_s)
    if health is not None:
        health.close()
    log.info("worker %s stopped", settings.service)
    return stuck


def _consume(settings: Settings, consumes: list[str], handlers: dict[str, Handler], stop: threading.Event,
             health: WorkerHealth | None = None) -> None:
    """The consumer loop; waiting for the topics happens here too, so a silent broker never delays a stop."""
    topics = consumed_topics(settings, consumes)
    _wait_for_topics(settings, topics, stop)
    if stop.is_set():
        return
    pool = open_pool(settings, name=f"{settings.service}-consumer")
    try:
        consumer = EventConsumer(settings, pool, consumer_group(settings), topics, handlers)
        if health is not None:
            # Read from the health server's thread: a copy of the set kafka-python keeps, no network call.
            health.assignment = lambda: set(consumer._consumer.assignment()) if consumer._consumer else set()
        consumer.run(stop)
    finally:
        pool.close(timeout=1)


def _wait_for_topics(settings: Settings, topics: list[str], stop: threading.Event) -> None:
    """Create the topics if missing, retrying while the broker is unreachable."""
    delay = 0.5
    while not stop.is_set():
        try:
            own = settings.topic(settings.service)
            wanted = [own, *topics]
            broker.ensure_topics(settings, wanted + [settings.dlq_topic(t) for t in wanted])
            return
        except Exception as exc:
            log.warning("worker %s: cannot reach Kafka yet (%s)", settings.service, exc)
            stop.wait(delay)
            delay = min(delay * 2, 5.0)


def exit_process(stuck: list[str]) -> None:
    """End a worker process now when a loop is still blocked (in a network call): do not wait for it.

    Logs are flushed first; nothing else is pending (every loop commits as it goes).
    """
    if stuck:
        logging.shutdown()
        os._exit(0)


def serve(settings: Settings, consumes: list[str], handlers: dict[str, Handler],
          loops: dict[str, Loop] | None = None) -> None:
    """A worker process's main: run until SIGTERM/SIGINT, then exit within the grace period."""
    exit_process(run_worker(settings, consumes, handlers, loops=loops))


def pooled(settings: Settings, name: str, runner: Callable[[ConnectionPool], Loop]) -> Loop:
    """A loop with a connection pool of its own for its lifetime (`<service>-<name>` in pg_stat_activity).

    `runner(pool)` gives the loop body, e.g. `lambda pool: Sender(settings, pool).run`.
    """
    def loop(stop: threading.Event) -> None:
        pool = open_pool(settings, name=f"{settings.service}-{name}")
        try:
            runner(pool)(stop)
        finally:
            pool.close(timeout=1)
    return loop


def periodic(settings: Settings, name: str, interval_s: float, task: Callable[[ConnectionPool], Callable[[], object]]
             ) -> Loop:
    """A scheduled job: `task(pool)()` now and then every `interval_s` seconds until the stop.

    A failed round (the database down) is logged and tried again next round: a scheduled
    job never ends the worker. A stop ends the wait at once.
    """
    def run(pool: ConnectionPool) -> Loop:
        job = task(pool)

        def loop(stop: threading.Event) -> None:
            while not stop.is_set():
                try:
                    job()
                except Exception as exc:
                    log.warning("worker %s: %s failed, next try in %.0f s: %s", settings.service, name,
                                interval_s, exc)
                stop.wait(interval_s)
        return loop
    return pooled(settings, name, run)


def main(settings_type: type[S], consumes: list[str], handlers_factory: Callable[[S], dict[str, Handler]],
         loops_factory: Callable[[S], dict[str, Loop]]) -> None:
    """Every service's `python -m services.<service>.worker`: the same pieces plus the service's own loops,
    with the service's own settings type (`services/<service>/settings.py`)."""
    settings = settings_type.from_env()
    serve(settings, consumes, handlers_factory(settings), loops=loops_factory(settings))
