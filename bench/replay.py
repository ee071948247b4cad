"""Consumer and replay: reporting rebuilding its projections from the topics, against two bare consumers.

    .venv/bin/python -m bench.replay [--companies 40] [--copies 25] [--rounds 3] [--profile]

1. Starts the platform and runs `--companies` companies through the
   enrolment flow over HTTP (programme, company, interest, intake, outcome,
   admission, three delegates), so the topics hold real events, the mails'
   NotificationSent included.
2. Copies those events `--copies` times onto topics of their own, every
   UUID replaced per copy (a copy is another set of companies and people
   with the same history), and migrates a reporting database of its own.
3. Measures, on those topics, events per second of:
   - `services.reporting.rebuild.rebuild` (the real thing: truncate, replay
     every topic, one transaction);
   - baseline A: a bare kafka-python consumer that only decodes (json.loads);
   - baseline B: a bare consumer that decodes and applies the SAME SQL the
     rebuild ran (recorded from a traced rebuild) in batched transactions,
     pipelined, one transaction per poll, waiting for the answers the
     rebuild read (its SELECTs and claims) as any consumer using them must;
     "B unread" is the same without waiting for any answer (a floor).
   The three are measured in interleaved rounds, each figure the median.
Goals: rebuild >= 0.5 of A and >= 0.9 of B. `--profile` saves a cProfile of
one rebuild in bench/profiles/replay.prof (+ .txt, top functions).
Writes bench/results/replay.json.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import statistics
import time
import uuid
from typing import Any

import psycopg
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from bench.platform import PROFILES, Platform, git_head, running, write_results
from services.common import broker
from services.common.config import Settings
from services.common.migrate import apply_migrations
from services.reporting import db as reporting_db
from services.reporting import rebuild as rebuild_module
from services.reporting.settings import ReportingSettings

SOURCES = ("enrolment", "sessions", "notifications")
_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def history(platform: Platform, companies: int) -> None:
    programme = platform.new_programme(max_delegates=10)
    for n in range(companies):
        enrolment = platform.enrol(platform.new_company(n), programme)
        platform.admit(enrolment)
        for k in range(3):
            platform.http.must("POST", "enrolment", f"/enrolments/{enrolment}/delegates", {
                "name": f"Deelnemer {n}-{k}", "email": f"deelnemer.{uuid.uuid4().hex[:10]}@bedrijf.example",
                "language": "nl", "job_level": "manager"})


def read_all(bootstrap: str, topics: list[str]) -> list[tuple[str, bytes | None, bytes | None, Any]]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    tps = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or []]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    end = consumer.end_offsets(tps)
    out = []
    while any(consumer.position(tp) < end[tp] for tp in tps):
        for tp, records in consumer.poll(timeout_ms=500).items():
            out += [(tp.topic, r.key, r.value, r.headers) for r in records]
    consumer.close()
    return out


def copy_events(records: list[tuple[str, bytes | None, bytes | None, Any]], settings: Settings,
                copies: int, prefix: str) -> int:
    """Produce `copies` copies of the records onto `prefix` topics, each copy with its own UUIDs."""
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=20,
                             batch_size=256 * 1024)
    n = 0
    for c in range(copies):
        space = uuid.uuid4()
        mapping: dict[bytes, bytes] = {}

        def remap(m: re.Match[bytes], mapping: dict[bytes, bytes] = mapping, space: uuid.UUID = space) -> bytes:
            old = m.group(0)
            if old not in mapping:
                mapping[old] = str(uuid.uuid5(space, old.decode())).encode()
            return mapping[old]

        for topic, key, value, headers in records:
            new_topic = topic.replace(settings.topic_prefix + "progadmin.", prefix + "progadmin.", 1)
            producer.send(new_topic, key=_UUID.sub(remap, key) if key else key,
                          value=_UUID.sub(remap, value) if value else value, headers=headers)
            n += 1
        if c % 5 == 4:
            producer.flush()
    producer.flush()
    producer.close()
    return n


class TracingCursor(psycopg.Cursor[Any]):
    """Records every statement, its parameters and whether its answer was read, for baseline B."""

    log: list[list[Any]] = []  # [query, params, read]

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        self._traced = len(TracingCursor.log)
        TracingCursor.log.append([query, params, False])
        return super().execute(query, params, **kwargs)

    def _read(self) -> None:
        if getattr(self, "_traced", None) is not None:
            TracingCursor.log[self._traced][2] = True

    def fetchone(self) -> Any:
        self._read()
        return super().fetchone()

    def fetchall(self) -> Any:
        self._read()
        return super().fetchall()

    def fetchmany(self, size: int = 0) -> Any:
        self._read()
        return super().fetchmany(size)


def traced_rebuild(settings: ReportingSettings) -> list[list[Any]]:
    original = psycopg.connect
    TracingCursor.log = []

    def connect(*args: Any, **kwargs: Any) -> Any:
        conn = original(*args, **kwargs)
        conn.cursor_factory = TracingCursor
        return conn

    psycopg.connect = connect
    try:
        rebuild_module.rebuild(settings)
    finally:
        psycopg.connect = original
    return list(TracingCursor.log)


def reset(settings: Settings) -> None:
    """Back to before the first rebuild: no projections, no processed events, no public events nor their outbox rows.

    The rebuild keeps the public stream (a source event published before is never published again),
    so each measured run starts from an empty one and does the same work as the traced run.
    """
    with psycopg.connect(settings.database_url) as conn:
        kept = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'external%'")]
        reporting_db.truncate_projections(conn)
        tables = ", ".join(["processed_events", "outbox", *kept])
        conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE".encode())


def topics_of(settings: Settings) -> list[str]:
    return [settings.topic(s) for s in SOURCES]


def bare_decode(settings: Settings, total: int) -> float:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False)
    tps = [TopicPartition(t, p) for t in topics_of(settings) for p in consumer.partitions_for_topic(t) or []]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    started = time.perf_counter()
    seen = 0
    while seen < total:
        for records in consumer.poll(timeout_ms=500).values():
            for r in records:
                if r.value is not None:
                    json.loads(r.value)
                seen += 1
    elapsed = time.perf_counter() - started
    consumer.close()
    return total / elapsed


def bare_apply(settings: Settings, total: int, statements: list[list[Any]], await_reads: bool = True) -> float:
    """Decode every record and run the traced statements, spread over the polls, one transaction per poll.

    Pipelined; with `await_reads` a statement whose answer the rebuild read
    (a SELECT, the batch's claim ... RETURNING) is waited for as the rebuild
    must, so it ends the pipeline's run of unanswered statements there too.
    Without it every answer is left unread: a floor no consumer that uses
    what it reads can reach.
    """
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False)
    tps = [TopicPartition(t, p) for t in topics_of(settings) for p in consumer.partitions_for_topic(t) or []]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    per_event = len(statements) / total
    reset(settings)
    with psycopg.connect(settings.database_url) as conn:
        started = time.perf_counter()
        seen, done = 0, 0
        while seen < total:
            batch = consumer.poll(timeout_ms=500)
            for records in batch.values():
                for r in records:
                    if r.value is not None:
                        json.loads(r.value)
                    seen += 1
            upto = len(statements) if seen >= total else int(seen * per_event)
            with conn.pipeline(), conn.transaction():
                for query, params, read in statements[done:upto]:
                    cur = conn.execute(query, params, prepare=True)
                    if read and await_reads:
                        cur.fetchall()
            done = upto
        elapsed = time.perf_counter() - started
    consumer.close()
    return total / elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.replay", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--companies", type=int, default=40)
    parser.add_argument("--copies", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    with running() as platform:
        print("replay: platform up; writing the history over HTTP", flush=True)
        history(platform, args.companies)
        time.sleep(8)  # the relays and the notifications sender finish
        records = read_all(platform.kafka.bootstrap, [platform.settings.topic(s) for s in SOURCES])
        platform.stack.stop()  # measured alone from here on
        url = platform.pg.ensure_service_database("reporting", "bench", dbname="bench_replay")
        apply_migrations(url, "reporting")
        settings = ReportingSettings.from_env(env="test", database_url=url, kafka_bootstrap=platform.kafka.bootstrap,
                                              topic_prefix="replay.")
        broker.ensure_topics(settings, topics_of(settings))
        total = copy_events(records, platform.settings, args.copies, "replay.")
        print(f"  {len(records)} events from the platform, {total} on the replay topics", flush=True)
        reset(settings)
        statements = traced_rebuild(settings)
        print(f"  a traced rebuild ran {len(statements)} statements ({len(statements) / total:.1f} per event)",
              flush=True)
        # Rounds interleave the three, each figure the median of its rounds: on a machine others load too,
        # a slow spell then hits every measurement alike instead of one of them.
        load_before = os.getloadavg()
        rounds: dict[str, list[float]] = {"a": [], "b": [], "b_unread": [], "rebuild": []}
        # This process's CPU time per event (µs) beside the rate: what the client side costs, whoever waits.
        cpu: dict[str, list[float]] = {k: [] for k in rounds}
        result = rebuild_module.RebuildResult()
        phases: list[dict[str, float]] = []  # each rebuild's seconds per phase: where a slow one waited

        def measure(key: str, fn: Any, *fn_args: Any) -> None:
            before = time.process_time()
            rounds[key].append(fn(*fn_args))
            cpu[key].append((time.process_time() - before) / total * 1e6)

        def timed_rebuild() -> float:
            nonlocal result
            reset(settings)
            started = time.perf_counter()
            result = rebuild_module.rebuild(settings)
            phases.append(result.phases)
            return result.applied / (time.perf_counter() - started)

        for n in range(args.rounds):
            measure("a", bare_decode, settings, total)
            measure("b", bare_apply, settings, total, statements)
            measure("b_unread", bare_apply, settings, total, statements, False)
            measure("rebuild", timed_rebuild)
            print(f"  round {n + 1}: " + ", ".join(f"{k} {v[-1]:.0f}/s ({cpu[k][-1]:.0f} µs CPU)"
                                                   for k, v in rounds.items()), flush=True)
            print(f"    rebuild phases (s): {phases[-1]}", flush=True)
        load_after = os.getloadavg()
        base_a, base_b, base_b_unread, kit = (statistics.median(rounds[k]) for k in ("a", "b", "b_unread", "rebuild"))
        if args.profile:
            PROFILES.mkdir(exist_ok=True)
            reset(settings)
            profiler = cProfile.Profile()
            profiler.runcall(rebuild_module.rebuild, settings)
            profiler.dump_stats(PROFILES / "replay.prof")
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(40)
            (PROFILES / "replay.txt").write_text(text.getvalue())
            print(f"  profile saved in {PROFILES / 'replay.prof'} (top functions in replay.txt)")
    print(f"  {'what':<52} {'events/s':>9} {'ratio':>6}")
    print(f"  {'A: bare consume, decode only':<52} {base_a:>9.0f}")
    print(f"  {'B: bare consume + the same SQL, batched, pipelined':<52} {base_b:>9.0f}")
    print(f"  {'B unread: B without waiting for any answer':<52} {base_b_unread:>9.0f}")
    print(f"  {'reporting rebuild':<52} {kit:>9.0f}")
    print(f"  rebuild / A: {kit / base_a:.2f} (goal >= 0.5)   rebuild / B: {kit / base_b:.2f} (goal >= 0.9)"
          f"   rebuild / B unread: {kit / base_b_unread:.2f}")
    print("  this process's CPU per event (µs, median): "
          + ", ".join(f"{k} {statistics.median(v):.0f}" for k, v in cpu.items()))
    print(f"  load average before {load_before[0]:.2f}, after {load_after[0]:.2f}; medians of {args.rounds} rounds")
    write_results("replay", {"commit": git_head(), "events": total, "applied": result.applied,
                             "rebuild_phases_s": phases,
                             "statements_per_event": round(len(statements) / total, 2),
                             "reads_awaited_per_event": round(sum(1 for st in statements if st[2]) / total, 2),
                             "load": {"before": load_before, "after": load_after},
                             "rounds": {k: [round(x) for x in v] for k, v in rounds.items()},
                             "client_cpu_us_per_event": {k: round(statistics.median(v)) for k, v in cpu.items()},
                             "per_s": {"bare_decode": round(base_a), "bare_same_sql": round(base_b),
                                       "bare_same_sql_unread": round(base_b_unread), "rebuild": round(kit)},
                             "ratios": {"vs_decode": round(kit / base_a, 2), "vs_same_sql": round(kit / base_b, 2),
                                        "vs_same_sql_unread": round(kit / base_b_unread, 2)},
                             "goals": {"vs_decode": 0.5, "vs_same_sql": 0.9}})


if __name__ == "__main__":
    main()
