"""The fault suite: one cohort per fault, the faults one after another, then the exact count.

Each fault opens a window: its cohort (a programme of its own) starts writing
as the fault starts, so the cohort's writes, and the events, consumers and
mails behind them, meet the fault. When the fault is over, the suite waits
until the platform has caught up with everything written until then (every
outbox row published, every consumer group at the end of its topics, every
due mail sent): that time is the recovery. The next fault starts after it;
the cohorts carry on side by side. When all cohorts are done and the platform
is quiet, everything is counted per cohort (`check.py`).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.faults import check, cluster, injectors
from bench.faults.client import Api
from bench.faults.injectors import Infra
from bench.faults.programme import Cohort, Sent
from bench.faults.stack import Stack


@dataclass(frozen=True)
class Fault:
    name: str
    make: Callable[[str], Callable[[Infra], str]]  # run tag -> the injector
    companies: int = 0  # this cohort's companies; 0: the profile's
    pace_s: float = 0  # seconds between the cohort's companies, so a long fault meets writes all along


@dataclass(frozen=True)
class Profile:
    name: str
    companies: int  # per cohort
    delegates: int  # per company
    faults: tuple[Fault, ...]
    settle_timeout: float = 240
    quiet_timeout: float = 180
    brokers: int = 1  # 3: a KRaft cluster (bench.faults.stack.start_servers)
    partitions: int = 3
    workers: tuple[tuple[str, int], ...] = ()  # (service, worker processes in its group); 1 when absent


def _fixed(injector: Callable[[Infra], str]) -> Callable[[str], Callable[[Infra], str]]:
    return lambda _tag: injector


SHORT = Profile("short", companies=2, delegates=2, faults=(
    Fault("kafka paused", _fixed(injectors.kafka_paused(10))),
    Fault("kafka killed", _fixed(injectors.kafka_killed(4))),
    Fault("workers SIGKILLed", _fixed(injectors.workers_killed(10))),
    Fault("postgresql restarted", _fixed(injectors.postgres_restarted(3))),
    Fault("poison on every topic", injectors.poison),
))
LONG = Profile("long", companies=8, delegates=3, settle_timeout=600, quiet_timeout=420, faults=(
    Fault("none (baseline)", _fixed(lambda _infra: "no fault")),
    Fault("kafka paused", _fixed(injectors.kafka_paused(45))),
    Fault("kafka killed", _fixed(injectors.kafka_killed(20))),
    Fault("workers SIGKILLed", _fixed(injectors.workers_killed(40, rounds=6))),
    Fault("postgresql restarted", _fixed(injectors.postgres_restarted(10))),
    Fault("poison on every topic", injectors.poison),
))
# On three brokers (replication 3, min.insync.replicas 2) with three reporting workers over 6 partitions.
# Each cluster fault's cohort writes paced, so the fault meets writes from its start to its end.
CLUSTER_SHORT = Profile("short", companies=2, delegates=2, brokers=3, partitions=6, workers=(("reporting", 3),),
                        faults=(
    Fault("leader broker killed", _fixed(cluster.leader_killed(6)), companies=3, pace_s=2),
    Fault("all brokers down", _fixed(cluster.all_brokers_down(12)), companies=4, pace_s=3),
    Fault("reporting worker killed", _fixed(cluster.reporting_worker_killed(6)), companies=3, pace_s=2),
    # The single broker's faults too, so CI starts one fault stack rather than two (`--brokers 1` runs SHORT).
    Fault("kafka paused", _fixed(injectors.kafka_paused(8))),
    Fault("workers SIGKILLed", _fixed(injectors.workers_killed(10))),
    Fault("postgresql restarted", _fixed(injectors.postgres_restarted(3))),
    Fault("poison on every topic", injectors.poison),
))
CLUSTER_LONG = Profile("long", companies=6, delegates=3, brokers=3, partitions=6, workers=(("reporting", 3),),
                       settle_timeout=600, quiet_timeout=420, faults=(
    Fault("none (baseline)", _fixed(lambda _infra: "no fault")),
    Fault("leader broker killed", _fixed(cluster.leader_killed(20, rounds=3)), companies=10, pace_s=10),
    Fault("all brokers down", _fixed(cluster.all_brokers_down(45)), companies=10, pace_s=5),
    Fault("reporting worker killed", _fixed(cluster.reporting_worker_killed(40, kills=6)), companies=10, pace_s=4),
    Fault("workers SIGKILLed", _fixed(injectors.workers_killed(30, rounds=3))),
    Fault("postgresql restarted", _fixed(injectors.postgres_restarted(10))),
))
PROFILES = {p.name: p for p in (SHORT, LONG)}
CLUSTER_PROFILES = {p.name: p for p in (CLUSTER_SHORT, CLUSTER_LONG)}
WHOLE = "(whole run)"


@dataclass
class Row:
    fault: str
    detail: str = ""
    operations: int = 0
    retried: int = 0
    recovered_s: float | None = None
    tally: check.Tally = field(default_factory=check.Tally)
    measures: dict[str, Any] = field(default_factory=dict)  # what the fault itself measured

    def as_dict(self) -> dict[str, Any]:
        return {"fault": self.fault, "operations": self.operations, "lost": self.tally.lost,
                "doubled": self.tally.doubled, "seconds_to_recover": None if self.recovered_s is None
                else round(self.recovered_s, 1), "retried": self.retried, "counted": self.tally.counted,
                "redelivered": self.tally.redelivered, "reordered": self.tally.reordered, "detail": self.detail,
                "measures": self.measures, "problems": self.tally.problems}


@dataclass
class Outcome:
    rows: list[Row]
    seconds: float
    restarts: dict[str, int]
    errors: list[str]
    profile: str = ""
    brokers: int = 1

    @property
    def lost(self) -> int:
        return sum(r.tally.lost for r in self.rows)

    @property
    def doubled(self) -> int:
        return sum(r.tally.doubled for r in self.rows)

    @property
    def reordered(self) -> int:
        return sum(r.tally.reordered for r in self.rows)

    def table(self) -> str:
        head = f"{'fault':<24} {'operations':>10} {'retried':>8} {'counted':>8} {'lost':>5} {'doubled':>8} " \
               f"{'redelivered':>12} {'reordered':>10} {'recover s':>10}  detail"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            recover = "-" if r.fault == WHOLE else f"{r.recovered_s:.1f}" if r.recovered_s is not None else "never"
            lines.append(f"{r.fault:<24} {r.operations:>10} {r.retried:>8} {r.tally.counted:>8} {r.tally.lost:>5} "
                         f"{r.tally.doubled:>8} "
                         f"{r.tally.redelivered:>12} {r.tally.reordered:>10} {recover:>10}  {r.detail}")
        lines.append(f"total: {sum(r.operations for r in self.rows)} writes, lost {self.lost}, doubled {self.doubled},"
                     f" reordered {self.reordered}, {self.seconds:.0f}s; worker restarts by the supervisor: "
                     f"{self.restarts}")
        for r in self.rows:
            lines += [f"  {r.fault}: {p}" for p in r.tally.problems[:20]]
        lines += [f"  error: {e}" for e in self.errors]
        return "\n".join(lines)

    def as_json(self) -> str:
        """The table as JSON: one object per fault (fault, operations, lost, doubled, seconds_to_recover, ...)."""
        return json.dumps({"profile": self.profile, "brokers": self.brokers, "seconds": round(self.seconds),
                           "lost": self.lost, "doubled": self.doubled, "reordered": self.reordered,
                           "restarts": self.restarts,
                           "errors": self.errors, "rows": [r.as_dict() for r in self.rows]}, indent=2)


def run(profile: Profile, infra: Infra, say: Callable[[str], None] = print) -> Outcome:
    started = time.monotonic()
    stack, settings = infra.stack, infra.settings
    db_urls = check.service_db_urls(stack.env)
    run_tag = uuid.uuid4().hex[:6]
    rows: list[Row] = []
    cohorts: list[tuple[Row, Cohort, threading.Thread]] = []
    errors: list[str] = []
    for spec in profile.faults:
        fault = spec.name
        row = Row(fault)
        api = Api(stack.urls, settings, retry_for=profile.settle_timeout)
        cohort = Cohort(api, Sent(phase=str(len(rows)), run=run_tag), spec.companies or profile.companies,
                        profile.delegates, settle_timeout=profile.settle_timeout, pace_s=spec.pace_s)
        cohort.invitations_out = _invitations_out(stack, cohort)
        thread = threading.Thread(target=cohort.run, name=f"cohort-{fault}", daemon=True)
        thread.start()
        say(f"fault: {fault} ...")
        infra.api, infra.measures, infra.ended = api, {}, None
        try:
            row.detail = spec.make(run_tag)(infra)
        except Exception as exc:
            errors.append(f"{fault}: the fault itself failed: {type(exc).__name__}: {exc}")
        row.measures, infra.api = infra.measures, None
        waited_from = time.monotonic()
        row.recovered_s = check.wait_caught_up(db_urls, settings, profile.quiet_timeout)
        if row.recovered_s is not None and infra.ended is not None:
            row.recovered_s += waited_from - infra.ended
        recovered = "never" if row.recovered_s is None else f"{row.recovered_s:.1f}s"
        say(f"  {row.detail}; caught up after {recovered}")
        rows.append(row)
        cohorts.append((row, cohort, thread))
    for row, cohort, thread in cohorts:
        thread.join(profile.settle_timeout + 180)
        if cohort.sent.error or thread.is_alive():
            errors.append(f"cohort of '{row.fault}' stopped after {cohort.sent.steps}: "
                          f"{cohort.sent.error or 'still running'}")
    say("all cohorts done; waiting for the platform to be quiet")
    if check.wait_caught_up(db_urls, settings, profile.quiet_timeout) is None:
        errors.append(f"the platform was not quiet within {profile.quiet_timeout:.0f}s")
    time.sleep(2)  # a mail accepted by the sink is marked sent a moment later; the sink is what counts
    reader = Api(stack.urls, settings)
    mails = check.sink_mails(stack.mail_dir)
    feed = check.read_feed(reader)
    for row, cohort, _ in cohorts:
        row.operations, row.retried = cohort.api.writes, cohort.api.retries
        if cohort.api.retry_reasons:
            row.detail += f"; writes retried on: {', '.join(sorted(cohort.api.retry_reasons))}"
        check.check_projections(reader, cohort.sent, row.tally)
        check.check_mails(mails, cohort.sent, cohort.tag, row.tally)
        check.check_feed(feed, cohort.sent, row.tally)
        check.check_order(feed, cohort.sent, row.tally)
    whole = Row(WHOLE)
    total_companies = sum(len(c.sent.company_ids) for _, c, _ in cohorts)
    counts = reader.must("GET", "reporting", "/figures/companies")
    whole.tally.compare("registered companies in total", total_companies, int(counts["total"]))
    registered = sum(1 for e in feed if e["type"].endswith("PublicCompanyRegistered.v1"))
    whole.tally.compare("external PublicCompanyRegistered", total_companies, registered)
    check.check_public_topic(settings, feed, whole.tally)
    if infra.poison_keys:
        poison_row = next(r for r in rows if r.fault.startswith("poison"))
        check.check_dead_letters(settings, infra.poison_keys, poison_row.tally)
    rows.append(whole)
    return Outcome(rows, time.monotonic() - started, dict(stack.restarts), errors, profile.name, profile.brokers)


def _invitations_out(stack: Stack, cohort: Cohort) -> Callable[[], bool]:
    def done() -> bool:
        wanted = {("session_invitation", cohort.sent.delegates[p]) for p in cohort.sent.registrations}
        got = {(kind, address) for kind, address, _ in check.sink_mails(stack.mail_dir)}
        return wanted <= got
    return done
