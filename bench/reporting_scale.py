"""Reporting scale-out: events applied per second with 1 and with 3 reporting workers.

    .venv/bin/python -m bench.reporting_scale [--companies 600] [--workers 1 3]

Starts its own PostgreSQL and three-broker Kafka cluster (deploy.infra),
creates the domain topics with 6 partitions and replication 3, publishes a
programme's enrolment events (8 per company, keyed as enrolment keys them,
each validated against its schema) and then, per worker count, starts that
many real `python -m services.reporting.worker` processes in one consumer
group on a fresh database and topic prefix. It prints:
- applied/s: source events applied (projection + pending public event) from
  the moment the group has settled (every worker holds partitions) to the last;
- numbered/s: the same, until the sequencer had numbered every public event;
- the sequencer alone: pending rows numbered (with their outbox rows) per second;
- with `--lock-comparison`, in-process and without Kafka: 1 consumer, then 3
  consumer processes publishing side by side, then 3 with the old global
  advisory lock put back into `publish` (what the sequencer replaced).
Figures only: nothing here passes or fails. `tests/cluster/test_reporting_scale_out.py`
uses the load and process helpers below.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from services.common import broker
from services.common.config import Settings
from services.common.events import Event, encode, new_event, validate_event
from services.common.worker import consumer_group

ROOT = Path(__file__).resolve().parents[1]
NS = uuid.UUID("0c5b6f1e-8a47-4d55-a1f3-2b9e6d7c8a90")
REGIONS = ("Noord", "Midden", "Zuid")
PER_COMPANY = 8  # CompanyRegistered + 7 facts keyed by the enrolment


def uid(*parts: object) -> str:
    return str(uuid.uuid5(NS, "/".join(map(str, parts))))


@dataclass
class Load:
    """A programme's enrolment events: `opened`, then per company its events in the order they happened."""

    programme_id: str
    opened: Event
    companies: list[list[Event]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return 1 + sum(len(c) for c in self.companies)

    def interleaved(self) -> Iterator[Event]:
        """The programme first, then the companies' events round-robin (each company's in its own order)."""
        yield self.opened
        for step in range(PER_COMPANY):
            for events in self.companies:
                if step < len(events):
                    yield events[step]


def enrolment_load(companies: int, tag: str = "") -> Load:
    programme = uid("programme", tag)
    opened = new_event("enrolment", "ProgrammeOpened", programme, {
        "programme_id": programme, "name": "Veilig Werken", "fund": "A+O fonds", "theme": "veiligheid",
        "period_start": "2026-01-01", "period_end": "2027-06-30", "regions": list(REGIONS),
        "planned_sessions": {"dialogue": 3}, "max_delegates_per_company": 3,
        "session_rules": {"min_duration_minutes": 60, "max_duration_minutes": 210, "online_facilitators": 2}})
    load = Load(programme, opened)
    for n in range(companies):
        region, cid, eid = REGIONS[n % 3], uid("company", tag, n), uid("enrolment", tag, n)
        ids = {"enrolment_id": eid, "company_id": cid, "programme_id": programme}
        director = {"person_id": uid("director", tag, n), "name": f"Directeur {n}", "email": f"d{n}@bedrijf.nl",
                    "language": "nl"}
        events = [
            new_event("enrolment", "CompanyRegistered", cid, {"company_id": cid, "name": f"Bouwbedrijf {n} BV",
                                                               "kvk_number": f"{20000000 + n}", "region": region}),
            new_event("enrolment", "CompanyShowedInterest", eid, {**ids, "region": region}),
            new_event("enrolment", "IntakeHeld", eid, {**ids, "intake_id": uid("intake", tag, n),
                                                       "held_on": "2026-02-01", "interviewee_role": "director",
                                                       "commitments": {"staff_time_released": True},
                                                       "assessed_level": 4, "meets_admission_rule": True}),
            new_event("enrolment", "CompanyAdmitted", eid, {**ids, "region": region, "admitted_on": "2026-02-02",
                                                            "director": director}),
        ]
        for d in range(2):
            person = uid("person", tag, n, d)
            events.append(new_event("enrolment", "ParticipantDelegated", eid, {
                **ids, "region": region, "person_id": person, "job_level": "manager", "below_management": False,
                "contact": {"person_id": person, "name": f"Deelnemer {n}-{d}", "email": f"p{n}.{d}@bedrijf.nl",
                            "language": "nl"}}))
        events += [
            new_event("enrolment", "CompanyActivated", eid, {**ids, "region": region, "activated_on": "2026-02-10"}),
            new_event("enrolment", "CompanyCompleted", eid, {**ids, "completed_on": "2027-06-30"}),
        ]
        load.companies.append(events)
    for event in load.interleaved():
        validate_event(event)
    return load


def produce(settings: Settings, events: Iterator[Event] | list[Event], rate: float | None = None) -> int:
    """Send `events` to the enrolment topic keyed by subject (acks=all); at most `rate` per second."""
    producer = broker.producer(settings)
    topic = settings.topic("enrolment")
    sent = 0
    started = time.monotonic()
    try:
        for event in events:
            producer.send(topic, key=event["subject"].encode(), value=encode(event))
            sent += 1
            if rate and sent % 50 == 0:
                ahead = sent / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
        producer.flush(30)
    finally:
        producer.close()
    return sent


def worker_env(settings: Settings, partitions: int, replication: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PROGADMIN_ENV": "test",
        "PROGADMIN_REPORTING_DATABASE_URL": settings.database_url,
        "PROGADMIN_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "PROGADMIN_TOPIC_PREFIX": settings.topic_prefix,
        "PROGADMIN_TOPIC_PARTITIONS": str(partitions),
        "PROGADMIN_TOPIC_REPLICATION": str(replication),
        "PROGADMIN_CONSUMER_SESSION_TIMEOUT_MS": str(settings.consumer_session_timeout_ms),
        "PROGADMIN_CONSUMER_HEARTBEAT_MS": str(settings.consumer_heartbeat_ms),
        "PROGADMIN_CONSUMER_POLL_MS": str(settings.consumer_poll_ms),
        "PROGADMIN_RELAY_POLL_MS": str(settings.relay_poll_ms),
    })
    return env


