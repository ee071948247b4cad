"""End to end: from a write's HTTP response until the report shows it, and until the mail is accepted.

    .venv/bin/python -m bench.end_to_end [--samples 60] [--rate 5]

Starts PostgreSQL, Kafka, the four services (gunicorn) and workers, and an
SMTP sink inside this process that timestamps every accepted message.
At a steady rate (`--rate` writes per second) it measures:
- projection: POST /companies answered -> the company is in reporting's
  `companies` projection (watched by one query every 2 ms);
- mail: POST .../intakes answered -> the intake invitation to the
  company's director is accepted by the SMTP sink;
- baseline: a bare kafka-python produce -> consume round trip on the same
  broker (acks=all), then one PostgreSQL INSERT + commit, at the same rate.
Prints p50/p99 and their ratios to the baseline; writes bench/results/end_to_end.json.
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from bench.platform import Platform, company_body, git_head, intake_body, pct, running, write_results
from services.common import broker


def at_rate(rate: float, n: int, fn: Callable[[int], None]) -> None:
    """Call fn(i) n times, started every 1/rate seconds (a steady arrival rate, not back to back)."""
    start = time.monotonic()
    for i in range(n):
        due = start + i / rate
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        fn(i)


class Watcher(threading.Thread):
    """Polls reporting's projection for the companies written; records when each first shows."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.pending: set[str] = set()
        self.seen: dict[str, float] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                with self.lock:
                    wanted = list(self.pending)
                if wanted:
                    rows = conn.execute("SELECT company_id::text FROM companies WHERE company_id = ANY(%s::uuid[])",
                                        (wanted,)).fetchall()
                    now = time.monotonic()
                    with self.lock:
                        for (cid,) in rows:
                            self.pending.discard(cid)
                            self.seen.setdefault(cid, now)
                self.stop.wait(0.002)


def projection(platform: Platform, samples: int, rate: float) -> list[float]:
    watcher = Watcher(platform.db_urls["reporting"])
    watcher.start()
    answered: dict[str, float] = {}

    def write(i: int) -> None:
        company = platform.http.must("POST", "enrolment", "/companies", company_body(i))
        answered[company["id"]] = time.monotonic()
        with watcher.lock:
            if company["id"] not in watcher.seen:
                watcher.pending.add(company["id"])

    at_rate(rate, samples, write)
    deadline = time.monotonic() + 30
    while watcher.pending and time.monotonic() < deadline:
        time.sleep(0.05)
    watcher.stop.set()
    watcher.join()
    if watcher.pending:
        print(f"  {len(watcher.pending)} companies never showed in the projection")
    return [(watcher.seen[c] - t) * 1000 for c, t in answered.items() if c in watcher.seen]


def mail(platform: Platform, samples: int, rate: float) -> list[float]:
    programme = platform.new_programme()
    prepared = []
    for i in range(samples):
        director = f"directie.{uuid.uuid4().hex[:12]}@bedrijf.example"
        company = platform.new_company(10_000 + i, director)
        prepared.append((platform.enrol(company, programme), director))
    time.sleep(2)  # let the notifications consumer learn the enrolments first (as in real life: days earlier)
    answered: dict[str, float] = {}

    def write(i: int) -> None:
        enrolment, director = prepared[i]
        platform.http.must("POST", "enrolment", f"/enrolments/{enrolment}/intakes", intake_body())
        answered[director] = time.monotonic()

    at_rate(rate, samples, write)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(d not in platform.sink.accepted for d in answered):
        time.sleep(0.05)
    missing = [d for d in answered if d not in platform.sink.accepted]
    if missing:
        print(f"  {len(missing)} intake invitations never arrived")
    return [(platform.sink.accepted[d] - t) * 1000 for d, t in answered.items() if d in platform.sink.accepted]


