"""The faults of a three-broker KRaft cluster, each a blocking call like those in `injectors.py`.

- Leader killed: the node that leads most partitions of the enrolment and sessions topics (where the cohort's
  writes land first) is SIGKILLed while the cohort writes, and started again on its data after a while. With
  acks=all and `min.insync.replicas=2`, every record the relay saw acknowledged is on a surviving node, and
  unclean leader election is off, so a follower in sync takes over and nothing acknowledged is lost.
- All brokers down: every node SIGKILLed at once, started again after a while. The cohort keeps writing over
  HTTP meanwhile: every write must answer 2xx at once (the outbox keeps it), and every web's `/readyz` must stay
  200, since Kubernetes uses it as the readiness probe and would take every web pod out of the Service exactly
  when the outbox should keep writes working. Both are measured here (`Infra.measures`); the test asserts them.
- Reporting worker killed: one of the reporting workers of the group (the stack runs several) SIGKILLed
  mid-load; its partitions move to the others and the supervisor starts it again.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable

from bench.faults.injectors import Infra
from deploy.infra import KafkaCluster
from services.common import broker


def _cluster(infra: Infra) -> KafkaCluster:
    if not isinstance(infra.kafka, KafkaCluster):
        raise TypeError("a cluster fault needs the servers started with brokers=3")
    return infra.kafka


def _wait_for_writes(infra: Infra, n: int, timeout: float = 60) -> None:
    """Start the fault once the cohort has written `n` times: it meets a platform under load, not an idle one."""
    deadline = time.monotonic() + timeout
    while infra.api is not None and len(infra.api.attempts) < n and time.monotonic() < deadline:
        time.sleep(0.1)


def _wait_in_sync(infra: Infra, timeout: float = 120) -> None:
    for topic in broker.all_topics(infra.settings):
        _cluster(infra).wait_in_sync(topic, timeout)


def busiest_leader(cluster: KafkaCluster, topics: list[str]) -> tuple[int, list[tuple[str, int]]]:
    """The node leading most partitions of `topics`, and those partitions."""
    led: dict[int, list[tuple[str, int]]] = {}
    for topic in topics:
        for p in cluster.describe(topic):
            led.setdefault(int(p["leader"]), []).append((topic, int(p["partition"])))
    node = max((n for n in led if n >= 0), key=lambda n: len(led[n]))
    return node, led[node]


def leader_killed(down_s: float, rounds: int = 1) -> Callable[[Infra], str]:
    def run(infra: Infra) -> str:
        cluster = _cluster(infra)
        topics = [infra.topic("enrolment"), infra.topic("sessions")]
        _wait_for_writes(infra, 3)
        failovers, victims = [], []
        for _ in range(rounds):
            victim, partitions = busiest_leader(cluster, topics)
            node = cluster.node(victim)
            killed = time.monotonic()
            node.kill()
            for topic, partition in partitions:
                cluster.wait_leader(topic, partition, not_on=victim, timeout=60)
            failovers.append(time.monotonic() - killed)
            time.sleep(max(0.0, killed + down_s - time.monotonic()))
            victims.append(f"node {victim} ({len(partitions)} partitions, down {time.monotonic() - killed:.0f}s)")
            node.start(timeout=120)
            infra.ended = time.monotonic()
            _wait_in_sync(infra)
        infra.measures.update(failover_s=round(max(failovers), 1), killed=victims)
        return (f"SIGKILL of the leader x{rounds}: {', '.join(victims)}; new leaders within "
                f"{max(failovers):.1f}s; restarted, back in sync")
    return run


class ReadyzWatch:
    """Polls every web's `/readyz` in a thread; counts the answers that were not 200."""

    def __init__(self, urls: dict[str, str], every: float = 0.5) -> None:
        self.urls, self.every = urls, every
        self.polls: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.first_failure = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="readyz-watch", daemon=True)

    def _run(self) -> None:
        while True:
            for service, url in self.urls.items():
                status, why = 0, ""
                try:
                    with urllib.request.urlopen(f"{url}/readyz", timeout=3) as response:
                        status = response.status
                except urllib.error.HTTPError as exc:
                    status, why = exc.code, exc.read().decode(errors="replace")[:200]
                except OSError as exc:
                    why = f"{type(exc).__name__}: {exc}"
                self.polls[service] += 1
                if status != 200:
                    self.failures[service] += 1
                    self.first_failure = self.first_failure or f"{service} {status} {why}".strip()
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> ReadyzWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(10)


def all_brokers_down(down_s: float) -> Callable[[Infra], str]:
    def run(infra: Infra) -> str:
        cluster = _cluster(infra)
        _wait_for_writes(infra, 1)
        with ReadyzWatch(infra.stack.urls) as watch:
            time.sleep(1)  # a few polls with the brokers up
            down = time.monotonic()
            for node in cluster.nodes:
                node.kill()
            time.sleep(down_s)
            back = time.monotonic()
            cluster.start(timeout=180)
            infra.ended = time.monotonic()
            restart_s = infra.ended - back
            _wait_in_sync(infra)
        during = [status for at, status in (infra.api.attempts if infra.api else []) if down <= at <= back]
        failed = sum(1 for status in during if not 200 <= status < 300)
        polls, failures = sum(watch.polls.values()), sum(watch.failures.values())
        infra.measures.update(writes_during_outage=len(during), writes_failed_during_outage=failed,
                              readyz_polls=polls, readyz_failures=failures, readyz_first_failure=watch.first_failure)
        return (f"all {len(cluster.nodes)} nodes SIGKILLed for {down_s:.0f}s: {len(during)} writes meanwhile, "
                f"{failed} not 2xx; /readyz {failures} of {polls} polls failed"
                f"{f' (first: {watch.first_failure})' if failures else ''}; restart took {restart_s:.0f}s")
    return run


def reporting_worker_killed(window_s: float, kills: int = 1) -> Callable[[Infra], str]:
    def run(infra: Infra) -> str:
        workers = infra.stack.worker_names("reporting")
        if len(workers) < 2:
            raise ValueError("needs several reporting workers in the group (Stack workers={'reporting': 3})")
        _wait_for_writes(infra, 3)
        started = time.monotonic()
        victims = []
        for at in sorted(infra.rng.uniform(0, window_s) for _ in range(kills)):
            time.sleep(max(0.0, started + at - time.monotonic()))
            index = infra.rng.randrange(len(workers))
            infra.stack.kill_worker("reporting", index)
            infra.ended = time.monotonic()
            victims.append(workers[index])
        time.sleep(max(0.0, started + window_s - time.monotonic()))
        infra.measures.update(killed=victims)
        return f"{kills} SIGKILL(s) among {len(workers)} reporting workers over {window_s:.0f}s: {', '.join(victims)}"
    return run
