"""HTTP write path: registering companies and participants through gunicorn, against the same SQL in psycopg.

    .venv/bin/python -m bench.http_writes [--writes 400] [--clients 1,8,32]

Starts the platform (bench.platform). For each number of concurrent clients
it sends `--writes` POSTs in all, each with an Idempotency-Key and a
development token, and measures writes/s and latency p50/p99:
- company: POST /api/v1/companies (one director);
- participant: POST /api/v1/enrolments/{id}/delegates (each client has
  enrolments of its own, admitted beforehand, so clients do not queue on
  one enrolment's lock).
Baseline: the same statements straight through psycopg from the same number
of threads, one transaction per write, on the same database: claim the
idempotency key, insert the state rows (person, company and its director
link; or lock the enrolment, read the programme and current delegates,
insert person and delegate), the outbox row, the audit row, store the
response. What the baseline leaves out is the service itself: HTTP,
gunicorn, Flask, authentication, validation, JSON.
Also samples the resident memory of every platform process, at rest and
under this load (bench.memory prints that part).
Writes bench/results/http_writes.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from bench.platform import (
    REGION,
    Platform,
    company_body,
    delegate_body,
    git_head,
    pct,
    rss_mb,
    running,
    write_results,
)
from services.common.events import new_event


class MemorySampler(threading.Thread):
    """Peak RSS per platform process (a web counts its gunicorn master and workers separately)."""

    def __init__(self, platform: Platform) -> None:
        super().__init__(daemon=True)
        self.platform = platform
        self.peak: dict[str, float] = {}
        self.stop = threading.Event()

    def snapshot(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, pids in self.platform.pids().items():
            for k, pid in enumerate(pids):
                label = name if k == 0 else f"{name} worker {k}"
                out[label] = rss_mb(pid)
        return out

    def run(self) -> None:
        while not self.stop.wait(0.25):
            for label, mb in self.snapshot().items():
                self.peak[label] = max(self.peak.get(label, 0.0), mb)


def post(url: str, path: str, token: str, body: dict[str, Any]) -> int:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    try:
        conn.request("POST", f"/api/v1{path}", body=json.dumps(body), headers={
            "Content-Type": "application/json", "Accept": "application/json", "Authorization": f"Bearer {token}",
            "Idempotency-Key": str(uuid.uuid4())})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def drive(clients: int, writes: int, one: Callable[[int, int], None]) -> dict[str, Any]:
    """`clients` threads share `writes` calls of one(client, n); return rate and latencies."""
    per_client = [writes // clients + (1 if c < writes % clients else 0) for c in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    barrier = threading.Barrier(clients + 1)

    def client(c: int) -> None:
        barrier.wait()
        for n in range(per_client[c]):
            started = time.perf_counter()
            try:
                one(c, n)
            except Exception as exc:  # counted, shown, and the figure is marked
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            latencies[c].append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    flat = [x for lat in latencies for x in lat]
    return {"clients": clients, "writes": len(flat), "errors": len(errors), "first_error": errors[:1],
            "seconds": round(elapsed, 2), "per_s": round(len(flat) / elapsed, 1),
            "p50_ms": round(pct(flat, 50), 1), "p99_ms": round(pct(flat, 99), 1)}


# -- the same SQL, straight through psycopg ------------------------------------------------
def raw_company(conn: psycopg.Connection[Any], n: int) -> None:
    body = company_body(n)
    company_id, person_id = uuid.uuid4(), uuid.uuid4()
    event = new_event("enrolment", "CompanyRegistered", str(company_id), {
        "company_id": str(company_id), "name": body["name"], "kvk_number": body["kvk_number"], "region": REGION})
    with conn.transaction():
        key = str(uuid.uuid4())
        conn.execute("INSERT INTO idempotency_keys (principal, idem_key, method, path, request_hash)"
                     " VALUES (%s, %s, 'POST', '/api/v1/companies', %s) ON CONFLICT DO NOTHING",
                     ("bench", key, key))
        director = body["directors"][0]
        conn.execute("INSERT INTO persons (id, name, email, phone, language) VALUES (%s, %s, %s, %s, %s) RETURNING *",
                     (person_id, director["name"], director["email"], None, "nl")).fetchone()
        conn.execute("INSERT INTO companies (id, name, kvk_number, region, street, postal_code, city, size,"
                     " contact_person_id) VALUES (%s, %s, %s, %s, '', '', '', NULL, NULL)"
                     " ON CONFLICT (kvk_number) DO NOTHING RETURNING *",
                     (company_id, body["name"], body["kvk_number"], REGION)).fetchone()
        conn.execute("DELETE FROM company_directors WHERE company_id = %s", (company_id,))
        conn.execute("INSERT INTO company_directors (company_id, person_id, role, position) VALUES (%s, %s, %s, 0)",
                     (company_id, person_id, "director"))
        conn.execute("INSERT INTO outbox (event_id, topic, message_key, event_type, payload)"
                     " VALUES (%s, %s, %s, %s, %s)", (event["id"], "bench.raw", str(company_id), event["type"],
                                                      json.dumps(event)))
        conn.execute("INSERT INTO audit_log (actor, actor_roles, action, subject_type, subject_id, details,"
                     " correlation_id) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                     ("bench", ["fund_admin"], "company.register", "company", str(company_id),
                      Jsonb({"kvk_number": body["kvk_number"]}), str(uuid.uuid4())))
        conn.execute("UPDATE idempotency_keys SET status_code = 201, response_body = %s, response_headers = %s"
                     " WHERE principal = %s AND idem_key = %s",
                     (json.dumps(body).encode(), Jsonb({"Location": "/x"}), "bench", key))


def raw_delegate(conn: psycopg.Connection[Any], enrolment_id: str, n: int) -> None:
    body = delegate_body(n)
    person_id = uuid.uuid4()
    event = new_event("enrolment", "ParticipantDelegated", enrolment_id, {"enrolment_id": enrolment_id})
    with conn.transaction():
        key = str(uuid.uuid4())
        conn.execute("INSERT INTO idempotency_keys (principal, idem_key, method, path, request_hash)"
                     " VALUES (%s, %s, 'POST', '/api/v1/enrolments/x/delegates', %s) ON CONFLICT DO NOTHING",
                     ("bench", key, key))
        conn.execute("SELECT id FROM enrolments WHERE id = %s FOR UPDATE", (enrolment_id,)).fetchone()
        conn.execute("SELECT p.* FROM programmes p JOIN enrolments e ON e.programme_id = p.id WHERE e.id = %s"
                     " FOR SHARE OF p", (enrolment_id,)).fetchone()
        conn.execute("SELECT * FROM delegates WHERE enrolment_id = %s AND removed_on IS NULL",
                     (enrolment_id,)).fetchall()
        conn.execute("INSERT INTO persons (id, name, email, phone, language) VALUES (%s, %s, %s, %s, %s) RETURNING *",
                     (person_id, body["name"], body["email"], None, "nl")).fetchone()
        conn.execute("INSERT INTO delegates (enrolment_id, person_id, job_level, below_management, delegated_on)"
                     " VALUES (%s, %s, %s, false, %s)", (enrolment_id, person_id, "manager", date.today()))
        conn.execute("INSERT INTO outbox (event_id, topic, message_key, event_type, payload)"
                     " VALUES (%s, %s, %s, %s, %s)", (event["id"], "bench.raw", enrolment_id, event["type"],
                                                      json.dumps({**event, "data": body})))
        conn.execute("INSERT INTO audit_log (actor, actor_roles, action, subject_type, subject_id, details,"
                     " correlation_id) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                     ("bench", ["fund_admin"], "delegate.add", "enrolment", enrolment_id,
                      Jsonb({"person_id": str(person_id)}), str(uuid.uuid4())))
        conn.execute("SELECT * FROM delegates WHERE enrolment_id = %s AND person_id = %s",
                     (enrolment_id, person_id)).fetchone()
        conn.execute("UPDATE idempotency_keys SET status_code = 201, response_body = %s, response_headers = %s"
                     " WHERE principal = %s AND idem_key = %s",
                     (json.dumps(body).encode(), Jsonb({"Location": "/x"}), "bench", key))


def raw_drive(url: str, clients: int, writes: int, one: Callable[[psycopg.Connection[Any], int, int], None]
              ) -> dict[str, Any]:
    conns = [psycopg.connect(url) for _ in range(clients)]
    try:
        return drive(clients, writes, lambda c, n: one(conns[c], c, n))
    finally:
        for conn in conns:
            conn.close()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.http_writes", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--writes", type=int, default=400, help="writes per measurement")
    parser.add_argument("--clients", default="1,8,32")
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.clients.split(",")]
    rows: list[dict[str, Any]] = []
    memory: dict[str, Any] = {}
    with running() as platform:
        url = platform.stack.urls["enrolment"]
        token = platform.http.token
        print(f"HTTP writes, {args.writes} per measurement; platform up", flush=True)
        sampler = MemorySampler(platform)
        time.sleep(5)  # workers settle (consumer groups joined, topics known)
        memory["at_rest_mb"] = {k: round(v, 1) for k, v in sampler.snapshot().items()}
        # Participants need admitted enrolments: each client gets its own (up to 100 delegates each).
        programme = platform.new_programme(max_delegates=100)
        enrolments: dict[int, list[list[str]]] = {}  # clients -> each client's enrolments
        for clients in levels:
            per_client = -(-args.writes // clients)
            enrolments[clients] = []
            for c in range(clients):
                mine = []
                for _ in range(-(-per_client // 100)):
                    enrolment = platform.enrol(platform.new_company(c), programme)
                    platform.admit(enrolment)
                    mine.append(enrolment)
                enrolments[clients].append(mine)
        print("  enrolments admitted for the participant runs", flush=True)
        raw_url = platform.db_urls["enrolment"]
        sampler.start()
        print(f"  {'what':<36} {'clients':>7} {'writes/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6}  errors",
              flush=True)
        for clients in levels:
            own = enrolments[clients]

            def enrolment_of(c: int, n: int, own: list[list[str]] = own) -> str:
                return own[c][n // 100]

            cases: list[tuple[str, Callable[[int, int], None], Callable[[psycopg.Connection[Any], int, int], None]]]
            cases = [
                ("register company", lambda c, n: _ok(post(url, "/companies", token, company_body(n)), 201),
                 lambda conn, c, n: raw_company(conn, n)),
                ("register participant",
                 lambda c, n: _ok(post(url, f"/enrolments/{enrolment_of(c, n)}/delegates", token,
                                       delegate_body(n)), 201),
                 lambda conn, c, n: raw_delegate(conn, enrolment_of(c, n), n)),
            ]
            for what, via_http, via_sql in cases:
                service = drive(clients, args.writes, via_http)
                base = raw_drive(raw_url, clients, args.writes, via_sql)
                ratio = round(service["per_s"] / base["per_s"], 2) if base["per_s"] else None
                rows.append({"what": what, "service": service, "baseline": base, "ratio": ratio})
                print(f"  {what + ' (HTTP)':<36} {clients:>7} {service['per_s']:>9.1f} {service['p50_ms']:>8.1f}"
                      f" {service['p99_ms']:>8.1f} {ratio!s:>6}  {service['errors']} {service['first_error']}",
                      flush=True)
                print(f"  {what + ' (same SQL, psycopg)':<36} {clients:>7} {base['per_s']:>9.1f}"
                      f" {base['p50_ms']:>8.1f} {base['p99_ms']:>8.1f} {'':>6}  {base['errors']}"
                      f" {base['first_error']}", flush=True)
        sampler.stop.set()
        sampler.join()
        memory["under_load_peak_mb"] = {k: round(v, 1) for k, v in sampler.peak.items()}
    print("goal: ratio >= 0.7")
    result = {"commit": git_head(), "writes_per_measurement": args.writes, "rows": rows, "memory": memory,
              "goal": "ratio >= 0.7"}
    write_results("http_writes", result)
    return result


def _ok(status: int, expected: int) -> None:
    if status != expected:
        raise RuntimeError(f"HTTP {status}")


if __name__ == "__main__":
    main()