def baseline(platform: Platform, samples: int, rate: float) -> list[float]:
    """Bare kafka-python produce -> consume on the same broker, then one PostgreSQL commit."""
    topic = "bench.e2e.baseline"
    broker.ensure_topics(platform.settings, [topic])
    producer = KafkaProducer(bootstrap_servers=platform.kafka.bootstrap, acks="all", enable_idempotence=True,
                             linger_ms=0)
    consumer = KafkaConsumer(bootstrap_servers=platform.kafka.bootstrap, group_id=None, enable_auto_commit=False)
    deadline = time.monotonic() + 30
    while not consumer.partitions_for_topic(topic) and time.monotonic() < deadline:  # metadata of a new topic
        time.sleep(0.2)
    tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
    consumer.assign(tps)
    consumer.seek_to_end()
    for tp in tps:
        consumer.position(tp)
    done: dict[int, float] = {}
    stop = threading.Event()
    url = platform.db_urls["reporting"]
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_e2e (id int PRIMARY KEY, at timestamptz DEFAULT now())")
        conn.commit()

    def consume() -> None:
        with psycopg.connect(url) as conn:
            while not stop.is_set():
                for records in consumer.poll(timeout_ms=100).values():
                    for r in records:
                        n = int(r.value)
                        conn.execute("INSERT INTO bench_e2e (id) VALUES (%s) ON CONFLICT DO NOTHING", (n,))
                        conn.commit()
                        done[n] = time.monotonic()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    sent: dict[int, float] = {}

    def produce(i: int) -> None:
        sent[i] = time.monotonic()
        producer.send(topic, key=str(i).encode(), value=str(i).encode())
        producer.flush()

    time.sleep(1)  # the consumer's first fetch is in flight
    warm = 5  # connections, metadata and the table's first pages: not counted, as the platform's warm-up
    at_rate(rate, warm, lambda i: produce(-1 - i))
    at_rate(rate, samples, produce)
    deadline = time.monotonic() + 30
    while len(done) < samples + warm and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join()
    producer.close()
    consumer.close()
    return [(done[i] - t) * 1000 for i, t in sent.items() if i in done and i >= 0]


def summary(name: str, values: list[float], base: dict[str, float] | None) -> dict[str, Any]:
    row: dict[str, Any] = {"samples": len(values), "p50_ms": round(pct(values, 50), 1),
                           "p99_ms": round(pct(values, 99), 1), "max_ms": round(max(values, default=0), 1)}
    if base:
        row["p50_ratio"] = round(row["p50_ms"] / base["p50_ms"], 2) if base["p50_ms"] else None
        row["p99_ratio"] = round(row["p99_ms"] / base["p99_ms"], 2) if base["p99_ms"] else None
    ratios = f"{row.get('p50_ratio', '')!s:>9} {row.get('p99_ratio', '')!s:>9}"
    print(f"  {name:<40} {row['samples']:>7} {row['p50_ms']:>9.1f} {row['p99_ms']:>9.1f} {ratios}")
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.end_to_end", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--rate", type=float, default=5.0, help="writes per second")
    args = parser.parse_args(argv)
    with running() as platform:
        print(f"end to end, {args.samples} samples at {args.rate:g}/s; platform up", flush=True)
        time.sleep(3)  # consumers join their groups
        # Warm up every path (connections, pools, templates) once; the mail path by one intake invitation.
        warm = platform.enrol(platform.new_company(0), platform.new_programme())
        platform.http.must("POST", "enrolment", f"/enrolments/{warm}/intakes", intake_body())
        time.sleep(3)
        base_values = baseline(platform, args.samples, args.rate)
        proj = projection(platform, args.samples, args.rate)
        mails = mail(platform, args.samples, args.rate)
    print(f"  {'what':<40} {'samples':>7} {'p50 ms':>9} {'p99 ms':>9} {'p50 x':>9} {'p99 x':>9}")
    base = summary("baseline: produce->consume + 1 commit", base_values, None)
    rows = {"baseline": base,
            "projection": summary("HTTP answer -> reporting projection", proj, base),
            "mail": summary("HTTP answer -> SMTP accepted (intake)", mails, base)}
    print("goal: p99 within 3x the baseline")
    write_results("end_to_end", {"commit": git_head(), "samples": args.samples, "rate_per_s": args.rate,
                                 "rows": rows, "goal": "p99_ratio <= 3"})


if __name__ == "__main__":
    main()