class Workers:
    """Real reporting worker processes, each in its own session (so a SIGKILL takes only that one)."""

    def __init__(self, env: dict[str, str], logdir: Path) -> None:
        self.env = env
        self.logdir = logdir
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        with open(self.logdir / f"reporting-worker-{len(self.procs)}.log", "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "services.reporting.worker"], cwd=ROOT, env=self.env,
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def log(self, index: int) -> str:
        path = self.logdir / f"reporting-worker-{index}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def progress(database_url: str) -> tuple[int, int, int]:
    """(source events applied, public events, public events numbered)."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT (SELECT count(*) FROM processed_events), (SELECT count(*) FROM external_events),"
                           " (SELECT count(position) FROM external_events)").fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def members(settings: Settings) -> dict[str, set[tuple[str, int]]]:
    """The reporting group's members and the partitions each is assigned; empty unless the group is Stable
    (while it rebalances, the survivors are listed with their old assignment)."""
    admin = broker.admin(settings)
    try:
        group = admin.describe_groups([consumer_group(settings)])[consumer_group(settings)]
    finally:
        admin.close()
    if group.get("group_state") != "Stable":
        return {}
    out: dict[str, set[tuple[str, int]]] = {}
    for member in group.get("members", []):
        assignment = member.get("member_assignment") or {}
        parts: set[tuple[str, int]] = set()
        for item in (assignment.get("assigned_partitions") if isinstance(assignment, dict) else None) or []:
            parts |= {(item["topic"], p) for p in item["partitions"]}
        out[member["member_id"]] = parts
    return out


def wait_for_group(settings: Settings, size: int, timeout: float = 60) -> dict[str, set[tuple[str, int]]]:
    """Wait until the group has `size` members and each holds partitions (the rebalance is done)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = members(settings)
        except Exception:  # the coordinator is still being elected, or the group does not exist yet
            found = {}
        if len(found) == size and all(found.values()):
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"the reporting group did not settle on {size} members: {found}")
        time.sleep(0.2)


def measure(settings: Settings, load: Load, workers: int, logdir: Path, partitions: int = 6,
            replication: int = 3, timeout: float = 300) -> dict[str, Any]:
    """Publish `load`, start `workers` processes, and time what they apply once the group has settled."""
    produce(settings, load.interleaved())
    pool = Workers(worker_env(settings, partitions, replication), logdir)
    for _ in range(workers):
        pool.start()
    try:
        wait_for_group(settings, workers)
        started, (before, _, _) = time.monotonic(), progress(settings.database_url)
        if before >= load.total:
            raise RuntimeError("the load was applied before the group settled: give more companies")
        applied_at = numbered_at = None
        deadline = started + timeout
        while numbered_at is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{progress(settings.database_url)} of {load.total} after {timeout}s")
            applied, _, numbered = progress(settings.database_url)
            if applied_at is None and applied >= load.total:
                applied_at = time.monotonic()
            if applied_at is not None and numbered >= load.total:
                numbered_at = time.monotonic()
            time.sleep(0.05)
    finally:
        pool.stop()
    assert applied_at is not None
    return {"workers": workers, "events": load.total, "measured": load.total - before,
            "applied_per_s": round((load.total - before) / max(applied_at - started, 1e-3)),
            "numbered_per_s": round((load.total - before) / max(numbered_at - started, 1e-3)),
            "seconds": round(numbered_at - started, 2)}


