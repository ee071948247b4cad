"""A service's worker process: the outbox relay and the service's consumer.

Both run until SIGTERM/SIGINT, then finish the record or batch in hand,
commit what was done and close their connections.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

from services.common import broker, logs
from services.common.config import Settings
from services.common.consumer import EventConsumer, Handler
from services.common.db import open_pool
from services.common.outbox import Relay

log = logging.getLogger(__name__)


def consumer_group(settings: Settings) -> str:
    return f"{settings.topic_prefix}progadmin.{settings.service}"


def run_worker(settings: Settings, consumes: list[str], handlers: dict[str, Handler],
               stop: threading.Event | None = None,
               install_signals: bool = True) -> None:
    """Run relay and consumer threads until `stop` is set (or a signal arrives).

    `consumes` names the producing services whose topics this one reads.
    """
    logs.configure(settings.service, settings.log_level)
    stop = stop or threading.Event()
    if install_signals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    threads: list[threading.Thread] = []
    relay = Relay(settings)
    threads.append(threading.Thread(target=relay.run, args=(stop,), name="relay", daemon=True))
    pool = None
    if consumes:
        topics = [settings.topic(s) for s in consumes]
        _wait_for_topics(settings, topics, stop)
        pool = open_pool(settings, name=f"{settings.service}-consumer")
        consumer = EventConsumer(settings, pool, consumer_group(settings), topics, handlers)
        threads.append(threading.Thread(target=consumer.run, args=(stop,), name="consumer", daemon=True))
    for t in threads:
        t.start()
    log.info("worker %s started: relay%s", settings.service, f" + consumer of {consumes}" if consumes else "")
    stop.wait()
    for t in threads:
        t.join(timeout=30)
    if pool is not None:
        pool.close()
    log.info("worker %s stopped", settings.service)


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


def main(service: str, consumes: list[str], handlers_factory: Callable[[Settings], dict[str, Handler]]) -> None:
    settings = Settings.from_env(service)
    run_worker(settings, consumes, handlers_factory(settings))
