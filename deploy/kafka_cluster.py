"""A local Apache Kafka cluster: N KRaft nodes from the same jars as the single broker.

Each node is broker and controller in one JVM; together they form an
N-voter controller quorum (static `controller.quorum.voters`), formatted with
one cluster id. Used by `deploy/up --brokers 3` and the `kafka_cluster` test
fixture, so fault tests kill and restart real brokers of a real quorum.
"""

from __future__ import annotations

import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # deploy.infra imports this module at its end; import lazily to avoid the cycle
    from deploy.infra import KafkaBroker


def cluster_defaults(brokers: int) -> dict[str, str]:
    """Broker settings that make acks=all mean "on a majority of the nodes"."""
    replication = min(3, brokers)
    min_isr = 2 if replication >= 3 else 1
    return {
        "default.replication.factor": str(replication),
        "min.insync.replicas": str(min_isr),
        "offsets.topic.replication.factor": str(replication),
        "transaction.state.log.replication.factor": str(replication),
        "transaction.state.log.min.isr": str(min_isr),
        "share.coordinator.state.topic.replication.factor": str(replication),
        "share.coordinator.state.topic.min.isr": str(min_isr),
        # A replica that missed writes must never become leader: that would
        # silently drop acknowledged records.
        "unclean.leader.election.enable": "false",
        # Leaders move back to the preferred node soon after it returns, so a
        # restarted node carries its share again within the tests' time.
        "leader.imbalance.check.interval.seconds": "10",
        # Followers are dropped from the ISR after a few seconds behind, not 30 s,
        # so a killed node's partitions stop waiting for it quickly.
        "replica.lag.time.max.ms": "5000",
        # A killed node is fenced from the quorum after a few seconds.
        "broker.session.timeout.ms": "4000",
        "broker.heartbeat.interval.ms": "500",
        "controller.quorum.election.timeout.ms": "1000",
        "controller.quorum.fetch.timeout.ms": "2000",
        "num.network.threads": "2",
        "num.io.threads": "4",
        "background.threads": "4",
    }