def main() -> None:
    from deploy.infra import KafkaCluster, PostgresServer, free_port
    from services.common.migrate import apply_migrations

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--companies", type=int, default=600)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--lock-comparison", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="progadmin-bench-") as tmp:
        workdir = Path(tmp)
        pg = PostgresServer(workdir / "pg", free_port())
        cluster = KafkaCluster(workdir / "kafka", 3, min_session_timeout_ms=500)
        pg.start(fast=True)
        cluster.start()
        try:
            for count in args.workers:
                name = f"bench_reporting_{count}"
                with psycopg.connect(pg.admin_url, autocommit=True) as conn:
                    conn.execute(f"CREATE DATABASE {name}")
                url = pg.url(pg.superuser, pg.password, name)
                apply_migrations(url, "reporting")
                settings = Settings.from_env(
                    "reporting", env="test", database_url=url, kafka_bootstrap=cluster.bootstrap,
                    # A starved worker on a busy machine must not be dropped from the group mid-measurement.
                    topic_prefix=f"b{uuid.uuid4().hex[:8]}.", topic_partitions=6, topic_replication=3,
                    consumer_session_timeout_ms=10000, consumer_heartbeat_ms=1000, consumer_poll_ms=100,
                    relay_poll_ms=50)
                broker.ensure_topics(settings)
                result = measure(settings, enrolment_load(args.companies, tag=name), count, workdir)
                print(f"  {count} reporting worker(s): {result['measured']} of {result['events']} events after the"
                      f" group settled: applied {result['applied_per_s']}/s, numbered {result['numbered_per_s']}/s"
                      f" ({result['seconds']} s)", flush=True)
            print(f"  sequencer alone: {sequencer_rate(pg, workdir)} rows/s")
            if args.lock_comparison:
                for consumers, lock in ((1, False), (3, False), (3, True)):
                    rate = apply_rate(pg, consumers, lock, args.companies // 2)
                    print(f"  {consumers} consumer process(es), {'old global lock' if lock else 'no lock'}:"
                          f" {rate} events/s", flush=True)
        finally:
            cluster.stop()
            pg.stop()


def sequencer_rate(pg: Any, workdir: Path, rows: int = 20000) -> int:
    """Pending rows numbered (with their outbox rows) per second on a fresh database."""
    from services.common.migrate import apply_migrations
    from services.reporting.sequencer import Sequencer

    with psycopg.connect(pg.admin_url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE bench_sequencer")
    url = pg.url(pg.superuser, pg.password, "bench_sequencer")
    apply_migrations(url, "reporting")
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO external_events (event_id, event_type, cause_source, cause_id, payload)"
            " SELECT gen_random_uuid(), 'progadmin.reporting.PublicSessionHeld.v1', 'urn:bench', g::text,"
            " jsonb_build_object('specversion', '1.0', 'id', gen_random_uuid(), 'source', 'urn:progadmin:reporting',"
            "  'type', 'progadmin.reporting.PublicSessionHeld.v1', 'subject', gen_random_uuid(), 'time', now(),"
            "  'data', jsonb_build_object('attended', g)) FROM generate_series(1, %s) g", (rows,))
    sequencer = Sequencer(Settings.from_env("reporting", env="test", database_url=url))
    try:
        started = time.perf_counter()
        done = sequencer.drain()
        elapsed = time.perf_counter() - started
    finally:
        sequencer.close()
    return round(done / elapsed)


def apply_rate(pg: Any, consumers: int, lock: bool, companies: int) -> int:
    """Events/s applied by `consumers` processes (disjoint companies, batches of 200 per transaction)."""
    import multiprocessing

    from psycopg.rows import dict_row

    from services.common.migrate import apply_migrations
    from services.reporting import public_events
    from services.reporting.handlers import handlers
    from services.reporting.rebuild import apply_event

    name = f"bench_apply_{consumers}_{int(lock)}"
    with psycopg.connect(pg.admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = pg.url(pg.superuser, pg.password, name)
    apply_migrations(url, "reporting")
    settings = Settings.from_env("reporting", env="test", database_url=url)
    load = enrolment_load(companies, tag=name)
    shards: list[list[Event]] = [[load.opened]] + [[] for _ in range(consumers - 1)]
    for i, events in enumerate(load.companies):
        shards[i % consumers] += events
    publish = public_events.PublicStream.publish

    def locked(self: Any, conn: psycopg.Connection[Any], *args: Any) -> Any:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (0x7075626C6963,))  # held until commit, as before
        return publish(self, conn, *args)

    def work(events: list[Event]) -> None:
        if lock:
            public_events.PublicStream.publish = locked  # type: ignore[method-assign,assignment]
        table = handlers(settings)
        with psycopg.connect(url, row_factory=dict_row) as conn:
            for i in range(0, len(events), 200):
                with conn.transaction():
                    for event in events[i:i + 200]:
                        apply_event(conn, "bench", table, event)

    started = time.perf_counter()
    procs = [multiprocessing.get_context("fork").Process(target=work, args=(shard,)) for shard in shards]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    return round(load.total / (time.perf_counter() - started))


if __name__ == "__main__":
    main()
