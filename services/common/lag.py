"""Consumer lag and Kafka reachability for `/metrics`, without a scrape ever waiting on Kafka.

Lag per consumer group and partition is the partition's end offset minus the
group's committed offset, read with the admin API (OffsetFetch and
ListOffsets) the way `kafka-consumer-groups --describe` reads it. That
covers every member's partitions, so a web process, or any one of N workers
of a service, reports the whole group (aggregate with `max by (group, topic,
partition)`). A partition the group has not committed yet counts from its
earliest offset: the consumer starts there (`auto_offset_reset=earliest`).

Figures are refreshed in a background thread, at most every `max_age_s`
seconds, by the scrape that finds them stale; a scrape answers with the
figures it has, and only the very first waits (at most `wait_s`) for some. With
Kafka away the refresh fails after its short timeouts: reachability turns 0
and no lag figure is given (stale figures would mislead).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import OffsetSpec
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.common import broker
from services.common.config import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
ADMIN_TIMEOUT_MS = 3000  # one refresh gives up after about this long per request


class Refreshed(Generic[T]):
    """A value computed in the background when older than `max_age_s`; readers never run `compute`."""

    def __init__(self, compute: Callable[[], T], max_age_s: float, name: str) -> None:
        self._compute = compute
        self.max_age_s = max_age_s
        self.name = name
        self._lock = threading.Lock()
        self._value: T | None = None
        self._error = ""
        self._at: float | None = None
        self._done = threading.Event()
        self._running = False

    def get(self, wait_s: float = 0.0) -> tuple[T | None, float | None]:
        """The latest value (None after a failed refresh) and its age in seconds (None: none yet)."""
        with self._lock:
            stale = self._at is None or time.monotonic() - self._at > self.max_age_s
            if stale and not self._running:
                self._running = True
                self._done.clear()
                threading.Thread(target=self._refresh, name=f"refresh-{self.name}", daemon=True).start()
            first = self._running and self._at is None
        if first and wait_s > 0:  # nothing to answer with yet: wait a little for the first figures
            self._done.wait(wait_s)
        with self._lock:
            return self._value, (None if self._at is None else time.monotonic() - self._at)

    @property
    def error(self) -> str:
        return self._error

    def _refresh(self) -> None:
        try:
            value: T | None = self._compute()
            error = ""
        except Exception as exc:  # Kafka or the database away: say so, keep serving
            value, error = None, f"{type(exc).__name__}: {exc}"
            log.debug("%s refresh failed: %s", self.name, error)
        with self._lock:
            self._value, self._error, self._at, self._running = value, error, time.monotonic(), False
        self._done.set()


def group_prefix(settings: Settings) -> str:
    """The consumer groups of a service are named `<prefix>progadmin.<service>` (and `....<more>`)."""
    return f"{settings.topic_prefix}progadmin.{settings.service}"


def _admin(settings: Settings) -> KafkaAdminClient:
    return broker.admin(settings, client_id=f"progadmin-{settings.service}-lag",
                        request_timeout_ms=ADMIN_TIMEOUT_MS, bootstrap_timeout_ms=ADMIN_TIMEOUT_MS)


@dataclass(frozen=True)
class Lag:
    group: str
    topic: str
    partition: int
    committed: int | None  # None: nothing committed yet
    end: int
    lag: int


def service_groups(admin: KafkaAdminClient, settings: Settings) -> list[str]:
    prefix = group_prefix(settings)
    groups = []
    for entry in admin.list_groups():
        group_id = entry["group_id"]
        if group_id == prefix or group_id.startswith(prefix + "."):
            groups.append(group_id)
    return sorted(groups)


def group_lag(settings: Settings, groups: list[str] | None = None, topics: list[str] | None = None,
              admin: KafkaAdminClient | None = None) -> list[Lag]:
    """Lag of `groups` (default: every group of the service) on the topics they committed on, plus `topics`."""
    own = admin is None
    admin = admin or _admin(settings)
    try:
        groups = groups if groups is not None else service_groups(admin, settings)
        if not groups:
            return []
        committed = admin.list_group_offsets({g: None for g in groups})
        wanted_topics = set(topics or [])
        for offsets in committed.values():
            wanted_topics |= {tp.topic for tp in offsets}
        existing = set(admin.list_topics())
        partitions = [TopicPartition(t["name"], p["partition_index"])
                      for t in admin.describe_topics(sorted(wanted_topics & existing)) for p in t["partitions"]]
        if not partitions:
            return []
        ends = admin.list_partition_offsets({tp: OffsetSpec.LATEST for tp in partitions})
        starts = admin.list_partition_offsets({tp: OffsetSpec.EARLIEST for tp in partitions})
        result = []
        for group in groups:
            offsets = committed.get(group, {})
            for tp in sorted(partitions):
                end = ends[tp].offset
                done = offsets[tp].offset if tp in offsets and offsets[tp].offset >= 0 else None
                base = done if done is not None else starts[tp].offset
                result.append(Lag(group, tp.topic, tp.partition, done, end, max(end - base, 0)))
        return result
    finally:
        if own:
            admin.close()


@dataclass(frozen=True)
class Snapshot:
    reachable: bool  # a broker answered the admin client's handshake (not merely a TCP connect)
    lags: list[Lag] | None  # None: Kafka answered, but the lag could not be read


def snapshot(settings: Settings, groups: list[str] | None = None, topics: list[str] | None = None) -> Snapshot:
    try:
        admin = _admin(settings)
    except Exception as exc:  # no broker answered within the bootstrap timeout
        log.debug("kafka unreachable: %s", exc)
        return Snapshot(False, None)
    try:
        lags = Snapshot(True, group_lag(settings, groups, topics, admin))
        _said.pop(settings.service, None)
        return lags
    except Exception as exc:  # e.g. a Kafka user without DESCRIBE on the groups: said once, not every refresh
        if _said.get(settings.service) != str(exc):
            _said[settings.service] = str(exc)
            log.warning("consumer lag of %s not readable: %s", settings.service, exc)
        return Snapshot(True, None)
    finally:
        admin.close()


_said: dict[str, str] = {}  # the last lag error logged, per service


class KafkaHealth(Collector):
    """`progadmin_kafka_reachable` and `progadmin_consumer_lag` of one service, refreshed in the background."""

    def __init__(self, settings: Settings, groups: list[str] | None = None, topics: list[str] | None = None,
                 max_age_s: float = 5.0, wait_s: float = 1.0) -> None:
        self.settings = settings
        self.wait_s = wait_s
        self.state = Refreshed(lambda: snapshot(settings, groups, topics), max_age_s, f"{settings.service}-kafka")

    def current(self) -> tuple[Snapshot | None, float | None]:
        return self.state.get(wait_s=self.wait_s)

    def is_reachable(self) -> bool:
        state, _ = self.current()
        return state is not None and state.reachable

    def collect(self) -> Iterator[GaugeMetricFamily]:
        service = self.settings.service
        state, age = self.current()
        reachable = GaugeMetricFamily("progadmin_kafka_reachable",
                                      "1 when a Kafka broker answered (checked every few seconds)", labels=["service"])
        reachable.add_metric([service], 1.0 if state is not None and state.reachable else 0.0)
        yield reachable
        lags = state.lags if state is not None else None
        lag = GaugeMetricFamily("progadmin_consumer_lag",
                                "Records not yet consumed: end offset minus the group's committed offset",
                                labels=["service", "group", "topic", "partition"])
        for item in lags or []:
            lag.add_metric([service, item.group, item.topic, str(item.partition)], float(item.lag))
        yield lag
        fresh = GaugeMetricFamily("progadmin_consumer_lag_age_seconds",
                                  "Age of the lag figures; -1 when Kafka could not be asked", labels=["service"])
        fresh.add_metric([service], -1.0 if lags is None or age is None else age)
        yield fresh