class KafkaCluster:
    """`brokers` KRaft nodes on free ports under `datadir`/node-<id>.

    `broker_kwargs` go to every KafkaBroker (heap, min_session_timeout_ms,
    default_partitions, extra_config); `ports`/`controller_ports` pin the ports.
    """

    def __init__(self, datadir: Path, brokers: int = 3, **broker_kwargs: Any) -> None:
        from deploy.infra import KafkaBroker, free_port, kafka_cluster_id

        self.datadir = Path(datadir)
        self.brokers = brokers
        self.broker_kwargs = dict(broker_kwargs)
        self.nodes: list[KafkaBroker] = []
        ports = broker_kwargs.pop("ports", None) or [free_port() for _ in range(brokers)]
        controller_ports = broker_kwargs.pop("controller_ports", None) or [free_port() for _ in range(brokers)]
        broker_kwargs.setdefault("heap", "320m")
        extra = {**cluster_defaults(brokers), **broker_kwargs.pop("extra_config", {})}
        voters = ",".join(f"{i + 1}@127.0.0.1:{controller_ports[i]}" for i in range(brokers))
        cluster_id = self._existing_cluster_id() or kafka_cluster_id()
        self.nodes = [
            KafkaBroker(self.datadir / f"node-{i + 1}", ports[i], controller_ports[i], node_id=i + 1,
                        voters=voters, cluster_id=cluster_id, extra_config=dict(extra), **broker_kwargs)
            for i in range(brokers)
        ]

    @staticmethod
    def port_names(brokers: int) -> list[str]:
        """The local stack's names for the nodes' ports: node 1 has `kafka`/`kafka_controller`, node N `kafka_N`/..."""
        return [name for n in range(1, brokers + 1)
                for name in (("kafka", "kafka_controller") if n == 1 else (f"kafka_{n}", f"kafka_controller_{n}"))]

    @classmethod
    def on_ports(cls, datadir: Path, ports: dict[str, int], brokers: int, **broker_kwargs: Any) -> KafkaCluster:
        """A cluster on the ports the local stack chose (named as `port_names` says)."""
        names = cls.port_names(brokers)
        return cls(datadir, brokers, ports=[ports[n] for n in names[0::2]],
                   controller_ports=[ports[n] for n in names[1::2]], **broker_kwargs)

    def _existing_cluster_id(self) -> str | None:
        """Reuse the id a previous run formatted, so `deploy/up` restarts the same cluster."""
        meta = self.datadir / "node-1" / "logs" / "meta.properties"
        if not meta.exists():
            return None
        for line in meta.read_text().splitlines():
            if line.startswith("cluster.id="):
                return line.split("=", 1)[1].strip()
        return None

    @property
    def bootstrap(self) -> str:
        return ",".join(node.bootstrap for node in self.nodes)

    def node(self, node_id: int) -> KafkaBroker:
        return next(n for n in self.nodes if n.node_id == node_id)

    def start(self, *, timeout: float = 120, log_path: Path | None = None) -> None:
        """Start every node at once (a quorum needs a majority up) and wait until all are registered.

        With `log_path` (e.g. logs/kafka.log) node N logs to logs/kafka-N.log; else to its own datadir.
        """
        def launch(node: KafkaBroker) -> None:
            node.launch(log_path=self.log_path(node, log_path))

        try:
            # Formatting is one JVM per node; run them side by side.
            with ThreadPoolExecutor(len(self.nodes)) as pool:
                list(pool.map(launch, self.nodes))
            for node in self.nodes:
                node.wait(timeout, brokers=len(self.nodes))
        except Exception:
            self.stop()
            raise

    @staticmethod
    def log_path(node: KafkaBroker, log_path: Path | None) -> Path | None:
        return log_path.with_name(f"{log_path.stem}-{node.node_id}{log_path.suffix}") if log_path else None

    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [p for node in self.nodes for p in node.processes()]

    def config_paths(self) -> list[Path]:
        return [node.config_path() for node in self.nodes]

    def stop(self) -> None:
        for node in self.nodes:
            if node.proc is not None and node.proc.poll() is None:
                node.proc.terminate()
        for node in self.nodes:
            node.stop()

    def _admin(self) -> Any:
        from kafka import KafkaAdminClient

        return KafkaAdminClient(bootstrap_servers=self.bootstrap.split(","), request_timeout_ms=5000,
                                client_id="progadmin-cluster")

    def describe(self, topic: str) -> list[dict[str, Any]]:
        """Partitions of `topic` as the cluster reports them now: partition, leader, replicas, isr."""
        admin = self._admin()
        try:
            topics = admin.describe_topics([topic])
        finally:
            admin.close()
        if not topics or topics[0].get("error_code"):
            raise LookupError(f"topic {topic} not known to the cluster: {topics}")
        return [
            {"partition": p["partition_index"], "leader": p["leader_id"],
             "replicas": list(p["replica_nodes"]), "isr": list(p["isr_nodes"])}
            for p in sorted(topics[0]["partitions"], key=lambda p: p["partition_index"])
        ]

    def leader_of(self, topic: str, partition: int = 0) -> int:
        """The node id leading `topic`/`partition` (-1 while no leader is elected)."""
        for p in self.describe(topic):
            if p["partition"] == partition:
                return int(p["leader"])
        raise LookupError(f"{topic} has no partition {partition}")

    def wait_leader(self, topic: str, partition: int = 0, *, not_on: int | None = None,
                    timeout: float = 30) -> int:
        """Wait until the partition has a leader (other than `not_on`); return its node id."""
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            try:
                leader = self.leader_of(topic, partition)
                if leader >= 0 and leader != not_on:
                    return leader
                last = leader
            except Exception as exc:  # a node is coming or going; ask again
                last = exc
            time.sleep(0.2)
        raise TimeoutError(f"{topic}/{partition} has no new leader within {timeout:.0f}s: {last}")

    def wait_in_sync(self, topic: str, timeout: float = 60) -> None:
        """Wait until every partition of `topic` has all its replicas in the ISR."""
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            try:
                parts = self.describe(topic)
                if parts and all(sorted(p["isr"]) == sorted(p["replicas"]) and p["leader"] >= 0 for p in parts):
                    return
                last = parts
            except Exception as exc:
                last = exc
            time.sleep(0.3)
        raise TimeoutError(f"{topic} not fully in sync within {timeout:.0f}s: {last}")
