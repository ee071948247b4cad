"""Local infrastructure: a real PostgreSQL server and a real Apache Kafka broker.

Used by the local stack (`deploy/stack.py`) and by the test harness
(`tests/conftest.py`), so the platform and its tests run on exactly the same
servers. Nothing here downloads anything: PostgreSQL comes from Debian's
package (installed by `deploy/bootstrap.sh`), Kafka from its Maven Central
jars resolved into `deploy/kafka/target/libs` by the same script.
"""

from __future__ import annotations

import base64
import glob
import os
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
KAFKA_DIR = ROOT / "deploy" / "kafka"
KAFKA_LIBS = KAFKA_DIR / "target" / "libs"
SERVICES = ("enrolment", "sessions", "notifications", "reporting")


class InfraError(RuntimeError):
    """A server could not be started; the message says what to install or fix."""


def free_port(preferred: int | None = None) -> int:
    """Return `preferred` when nothing listens there, else any free port."""
    if preferred is not None and not port_in_use(preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_in_use(port):
            return
        if proc is not None and proc.poll() is not None:
            raise InfraError(f"process exited with {proc.returncode} before port {port} opened")
        time.sleep(0.1)
    raise InfraError(f"nothing listened on port {port} within {timeout:.0f}s")


def _pg_bindir() -> Path:
    """Find PostgreSQL's server binaries (Debian keeps them out of PATH)."""
    override = os.environ.get("PROGADMIN_PG_BINDIR")
    if override:
        return Path(override)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise InfraError("PostgreSQL server binaries not found: run deploy/bootstrap.sh "
                     "(it installs Debian's postgresql package)")


@dataclass
class PostgresServer:
    """A PostgreSQL cluster in `datadir`, owned by the current OS user or `postgres`."""

    datadir: Path
    port: int
    superuser: str = "progadmin"
    password: str = "progadmin"
    _os_user: str | None = field(default=None, init=False)

    @property
    def admin_url(self) -> str:
        return f"postgresql://{self.superuser}:{self.password}@127.0.0.1:{self.port}/postgres"

    def url(self, user: str, password: str, dbname: str) -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{dbname}"

    def _run_as(self) -> list[str]:
        # initdb refuses to run as root; on CI and dev machines we are root,
        # so run the server as the unprivileged `postgres` user Debian creates.
        # Its commands run from "/" (cwd), since that user may not enter the clone (a 0700 home).
        if os.geteuid() != 0:
            return []
        self._os_user = "postgres"
        return ["runuser", "-u", "postgres", "--"]

    def _prepare_dir(self) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.datadir, "postgres", "postgres")
            # The postgres user must be able to reach the data dir and the
            # log beside it; the parent is ours (.local/ or a temp dir).
            parent = self.datadir.parent
            os.chmod(parent, parent.stat().st_mode | 0o711)
    def init(self) -> None:
        bindir = _pg_bindir()
        if (self.datadir / "PG_VERSION").exists():
            return
        self._prepare_dir()
        pwfile = self.datadir.parent / f".pgpw-{uuid.uuid4().hex}"
        pwfile.write_text(self.password)
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        try:
            subprocess.run(
                [*self._run_as(), str(bindir / "initdb"), "-D", str(self.datadir), "-U", self.superuser,
                 "--pwfile", str(pwfile), "-A", "scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/",
            )
        except subprocess.CalledProcessError as exc:
            raise InfraError(f"initdb failed: {exc.stderr.decode(errors='replace')}") from exc
        finally:
            pwfile.unlink(missing_ok=True)

    def start(self, *, fast: bool = False, timeout: float = 30) -> None:
        """Start the server; `fast` trades durability for speed (tests only)."""
        bindir = _pg_bindir()
        self.init()
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -c max_connections=400 -k /tmp"
        if fast:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log = self.datadir.parent / f"postgres-{self.port}.log"
        if os.geteuid() == 0:
            log.touch()
            shutil.chown(log, "postgres", "postgres")
        result = subprocess.run(
            [*self._run_as(), str(bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(log),
             "-o", opts, "-w", "-t", str(int(timeout)), "start"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd="/",
        )
        if result.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise InfraError(f"PostgreSQL did not start: {result.stdout.decode(errors='replace')}\n{tail}")

    def stop(self) -> None:
        if not (self.datadir / "postmaster.pid").exists():
            return
        subprocess.run(
            [*self._run_as(), str(_pg_bindir() / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/",
        )

    def ensure_service_database(self, service: str, password: str, dbname: str | None = None) -> str:
        """Create login role `service` and database owned by it; only that role may connect.

        Returns the service's connection URL. Idempotent.
        """
        dbname = dbname or f"progadmin_{service}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (service,)).fetchone()
            if exists:
                conn.execute(sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(
                    sql.Identifier(service), sql.Literal(password)))
            else:
                conn.execute(sql.SQL("CREATE ROLE {} WITH LOGIN PASSWORD {}").format(
                    sql.Identifier(service), sql.Literal(password)))
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(dbname), sql.Identifier(service)))
            # Each role may connect to its own database only.
            conn.execute(sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(sql.Identifier(dbname)))
            conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(dbname), sql.Identifier(service)))
        return self.url(service, password, dbname)


def kafka_classpath() -> str:
    if not KAFKA_LIBS.is_dir() or not any(KAFKA_LIBS.glob("kafka_2.13-*.jar")):
        raise InfraError(f"Kafka jars missing in {KAFKA_LIBS}: run deploy/bootstrap.sh "
                         "(it resolves them from Maven Central with mvn)")
    return str(KAFKA_LIBS / "*")


def kafka_cluster_id() -> str:
    """A random cluster id as Kafka's `Uuid.randomUuid()` makes it (base64url, no padding)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):  # Kafka avoids ids that look like a command-line option
            return text


def java_bin() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise InfraError("java not found: Kafka needs a Java 17 runtime")
    return found


@dataclass
class KafkaBroker:
    """A single-node Apache Kafka in KRaft mode (broker and controller in one JVM)."""

    datadir: Path
    port: int
    controller_port: int
    heap: str = "512m"
    # Tests lower this so consumer groups with short sessions are accepted.
    min_session_timeout_ms: int = 6000
    default_partitions: int = 6
    # A node of a KafkaCluster (deploy/kafka_cluster.py) gets its id, the
    # quorum's voters and the shared cluster id; a single node uses the defaults.
    node_id: int = 1
    voters: str | None = None
    cluster_id: str | None = None
    # Lines that replace or add to server.properties (replication defaults of a
    # cluster, the SASL/SSL listeners of the security tests).
    extra_config: dict[str, str] = field(default_factory=dict)
    # Extra arguments for `StorageTool format` (e.g. `--add-scram` users).
    format_args: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    _log_path: Path | None = field(default=None, init=False, repr=False)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _write_config(self) -> Path:
        cfg = self.datadir / "server.properties"
        logs = self.datadir / "logs"
        voters = self.voters or f"{self.node_id}@127.0.0.1:{self.controller_port}"
        lines = [
            "process.roles=broker,controller",
            f"node.id={self.node_id}",
            f"controller.quorum.voters={voters}",
            f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            f"log.dirs={logs}",
            f"num.partitions={self.default_partitions}",
            # Topics are created explicitly (with their partition count);
            # auto-creation would hide a misspelt topic name.
            "auto.create.topics.enable=false",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=6",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            f"group.min.session.timeout.ms={self.min_session_timeout_ms}",
        ]
        settings = dict(line.split("=", 1) for line in lines)
        settings.update(self.extra_config)
        cfg.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
        return cfg

    def start(self, *, timeout: float = 90, log_path: Path | None = None) -> None:
        self.launch(log_path=log_path)
        self.wait(timeout)

    def launch(self, *, log_path: Path | None = None) -> None:
        """Format the storage on first use and start the JVM; do not wait for it."""
        self.datadir.mkdir(parents=True, exist_ok=True)
        cfg = self._write_config()
        cp = kafka_classpath()
        java = java_bin()
        log4j = f"-Dlog4j2.configurationFile={KAFKA_DIR / 'log4j2.yaml'}"
        if not (self.datadir / "logs" / "meta.properties").exists():
            # Generated here rather than by `StorageTool random-uuid`: one JVM start less.
            self.cluster_id = self.cluster_id or kafka_cluster_id()
            fmt = subprocess.run(
                [java, log4j, "-cp", cp, "kafka.tools.StorageTool", "format", "-t", self.cluster_id,
                 "-c", str(cfg), *self.format_args],
                capture_output=True, text=True,
            )
            if fmt.returncode != 0:
                raise InfraError(f"kafka storage format failed: {fmt.stdout}{fmt.stderr}")
        self._log_path = log_path or self.datadir / "kafka.log"
        with open(self._log_path, "ab") as out:
            self.proc = subprocess.Popen(
                [java, f"-Xmx{self.heap}", f"-Xms{self.heap}", "-XX:+UseG1GC", "-XX:TieredStopAtLevel=1",
                 "-Djava.awt.headless=true", log4j, "-cp", cp, "kafka.Kafka", str(cfg)],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def wait(self, timeout: float = 90, brokers: int = 1) -> None:
        """Wait until this node serves metadata naming at least `brokers` brokers."""
        try:
            wait_for_port(self.port, timeout, self.proc)
            self._wait_ready(timeout, brokers)
        except InfraError as exc:
            self.stop()
            log_path = self._log_path
            tail = log_path.read_text(errors="replace")[-3000:] if log_path and log_path.exists() else ""
            raise InfraError(f"Kafka node {self.node_id} did not start: {exc}\n{tail}") from exc

    def _wait_ready(self, timeout: float, brokers: int = 1) -> None:
        """The port opens before the broker serves metadata; wait for that too."""
        from kafka import KafkaAdminClient

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=5000)
                try:
                    if len(admin.describe_cluster().get("brokers") or []) >= brokers:
                        return
                finally:
                    admin.close()
            except Exception as exc:  # broker still coming up
                last = exc
            time.sleep(0.3)
        raise InfraError(f"Kafka not ready within {timeout:.0f}s: {last}")

    def stop(self, timeout: float = 30) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def processes(self) -> list[subprocess.Popen[bytes]]:
        """The JVMs started (one here; a KafkaCluster has one per node), for supervisors and state files."""
        return [self.proc] if self.proc is not None else []

    def config_path(self) -> Path:
        return self.datadir / "server.properties"

    def kill(self) -> None:
        """Stop abruptly, as a crash or a network loss would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


# The multi-node cluster lives in its own module (this one would pass 400 lines); re-exported here.
from deploy.kafka_cluster import KafkaCluster  # noqa: E402, F401
