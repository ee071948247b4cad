"""HTTP write path: registering companies and participants through gunicorn, against the same SQL in psycopg.

    .venv/bin/python -m bench.http_writes [--writes 400] [--clients 1,8,32]

Starts the platform (bench.platform; the webs with deploy/gunicorn.conf.py,
as deployed: two threaded workers each). For each number of concurrent
clients it sends `--writes` POSTs in all, each with an Idempotency-Key and a
development token, each client on one keep-alive connection (as a browser or
an HTTP client library does), and measures writes/s and latency p50/p99:
- company: POST /api/v1/companies (one director);
- participant: POST /api/v1/enrolments/{id}/delegates (each client has
  enrolments of its own, admitted beforehand, so clients do not queue on
  one enrolment's lock).
Baseline: the same statements straight through psycopg from the same number
of threads, one transaction per write, on the same database, in the same
round trips as the service sends them (its pipelines): claim the
idempotency key (with BEGIN and the use case's savepoint); insert the state
rows the answer is made of (company and its director's person; or lock and
read the enrolment, its programme and current delegates, then insert person
and delegate); then the director link, the outbox rows (the same topic, key
and event as the service's, so the relay and the consumers do the same work;
for a participant also the person's record on the contacts topic), the
audit row, the stored response and COMMIT. What the baseline leaves out is
the service itself: HTTP, gunicorn, Flask, authentication, validation, JSON.
Also samples the resident memory of every platform process, at rest and
under this load (bench.memory prints that part).
Writes bench/results/http_writes.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row
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
from services.common import broker
from services.common.contacts import contacts_topic
from services.common.outbox import Outbox
from services.enrolment import payloads


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


_client = threading.local()


def post(url: str, path: str, token: str, body: dict[str, Any]) -> int:
    """One POST on this client thread's keep-alive connection (a new one when the server closed it)."""
    conn: http.client.HTTPConnection | None = getattr(_client, "conn", None)
    if conn is None or getattr(_client, "url", None) != url:
        parts = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
        _client.conn, _client.url = conn, url
    try:
        conn.request("POST", f"/api/v1{path}", body=json.dumps(body), headers={
            "Content-Type": "application/json", "Accept": "application/json", "Authorization": f"Bearer {token}",
            "Idempotency-Key": str(uuid.uuid4())})
        response = conn.getresponse()
        response.read()
    except (ConnectionError, http.client.HTTPException):
        conn.close()
        _client.conn = None
        raise
    if response.will_close:
        conn.close()
        _client.conn = None
    return response.status


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
    return summary(clients, flat, errors, elapsed)


def summary(clients: int, latencies: list[float], errors: list[str], elapsed: float) -> dict[str, Any]:
    return {"clients": clients, "writes": len(latencies), "errors": len(errors), "first_error": errors[:1],
            "seconds": round(elapsed, 2), "per_s": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
            "p50_ms": round(pct(latencies, 50), 1), "p99_ms": round(pct(latencies, 99), 1),
            "latencies": latencies, "error_list": errors}


