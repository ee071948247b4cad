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

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.faults import check, injectors
from bench.faults.client import Api
from bench.faults.injectors import Infra
from bench.faults.programme import Cohort, Sent
from bench.faults.stack import Stack


@dataclass(frozen=True)
class Profile:
    name: str
    companies: int  # per cohort
    delegates: int  # per company
    faults: tuple[tuple[str, Callable[[str], Callable[[Infra], str]]], ...]
    settle_timeout: float = 240
    quiet_timeout: float = 180


def _fixed(injector: Callable[[Infra], str]) -> Callable[[str], Callable[[Infra], str]]:
    return lambda _tag: injector


SHORT = Profile("short", companies=2, delegates=2, faults=(
    ("kafka paused", _fixed(injectors.kafka_paused(10))),
    ("kafka killed", _fixed(injectors.kafka_killed(4))),
    ("workers SIGKILLed", _fixed(injectors.workers_killed(10))),
    ("postgresql restarted", _fixed(injectors.postgres_restarted(3))),
    ("poison on every topic", injectors.poison),
))
LONG = Profile("long", companies=8, delegates=3, settle_timeout=600, quiet_timeout=420, faults=(
    ("none (baseline)", _fixed(lambda _infra: "no fault")),
    ("kafka paused", _fixed(injectors.kafka_paused(45))),
    ("kafka killed", _fixed(injectors.kafka_killed(20))),
    ("workers SIGKILLed", _fixed(injectors.workers_killed(40, rounds=6))),
    ("postgresql restarted", _fixed(injectors.postgres_restarted(10))),
    ("poison on every topic", injectors.poison),
))
PROFILES = {p.name: p for p in (SHORT, LONG)}
WHOLE = "(whole run)"


@dataclass
class Row:
    fault: str
    detail: str = ""
    operations: int = 0
    retried: int = 0
    recovered_s: float | None = None
    tally: check.Tally = field(default_factory=check.Tally)


@dataclass
class Outcome:
    rows: list[Row]
    seconds: float
    restarts: dict[str, int]
    errors: list[str]

    @property
    def lost(self) -> int:
        return sum(r.tally.lost for r in self.rows)

    @property
    def doubled(self) -> int:
        return sum(r.tally.doubled for r in self.rows)

    def table(self) -> str:
        head = f"{'fault':<24} {'operations':>10} {'retried':>8} {'counted':>8} {'lost':>5} {'doubled':>8} " \
               f"{'redelivered':>12} {'recover s':>10}  detail"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            recover = "-" if r.fault == WHOLE else f"{r.recovered_s:.1f}" if r.recovered_s is not None else "never"
            lines.append(f"{r.fault:<24} {r.operations:>10} {r.retried:>8} {r.tally.counted:>8} {r.tally.lost:>5} "
                         f"{r.tally.doubled:>8} "
                         f"{r.tally.redelivered:>12} {recover:>10}  {r.detail}")
        lines.append(f"total: {sum(r.operations for r in self.rows)} writes, lost {self.lost}, doubled {self.doubled},"
                     f" {self.seconds:.0f}s; worker restarts by the supervisor: {self.restarts}")
        for r in self.rows:
            lines += [f"  {r.fault}: {p}" for p in r.tally.problems[:20]]
        lines += [f"  error: {e}" for e in self.errors]
        return "\n".join(lines)


def run(profile: Profile, infra: Infra, say: Callable[[str], None] = print) -> Outcome:
    started = time.monotonic()
    stack, settings = infra.stack, infra.settings
    db_urls = check.service_db_urls(stack.env)
    run_tag = uuid.uuid4().hex[:6]
    rows: list[Row] = []
    cohorts: list[tuple[Row, Cohort, threading.Thread]] = []
    errors: list[str] = []
    for fault, make in profile.faults:
        row = Row(fault)
        api = Api(stack.urls, settings, retry_for=profile.settle_timeout)
        cohort = Cohort(api, Sent(phase=str(len(rows)), run=run_tag), profile.companies, profile.delegates,
                        settle_timeout=profile.settle_timeout)
        cohort.invitations_out = _invitations_out(stack, cohort)
        thread = threading.Thread(target=cohort.run, name=f"cohort-{fault}", daemon=True)
        thread.start()
        say(f"fault: {fault} ...")
        try:
            row.detail = make(run_tag)(infra)
        except Exception as exc:
            errors.append(f"{fault}: the fault itself failed: {exc}")
        row.recovered_s = check.wait_caught_up(db_urls, settings, profile.quiet_timeout)
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
    return Outcome(rows, time.monotonic() - started, dict(stack.restarts), errors)


def _invitations_out(stack: Stack, cohort: Cohort) -> Callable[[], bool]:
    def done() -> bool:
        wanted = {("session_invitation", cohort.sent.delegates[p]) for p in cohort.sent.registrations}
        got = {(kind, address) for kind, address, _ in check.sink_mails(stack.mail_dir)}
        return wanted <= got
    return done
