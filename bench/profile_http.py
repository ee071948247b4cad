"""Where an HTTP write's time goes: cProfile of POST /companies and /delegates inside one web process,
and py-spy of a gunicorn worker serving them.

    .venv/bin/python -m bench.profile_http [--writes 300] [--gunicorn 1500]

Starts PostgreSQL (no Kafka: a write only reaches the outbox), migrates
enrolment, builds the enrolment app as gunicorn would and sends the writes
through Flask's test client (no sockets), timing them with and without the
profiler. Saves bench/profiles/http_<what>.prof and a .txt of the top
functions (by own time and by cumulative time).

With --gunicorn N (and py-spy installed: `pip install -e .[dev]`), it then
serves the enrolment app with deploy/gunicorn.conf.py and one worker, sends N
company registrations from one client over a keep-alive connection, and
samples that worker with `py-spy --gil` (only the thread holding the GIL:
where its CPU goes, database waits left out), reports the worker's CPU per
write from /proc, and saves bench/profiles/http_gunicorn_company.txt (share of
samples per function, inclusive and own).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.platform import PROFILES, company_body, delegate_body, pct
from deploy.infra import PostgresServer, free_port
from services.common.auth import mint
from services.common.migrate import apply_migrations
from services.enrolment.app import create_app
from services.enrolment.settings import EnrolmentSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_http")
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--gunicorn", type=int, default=0, metavar="N",
                        help="also py-spy a gunicorn worker serving N company registrations")
    args = parser.parse_args(argv)
    n = args.writes
    work = Path(tempfile.mkdtemp(prefix="progadmin-profile-"))
    pg = PostgresServer(work / "pg", free_port())
    pg.start(fast=True)
    try:
        url = pg.ensure_service_database("enrolment", "bench")
        apply_migrations(url, "enrolment")
        settings = EnrolmentSettings.from_env(env="test", database_url=url, kafka_bootstrap="127.0.0.1:1",
                                              log_level="WARNING")
        app = create_app(settings)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {mint(settings, 'bench', ['fund_admin'], [])}"}

        def post(path: str, body: dict[str, Any]) -> None:
            answer = client.post(f"/api/v1{path}", json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
            assert answer.status_code == 201, (answer.status_code, answer.get_data()[:300])

        programme = client.post("/api/v1/programmes", headers=headers, json={
            "name": "Profiel", "regions": ["Noord"], "max_delegates_per_company": 100,
            "planned_sessions": {"dialogue": 1}, "reminder_hours_before": 48, "period_start": "2026-01-01",
            "period_end": "2027-12-31"}).get_json()
        client.post(f"/api/v1/programmes/{programme['id']}/opening", headers=headers, json={})
        enrolments = []
        for k in range(-(-2 * n // 100)):
            company = client.post("/api/v1/companies", headers=headers, json=company_body(k)).get_json()
            e = client.post("/api/v1/enrolments", headers=headers,
                            json={"company_id": company["id"], "programme_id": programme["id"]}).get_json()
            intake = client.post(f"/api/v1/enrolments/{e['id']}/intakes", headers=headers, json={
                "scheduled_at": "2026-12-01T09:00:00+00:00", "location": "Op kantoor"}).get_json()
            client.post(f"/api/v1/enrolments/{e['id']}/intakes/{intake['id']}/outcome", headers=headers, json={
                "held_on": "2026-12-01", "interviewee_role": "director", "interviewer": "Projectleider",
                "commitments": dict.fromkeys(("director_attends_kickoff_and_closing", "staff_time_released",
                                              "managers_delegated", "internal_follow_up_owner"), True),
                "assessed_level": 3})
            answer = client.post(f"/api/v1/enrolments/{e['id']}/admission", headers=headers, json={})
            assert answer.status_code in (200, 201), answer.get_data()[:300]
            enrolments.append(e["id"])
        PROFILES.mkdir(exist_ok=True)
        counter = iter(range(10**9))
        cases = {"company": lambda i: post("/companies", company_body(i)),
                 "delegate": lambda i: post(f"/enrolments/{enrolments[next(counter) // 100]}/delegates",
                                            delegate_body(i))}
        for what, one in cases.items():
            for i in range(10):  # warm up
                one(i)
            times = []
            for i in range(n // 2):
                started = time.perf_counter()
                one(i)
                times.append((time.perf_counter() - started) * 1000)
            profiler = cProfile.Profile()
            profiler.enable()
            for i in range(n // 2):
                one(i)
            profiler.disable()
            profiler.dump_stats(PROFILES / f"http_{what}.prof")
            text = io.StringIO()
            stats = pstats.Stats(profiler, stream=text)
            stats.sort_stats("tottime").print_stats(30)
            stats.sort_stats("cumulative").print_stats(60)
            (PROFILES / f"http_{what}.txt").write_text(text.getvalue())
            print(f"{what}: in-process p50 {pct(times, 50):.1f} ms, p99 {pct(times, 99):.1f} ms;"
                  f" profile in {PROFILES / f'http_{what}.txt'}")
        if args.gunicorn:
            from bench.profile_gunicorn import profile_worker

            profile_worker(work, url, settings, args.gunicorn)
    finally:
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
