"""Benchmark of the event kit against raw baselines measured in the same run.

    .venv/bin/python -m bench.event_kit [--events 20000]

Starts its own PostgreSQL and Kafka (deploy.infra), then prints:
- outbox writes: one event per transaction through Outbox.add (schema
  validation + insert) vs a raw INSERT of the same payload;
- relay: draining the outbox to Kafka vs a raw KafkaProducer with the same
  settings sending the same records;
- consumer: applying events through EventConsumer (dedupe row + effect in
  one transaction, offset commit) vs a raw KafkaConsumer reading them;
- peak memory (max RSS) of this process.
Figures only: nothing here passes or fails. Goals (issue 14): outbox and
relay at least 0.9 of raw. Writes bench/results/event_kit.json.
"""

from __future__ import annotations

import argparse
import json
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

from bench.platform import git_head, write_results
from deploy.infra import KafkaBroker, PostgresServer, free_port
from services.common import broker
from services.common.config import Settings
from services.common.consumer import EventConsumer
from services.common.db import open_pool
from services.common.events import encode, new_event
from services.common.migrate import apply_migrations
from services.common.outbox import Outbox, Relay


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
    n = parser.parse_args().events
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
        broker.ensure_topics(settings, [settings.topic("enrolment"), raw_topic])
        batch = events(n)
        print(f"progadmin event kit, {n} events, PostgreSQL and Kafka on this machine")

        print("outbox writes (one event per transaction)")
        with psycopg.connect(url) as conn:
            conn.execute("CREATE TABLE raw_outbox (id bigserial PRIMARY KEY, payload jsonb NOT NULL)")
            # The same with the outbox's wake-up trigger (NOTIFY at commit): the part of the outbox's
            # cost that buys the relay's immediate wake-up (services/common/wakeup.py).
            conn.execute("CREATE TABLE raw_woken (id bigserial PRIMARY KEY, payload jsonb NOT NULL)")
            conn.execute("CREATE TRIGGER raw_woken_wake AFTER INSERT ON raw_woken"
                         " FOR EACH STATEMENT EXECUTE FUNCTION progadmin_wake('bench')")
            conn.commit()

            def raw_inserts(table: str = "raw_outbox") -> None:
                for e in batch:
                    with conn.transaction():
                        conn.execute(f"INSERT INTO {table} (payload) VALUES (%s)".encode(), (json.dumps(e),))

            def outbox_inserts() -> None:
                outbox = Outbox(settings)
                for e in batch:
                    with conn.transaction():
                        outbox.add(conn, [e])

            for e in batch[: n // 5]:  # warm-up, not timed: the first of three measurements paid it alone
                with conn.transaction():
                    conn.execute("INSERT INTO raw_outbox (payload) VALUES (%s)", (json.dumps(e),))
            raw_w = timed("raw INSERT", n, raw_inserts)
            woken_w = timed("raw INSERT + wake-up trigger", n, lambda: raw_inserts("raw_woken"))
            kit_w = timed("Outbox.add (validated)", n, outbox_inserts)
        print(f"  ratio outbox/raw: {kit_w / raw_w:.2f}  (goal >= 0.9); trigger alone: {woken_w / raw_w:.2f}")

        print("publishing")
        producer = broker.producer(settings)

        def raw_publish() -> None:
            for e in batch:
                producer.send(raw_topic, key=e["subject"].encode(), value=encode(e))
            producer.flush()

        raw_p = timed("raw KafkaProducer (idempotent, acks=all)", n, raw_publish)
        producer.close()
        relay = Relay(settings)
        stop = threading.Event()

        def drain() -> None:
            thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
            thread.start()
            while relay.published < n:
                time.sleep(0.01)
            stop.set()
            thread.join()

        kit_p = timed("outbox relay (read, publish, mark)", n, drain)
        print(f"  ratio relay/raw: {kit_p / raw_p:.2f}  (goal >= 0.9)")

        print("consuming")

        def raw_consume() -> None:
            consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap, group_id=None, auto_offset_reset="earliest",
                                     enable_auto_commit=False)
            tps = [TopicPartition(raw_topic, p) for p in consumer.partitions_for_topic(raw_topic) or []]
            consumer.assign(tps)
            seen = 0
            while seen < n:
                for records in consumer.poll(timeout_ms=500).values():
                    for r in records:
                        json.loads(r.value)
                        seen += 1
            consumer.close()

        raw_c = timed("raw KafkaConsumer (decode only)", n, raw_consume)
        pool = open_pool(settings.with_(consumer_poll_ms=200))
        with psycopg.connect(url) as conn:
            conn.execute("CREATE TABLE effects (company_id text PRIMARY KEY, region text)")

        def effect(conn: psycopg.Connection[Any], event: dict[str, Any]) -> None:
            conn.execute("INSERT INTO effects VALUES (%s, %s) ON CONFLICT DO NOTHING",
                         (event["data"]["company_id"], event["data"]["region"]))

        consumer = EventConsumer(settings, pool, "bench.group", [settings.topic("enrolment")],
                                 {"progadmin.enrolment.CompanyRegistered.v1": effect})

        def kit_consume() -> None:
            while consumer.applied < n:
                consumer.poll_once()

        kit_c = timed("EventConsumer (dedupe + effect + commit)", n, kit_consume)
        consumer.close()
        pool.close()
        print(f"  ratio consumer/raw: {kit_c / raw_c:.2f}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of the benchmark process: {peak:.0f} MiB")
        write_results("event_kit", {"commit": git_head(), "events": n, "per_s": {
            "raw_insert": round(raw_w), "raw_insert_with_wake_trigger": round(woken_w), "outbox_add": round(kit_w),
            "raw_producer": round(raw_p),
            "relay": round(kit_p), "raw_consumer": round(raw_c), "event_consumer": round(kit_c)},
            "ratios": {"outbox": round(kit_w / raw_w, 2), "relay": round(kit_p / raw_p, 2),
                       "consumer": round(kit_c / raw_c, 2)},
            "goals": {"outbox": 0.9, "relay": 0.9}, "peak_rss_mib": round(peak)})
    finally:
        kafka.stop()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