# -- CPU per write, per group of processes --------------------------------------------------
def _proc_cpu(pid: int, children_too: bool = False) -> float:
    """utime + stime (+ those of its exited children) of one process, in seconds; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children_too else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


def cpu_groups(platform: Platform) -> dict[str, float]:
    """CPU seconds so far: the enrolment web (master and workers), PostgreSQL (postmaster, its backends and the
    backends that exited), this load generator, and the rest of the platform (other webs, the workers)."""
    postmaster = int((platform.pg.datadir / "postmaster.pid").read_text().split()[0])
    out = {"web": 0.0, "postgres": _proc_cpu(postmaster, children_too=True), "load generator": 0.0,
           "rest of platform": 0.0}
    out["postgres"] += sum(_proc_cpu(c) for c in _children(postmaster))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["load generator"] = usage.ru_utime + usage.ru_stime
    for name, pids in platform.pids().items():
        group = "web" if name == "enrolment-web" else "rest of platform"
        out[group] += sum(_proc_cpu(pid) for pid in pids)
    return out


def _shifted(one: Callable[[int, int], None], base: list[int]) -> Callable[[int, int], None]:
    return lambda c, n: one(c, base[c] + n)


def interleaved(platform: Platform, clients: int, writes: int, rounds: int,
                sides: dict[str, Callable[[int, int], None]]) -> dict[str, dict[str, Any]]:
    """Each side's writes in `rounds` turns, the sides taking turns: load from outside this benchmark (the
    machine is shared) then falls on both alike. `n` counts on per client across turns and sides."""
    done = [0] * clients
    latencies: dict[str, list[float]] = {side: [] for side in sides}
    errors: dict[str, list[str]] = {side: [] for side in sides}
    elapsed = dict.fromkeys(sides, 0.0)
    cpu: dict[str, dict[str, float]] = {side: {} for side in sides}
    for r in range(rounds):
        chunk = writes // rounds + (1 if r < writes % rounds else 0)
        for side, one in sides.items():
            base = list(done)
            before = cpu_groups(platform)
            result = drive(clients, chunk, _shifted(one, base))
            after = cpu_groups(platform)
            for group, seconds in after.items():
                cpu[side][group] = cpu[side].get(group, 0.0) + seconds - before[group]
            for c in range(clients):
                done[c] += chunk // clients + (1 if c < chunk % clients else 0)
            latencies[side] += result["latencies"]
            errors[side] += result["error_list"]
            elapsed[side] += result["seconds"]
    out = {}
    for side in sides:
        row = summary(clients, latencies[side], errors[side], elapsed[side])
        row["cpu_ms_per_write"] = {g: round(1000 * v / max(1, row["writes"]), 2) for g, v in cpu[side].items()}
        out[side] = row
    return out


# -- the same SQL, straight through psycopg ------------------------------------------------
# The statements the service sends for each write, with the same parameters' shapes, in the same round trips
# (the service groups them into pipelines: claim; the rows it answers with; the writes nothing reads, the
# stored response and COMMIT), and the same outbox rows (topic, key, event), so that the relay and the
# consumers react to the baseline's writes as to the service's. A baseline sending one statement per round
# trip would be slower than the service's own SQL and flatter the ratio.
_CLAIM = ("INSERT INTO idempotency_keys (principal, idem_key, method, path, request_hash)"
          " VALUES (%s, %s, 'POST', %s, %s) ON CONFLICT DO NOTHING")
_STORE = ("UPDATE idempotency_keys SET status_code = 201, response_body = %s, response_headers = %s"
          " WHERE principal = %s AND idem_key = %s")
_PERSON = "INSERT INTO persons (id, name, email, phone, language) VALUES (%s, %s, %s, %s, %s) RETURNING *"
_OUTBOX = "INSERT INTO outbox (event_id, topic, message_key, event_type, payload) VALUES (%s, %s, %s, %s, %s)"
_AUDIT = ("INSERT INTO audit_log (actor, actor_roles, action, subject_type, subject_id, details, correlation_id)"
          " VALUES (%s, %s, %s, %s, %s, %s, %s)")


def _claim(conn: psycopg.Connection[Any], key: str, path: str) -> None:
    """BEGIN, the claim and the use case's savepoint: one round trip, as the service's."""
    with conn.pipeline():
        conn.execute(_CLAIM, ("bench", key, path, key))
        conn.execute("SAVEPOINT request_use_case")


def _finish(conn: psycopg.Connection[Any], key: str, answer: dict[str, Any], location: str) -> None:
    conn.execute(_STORE, (json.dumps(answer, default=str).encode(), Jsonb({"Location": location}), "bench", key))
    conn.execute("COMMIT", prepare=False)


def raw_company(conn: psycopg.Connection[Any], topic: str, n: int) -> None:
    body = company_body(n)
    company_id, person_id, key = uuid.uuid4(), uuid.uuid4(), str(uuid.uuid4())
    director = body["directors"][0]
    _claim(conn, key, "/api/v1/companies")
    with conn.pipeline():
        company = conn.execute(
            "INSERT INTO companies (id, name, kvk_number, region, street, postal_code, city, size, contact_person_id)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (kvk_number) DO NOTHING RETURNING *",
            (company_id, body["name"], body["kvk_number"], REGION, "", "", "", None, None))
        person = conn.execute(_PERSON, (person_id, director["name"], director["email"], None, "nl"))
    row, person_row = company.fetchone(), person.fetchone()
    assert row is not None and person_row is not None
    event = payloads.event("CompanyRegistered", company_id, {
        "company_id": str(company_id), "name": body["name"], "kvk_number": body["kvk_number"], "region": REGION})
    with conn.pipeline():
        conn.execute("INSERT INTO company_directors (company_id, person_id, role, position) SELECT %s, t.person_id,"
                     " t.role, t.n - 1 FROM unnest(%s::uuid[], %s::text[]) WITH ORDINALITY AS t(person_id, role, n)",
                     (company_id, [person_id], ["director"]))
        conn.execute(_OUTBOX, (event["id"], topic, str(company_id), event["type"], json.dumps(event)))
        conn.execute(_AUDIT, ("bench", ["fund_admin"], "company.register", "company", str(company_id),
                              Jsonb({"kvk_number": body["kvk_number"]}), str(uuid.uuid4())))
        _finish(conn, key, {**row, "directors": [person_row]}, f"/api/v1/companies/{company_id}")


def raw_delegate(conn: psycopg.Connection[Any], topics: tuple[str, str], enrolment_id: str, n: int) -> None:
    body = delegate_body(n)
    person_id, key = uuid.uuid4(), str(uuid.uuid4())
    path = f"/api/v1/enrolments/{enrolment_id}/delegates"
    _claim(conn, key, path)
    with conn.pipeline():
        locked = conn.execute("SELECT id FROM enrolments WHERE id = %s FOR UPDATE", (enrolment_id,))
        enrolment = conn.execute("SELECT e.*, c.name AS company_name, c.region, (SELECT count(*) FROM delegates d"
                                 " WHERE d.enrolment_id = e.id AND d.removed_on IS NULL) AS delegate_count"
                                 " FROM enrolments e JOIN companies c ON c.id = e.company_id WHERE e.id = %s",
                                 (enrolment_id,))
        conn.execute("SELECT p.* FROM programmes p JOIN enrolments e ON e.programme_id = p.id WHERE e.id = %s"
                     " FOR SHARE OF p", (enrolment_id,))
        current = conn.execute("SELECT d.*, p.name, p.email, p.phone, p.language FROM delegates d"
                               " JOIN persons p ON p.id = d.person_id WHERE d.enrolment_id = %s"
                               " AND d.removed_on IS NULL", (enrolment_id,))
    assert locked.fetchone() is not None
    e = enrolment.fetchone()
    current.fetchall()
    with conn.pipeline():
        person = conn.execute(_PERSON, (person_id, body["name"], body["email"], None, "nl"))
        delegate = conn.execute(
            "INSERT INTO delegates (enrolment_id, person_id, job_level, below_management, delegated_on)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING *", (enrolment_id, person_id, "manager", False, date.today()))
    p, d = person.fetchone(), delegate.fetchone()
    assert e is not None and p is not None and d is not None
    # The service's two outbox rows: the person's record on the contacts topic, and the event.
    contact = payloads.contact_details_changed(p)
    event = payloads.participant_delegated(e, p, "manager", False)
    with conn.pipeline():
        conn.execute(_OUTBOX, (contact["id"], topics[1], str(person_id), contact["type"], json.dumps(contact)))
        conn.execute(_OUTBOX, (event["id"], topics[0], enrolment_id, event["type"], json.dumps(event)))
        conn.execute(_AUDIT, ("bench", ["fund_admin"], "delegate.add", "enrolment", enrolment_id,
                              Jsonb({"person_id": str(person_id), "job_level": "manager", "below_management": False,
                                     "replaces": None}), str(uuid.uuid4())))
        _finish(conn, key, {**d, "name": p["name"], "email": p["email"], "warnings": []},
                f"{path}/{person_id}")


def _on_connections(one: Callable[[psycopg.Connection[Any], int, int], None],
                    conns: list[psycopg.Connection[Any]]) -> Callable[[int, int], None]:
    """The baseline's write for client c on that client's own connection."""
    return lambda c, n: one(conns[c], c, n)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("latencies", "error_list")}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.http_writes", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--writes", type=int, default=400, help="writes per measurement")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--baseline-topics", choices=("same", "private"), default="same",
                        help="the baseline's outbox rows on the service's topics (the consumers react to them as to"
                             " the service's) or on topics nobody consumes")
    parser.add_argument("--rounds", type=int, default=4,
                        help="turns in which the HTTP writes and the baseline alternate (the machine is shared)")
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.clients.split(",")]
    rows: list[dict[str, Any]] = []
    memory: dict[str, Any] = {}
    load_at_start = [round(x, 2) for x in os.getloadavg()]  # the machine is shared: say how busy it was
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
            # The service's and the baseline's writes, 100 per enrolment; a client may get one more per turn.
            per_client = -(-2 * args.writes // clients) + 2 * args.rounds
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
        topics = (Outbox(platform.settings).topic, contacts_topic(platform.settings))
        if args.baseline_topics == "private":  # nobody consumes them: only the service's writes wake consumers
            topics = ("bench.raw", "bench.raw.contacts")
            # Created, so the relay publishes them as the service's: a row it cannot publish would hold back
            # every later row, the service's too (the previous bench's baseline did that: no consumer saw an
            # event after its first turn).
            broker.ensure_topics(platform.settings, list(topics))
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
                 lambda conn, c, n: raw_company(conn, topics[0], n)),
                ("register participant",
                 lambda c, n: _ok(post(url, f"/enrolments/{enrolment_of(c, n)}/delegates", token,
                                       delegate_body(n)), 201),
                 lambda conn, c, n: raw_delegate(conn, topics, enrolment_of(c, n), n)),
            ]
            # dict rows, as the service's pool gives: the same work of building each row read.
            conns = [psycopg.connect(raw_url, row_factory=dict_row) for _ in range(clients)]
            for what, via_http, via_sql in cases:
                measured = interleaved(platform, clients, args.writes, args.rounds,
                                       {"service": via_http, "baseline": _on_connections(via_sql, conns)})
                service, base = _public(measured["service"]), _public(measured["baseline"])
                ratio = round(service["per_s"] / base["per_s"], 2) if base["per_s"] else None
                rows.append({"what": what, "service": service, "baseline": base, "ratio": ratio})
                print(f"  {what + ' (HTTP)':<36} {clients:>7} {service['per_s']:>9.1f} {service['p50_ms']:>8.1f}"
                      f" {service['p99_ms']:>8.1f} {ratio!s:>6}  {service['errors']} {service['first_error']}",
                      flush=True)
                print(f"  {what + ' (same SQL, psycopg)':<36} {clients:>7} {base['per_s']:>9.1f}"
                      f" {base['p50_ms']:>8.1f} {base['p99_ms']:>8.1f} {'':>6}  {base['errors']}"
                      f" {base['first_error']}", flush=True)
                print(f"      CPU ms per write: HTTP {_cpu_text(service)} | SQL {_cpu_text(base)}", flush=True)
            for conn in conns:
                conn.close()
        sampler.stop.set()
        sampler.join()
        memory["under_load_peak_mb"] = {k: round(v, 1) for k, v in sampler.peak.items()}
    print("goal: ratio >= 0.7")
    result = {"commit": git_head(), "writes_per_measurement": args.writes, "rounds": args.rounds,
              "baseline_topics": args.baseline_topics, "rows": rows,
              "memory": memory, "goal": "ratio >= 0.7",
              "load_average": {"start": load_at_start, "end": [round(x, 2) for x in os.getloadavg()]}}
    write_results("http_writes", result)
    return result


def _cpu_text(row: dict[str, Any]) -> str:
    return ", ".join(f"{group} {ms:.2f}" for group, ms in row["cpu_ms_per_write"].items())


def _ok(status: int, expected: int) -> None:
    if status != expected:
        raise RuntimeError(f"HTTP {status}")


if __name__ == "__main__":
    main()
