"""Benchmark of the event kit against raw baselines measured in the same run.

    .venv/bin/python -m bench.event_kit [--events 20000] [--rounds 3] [--profile]

Starts its own PostgreSQL and Kafka (deploy.infra), then prints:
- outbox writes: one event per transaction through Outbox.add (schema
  validation + insert) vs the same INSERT into the same outbox table (its
  indexes and wake-up trigger) done directly with psycopg; a bare table's
  INSERT (key only, no trigger) for reference;
- relay: publishing outbox rows to Kafka (the relay's own loop, woken as by
  a write: read, publish, wait for the acks, mark) vs a raw KafkaProducer
  with the same settings sending the same records (key, value bytes,
  headers, made beforehand) to a twin topic and waiting for their acks;
- consumer: applying events through EventConsumer (dedupe row + effect in
  one transaction, offset commit) vs a raw KafkaConsumer reading them;
- peak memory (max RSS) of this process and the load average.
`--profile` then runs the relay and the consumer once more, untimed, under
cProfile (bench/profiles/event_kit_relay.*, event_kit_consumer.*).
Kit and baseline are interleaved (writes event by event, publishing round by
round, `--rounds`): the machine is shared, and a slow spell then hits both
alike. Each figure is over all rounds; the rounds' own are printed beside.
Figures only: nothing here passes or fails. Goals (issue 14): outbox and
relay at least 0.9 of raw. Writes bench/results/event_kit.json.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import json
import os
import pstats
import resource
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from kafka import KafkaConsumer, TopicPartition

from bench.platform import PROFILES, git_head, write_results
from deploy.infra import KafkaBroker, PostgresServer, free_port
from services.common import broker
from services.common.config import Settings
from services.common.consumer import EventConsumer
from services.common.db import open_pool
from services.common.events import new_event
from services.common.migrate import apply_migrations
from services.common.outbox import CONTENT_TYPE, Outbox, Relay
from services.common.topic_specs import TOPICS


def show(label: str, value: float, rounds: list[float]) -> None:
    print(f"  {label:<56} {value:8.0f}/s  (rounds: {', '.join(f'{x:.0f}' for x in rounds)})")


def profiled(name: str, fn: Callable[..., Any], *args: Any) -> None:
    """cProfile of fn in this thread: bench/profiles/event_kit_<name>.prof and .txt (top functions)."""
    profiler = cProfile.Profile()
    profiler.runcall(fn, *args)
    PROFILES.mkdir(exist_ok=True)
    profiler.dump_stats(PROFILES / f"event_kit_{name}.prof")
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(40)
    (PROFILES / f"event_kit_{name}.txt").write_text(text.getvalue())
    print(f"  profile of the {name} saved in {PROFILES / f'event_kit_{name}.prof'} (top functions in .txt)")


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.01)


def timed(label: str, n: int, fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    rate = n / elapsed
    print(f"  {label:<44} {n:>7} in {elapsed:6.2f}s = {rate:10.0f}/s")
    return rate


def events(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        company = str(uuid.uuid4())
        out.append(new_event("enrolment", "CompanyRegistered", company, {
            "company_id": company, "name": f"Bouwbedrijf {i}", "kvk_number": f"{i % 10**8:08d}", "region": "Noord"}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="also cProfile the relay and the consumer, untimed")
    args = parser.parse_args()
    n, rounds = args.events, args.rounds
    work = Path(tempfile.mkdtemp(prefix="progadmin-bench-"))
    pg = PostgresServer(work / "pg", free_port())
    kafka = KafkaBroker(work / "kafka", free_port(), free_port(), default_partitions=6)
    pg.start()
    kafka.start()
    try:
        url = pg.ensure_service_database("enrolment", "bench")
        apply_migrations(url, "enrolment")
        settings = Settings.from_env("enrolment", database_url=url, kafka_bootstrap=kafka.bootstrap,
                                     topic_prefix="bench.", relay_poll_ms=20)
        raw_topic = "bench.raw"
        # The raw producer's topic is the relay's twin: same partitions, same config.
        spec = next(t for t in TOPICS(settings) if t.name == settings.topic("enrolment"))
        broker.ensure_topics(settings, [spec, dataclasses.replace(spec, name=raw_topic)])
        batch, batch_copy, warm = events(n), events(n), events(n // 5)
        load_before = os.getloadavg()
        print(f"progadmin event kit, {n} events, PostgreSQL and Kafka on this machine")

        # Interleaved, because the machine is shared and a slow spell (another process's fsync, a
        # checkpoint) must hit a kit figure and its baseline alike: writes alternate event by event,
        # publishing alternates round by round; each figure is over all rounds, with each round's beside it.
        chunk = n // rounds
        published = rounds * chunk
        print(f"outbox writes (one event per transaction, alternating, {rounds} rounds of {chunk})")
        insert = "INSERT INTO outbox (event_id, topic, message_key, event_type, payload) VALUES (%s, %s, %s, %s, %s)"
        with psycopg.connect(url) as conn:
            # Beside the baseline, for reference: a bare table (no indexes but its key, no wake-up trigger).
            conn.execute("CREATE TABLE raw_outbox (id bigserial PRIMARY KEY, payload jsonb NOT NULL)")
            conn.commit()
            outbox = Outbox(settings)
            topic = settings.topic("enrolment")

            def same_sql(e: dict[str, Any]) -> None:
                # The outbox's own INSERT into the outbox table (its indexes and wake-up trigger), no kit.
                with conn.transaction():
                    conn.execute(insert, (e["id"], topic, e["subject"], e["type"], json.dumps(e)))

            def bare_table(e: dict[str, Any]) -> None:
                with conn.transaction():
                    conn.execute("INSERT INTO raw_outbox (payload) VALUES (%s)", (json.dumps(e),))

            def outbox_add(e: dict[str, Any]) -> None:
                with conn.transaction():
                    outbox.add(conn, [e])

            for e in warm:  # warm-up, not timed
                bare_table(e)
            with conn.transaction():
                conn.execute("TRUNCATE raw_outbox")
            writes: dict[str, list[float]] = {"same_sql": [], "outbox_add": [], "bare_table": []}
            spent = dict.fromkeys(writes, 0.0)
            for r in range(rounds):
                this_round = dict.fromkeys(writes, 0.0)
                for i in range(r * chunk, (r + 1) * chunk):
                    order = [("same_sql", same_sql, batch_copy[i]), ("outbox_add", outbox_add, batch[i])]
                    for key, write, e in [*(order if i % 2 else order[::-1]), ("bare_table", bare_table, batch[i])]:
                        started = time.perf_counter()
                        write(e)
                        this_round[key] += time.perf_counter() - started
                for key, seconds in this_round.items():
                    writes[key].append(chunk / seconds)
                    spent[key] += seconds
        raw_w, kit_w, bare_w = (published / spent[k] for k in ("same_sql", "outbox_add", "bare_table"))
        show("raw INSERT, the outbox's SQL and table", raw_w, writes["same_sql"])
        show("Outbox.add (validated)", kit_w, writes["outbox_add"])
        show("(reference) INSERT into a bare table", bare_w, writes["bare_table"])
        print(f"  ratio outbox/raw: {kit_w / raw_w:.2f}  (goal >= 0.9)")

        print(f"publishing ({rounds} alternating rounds of {chunk} outbox rows)")
        with psycopg.connect(url) as conn:
            # The written rows are staged and the outbox emptied: each round inserts fresh rows, as writes do.
            conn.execute("CREATE TABLE staged AS SELECT row_number() OVER (ORDER BY id) AS n, event_id, topic,"
                         " message_key, event_type, payload FROM outbox")
            # The raw producer sends the very records the relay sends (key, value bytes, headers), made
            # beforehand: its figure is the producer's alone, the relay's adds everything the relay does.
            records = [(key.encode(), payload.encode(), [("content-type", CONTENT_TYPE), ("ce_type", type_.encode())])
                       for key, type_, payload in conn.execute(
                           "SELECT message_key, event_type, payload::text FROM staged ORDER BY n")]
            conn.execute("TRUNCATE outbox")
            conn.commit()
        producer = broker.producer(settings)
        for key, value, headers in records[-200:]:  # warm-up (connection, metadata), not timed
            producer.send(raw_topic, key=key, value=value, headers=headers)
        producer.flush()
        relay = Relay(settings)
        stop = threading.Event()
        relay_thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
        relay_thread.start()  # idle on LISTEN, as in a worker
        wait_for(lambda: relay.holds_lock, "the relay holds the outbox lock")
        with psycopg.connect(url) as conn:  # warm-up (its producer's connection, metadata), not timed
            Outbox(settings).add(conn, warm[:200])
        wait_for(lambda: relay.published >= 200, "the relay's warm-up")

        def raw_publish(r: int) -> float:
            started = time.perf_counter()
            for key, value, headers in records[r * chunk:(r + 1) * chunk]:
                producer.send(raw_topic, key=key, value=value, headers=headers)
            producer.flush()
            return chunk / (time.perf_counter() - started)

        def relay_publish(r: int) -> float:
            """From the commit of a round's rows (its trigger wakes the relay) until the relay marked them all."""
            target = relay.published + chunk
            with psycopg.connect(url) as conn:
                conn.execute("INSERT INTO outbox (event_id, topic, message_key, event_type, payload)"
                             " SELECT event_id, topic, message_key, event_type, payload FROM staged"
                             " WHERE n > %s AND n <= %s ORDER BY n", (r * chunk, (r + 1) * chunk))
                started = time.perf_counter()
                conn.commit()
            while relay.published < target:
                time.sleep(0.001)
            return chunk / (time.perf_counter() - started)

        publishing: dict[str, list[float]] = {"raw_producer": [], "relay": []}
        for r in range(rounds):
            publishing["raw_producer"].append(raw_publish(r))
            publishing["relay"].append(relay_publish(r))
        stop.set()
        relay_thread.join(30)
        producer.close()
        raw_p, kit_p = (published / sum(chunk / x for x in publishing[k]) for k in ("raw_producer", "relay"))
        show("raw KafkaProducer (idempotent, acks=all, same settings)", raw_p, publishing["raw_producer"])
        show("outbox relay (woken by the commit; read, publish, mark)", kit_p, publishing["relay"])
        print(f"  ratio relay/raw: {kit_p / raw_p:.2f}  (goal >= 0.9)")

        print(f"consuming ({published} events)")

        def raw_consume() -> None:
            consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap, group_id=None, auto_offset_reset="earliest",
                                     enable_auto_commit=False)
            tps = [TopicPartition(raw_topic, p) for p in consumer.partitions_for_topic(raw_topic) or []]
            consumer.assign(tps)
            seen = 0
            while seen < published:
                for records in consumer.poll(timeout_ms=500).values():
                    for r in records:
                        json.loads(r.value)
                        seen += 1
            consumer.close()

        raw_c = timed("raw KafkaConsumer (decode only)", published, raw_consume)
        pool = open_pool(settings.with_(consumer_poll_ms=200))
        with psycopg.connect(url) as conn:
            conn.execute("CREATE TABLE effects (company_id text PRIMARY KEY, region text)")

        def effect(conn: psycopg.Connection[Any], event: dict[str, Any]) -> None:
            conn.execute("INSERT INTO effects VALUES (%s, %s) ON CONFLICT DO NOTHING",
                         (event["data"]["company_id"], event["data"]["region"]))

        consumer = EventConsumer(settings, pool, "bench.group", [settings.topic("enrolment")],
                                 {"progadmin.enrolment.CompanyRegistered.v1": effect})

        def kit_consume() -> None:
            while consumer.applied < published:
                consumer.poll_once()

        kit_c = timed("EventConsumer (dedupe + effect + commit)", published, kit_consume)
        if args.profile:  # the same events once more, for a group of their own
            again = EventConsumer(settings, pool, "bench.profiled", [settings.topic("enrolment")],
                                  {"progadmin.enrolment.CompanyRegistered.v1": effect})

            def consume_again() -> None:
                while again.applied + again.skipped < published:
                    again.poll_once()

            profiled("consumer", consume_again)
            again.close()
        consumer.close()
        pool.close()
        print(f"  ratio consumer/raw: {kit_c / raw_c:.2f}")
        if args.profile:  # the relay's own loop in this thread, on the staged rows the rounds left
            relay_profile = Relay(settings)
            done = threading.Event()
            with psycopg.connect(url) as conn:
                conn.execute("INSERT INTO outbox (event_id, topic, message_key, event_type, payload)"
                             " SELECT event_id, topic, message_key, event_type, payload FROM staged"
                             " WHERE n > %s ORDER BY n", (published,))
            left = len(records) - published

            def stop_when_drained() -> None:
                wait_for(lambda: relay_profile.published >= left, "the profiled relay drained the outbox")
                done.set()

            threading.Thread(target=stop_when_drained, daemon=True).start()
            profiled("relay", relay_profile.run, done)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of the benchmark process: {peak:.0f} MiB")
        load_after = os.getloadavg()
        print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
        write_results("event_kit", {
            "commit": git_head(), "events": n, "rounds": rounds, "load": {"before": load_before, "after": load_after},
            "per_s": {"raw_insert_same_sql": round(raw_w), "outbox_add": round(kit_w),
                      "insert_bare_table": round(bare_w), "raw_producer": round(raw_p), "relay": round(kit_p),
                      "raw_consumer": round(raw_c), "event_consumer": round(kit_c)},
            "per_round": {**{k: [round(x) for x in v] for k, v in writes.items()},
                          **{k: [round(x) for x in v] for k, v in publishing.items()}},
            "ratios": {"outbox": round(kit_w / raw_w, 2), "relay": round(kit_p / raw_p, 2),
                       "consumer": round(kit_c / raw_c, 2)},
            "goals": {"outbox": 0.9, "relay": 0.9}, "peak_rss_mib": round(peak)})
    finally:
        kafka.stop()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
