"""Counting afterwards: what the platform shows against what the cohorts sent, and when it has caught up.

- Projections: reporting's final report of each cohort's programme (companies started, delegates, sessions
  held, registrations, attendance, no-shows, evaluations), its per-company rows, and the registered
  companies in total.
- Mails: every .eml in the SMTP sink, by (kind, recipient); each person takes part in one session, so the
  session is implied. A copy with the Message-ID of a mail already received is a redelivery (the one SMTP
  window the sender documents), counted apart from a doubling (a second logical mail).
- External records: reporting's pull feed (the external log) by CloudEvent id and type per programme, and
  the public Kafka topic, which must carry every id (at-least-once, documented: repeats are counted apart).
- Order: in the external log, each enrolment's (company's) records come in the order enrolment wrote them
  (interest, intake, admission, then delegates), however the consumers were killed or rebalanced.
- Dead letters: every poison record in `<topic>.dlq` once per group that consumes the topic.
"""

from __future__ import annotations

import email
import email.policy
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from bench.faults.client import Api
from bench.faults.injectors import CONSUMERS
from bench.faults.programme import Sent
from services.common.config import SERVICES, Settings
from services.common.dlq import read_dead_letters


@dataclass
class Tally:
    lost: int = 0
    doubled: int = 0
    redelivered: int = 0  # documented at-least-once repeats (same Message-ID / same CloudEvent id on the topic)
    counted: int = 0  # items expected and counted
    reordered: int = 0  # records of one company in the external log after one written later
    problems: list[str] = field(default_factory=list)

    def compare(self, what: str, expected: int, actual: int) -> None:
        self.counted += expected
        if actual < expected:
            self.lost += expected - actual
            self.problems.append(f"{what}: expected {expected}, found {actual} (lost {expected - actual})")
        elif actual > expected:
            self.doubled += actual - expected
            self.problems.append(f"{what}: expected {expected}, found {actual} (doubled {actual - expected})")


def projection_expectations(sent: Sent) -> dict[str, int]:
    attended = sum(1 for a in sent.attendance.values() if a == "attended")
    return {
        "companies.started": len(sent.company_ids), "funnel.interested": len(sent.company_ids),
        "funnel.admitted": len(sent.company_ids), "delegates.current": len(sent.delegates),
        "sessions.held_total": int(sent.held), "attendance.registrations": len(sent.registrations) if sent.held else 0,
        "attendance.attended": attended if sent.held else 0,
        "attendance.no_shows": len(sent.attendance) - attended if sent.held else 0,
        "evaluations.programme.responses": len(sent.evaluations),
    }


def dig(report: dict[str, Any], path: str) -> int:
    value: Any = report
    for part in path.split("."):
        value = (value or {}).get(part)
    return int(value or 0)


def check_projections(api: Api, sent: Sent, tally: Tally) -> None:
    if not sent.programme_id:
        return
    report = api.must("GET", "reporting", f"/programmes/{sent.programme_id}/final-report", query={"format": "json"})
    for path, expected in projection_expectations(sent).items():
        tally.compare(f"report {path}", expected, dig(report, path))
    rows = api.items("reporting", f"/programmes/{sent.programme_id}/companies")
    seen = Counter(str(r["company_id"]) for r in rows)
    for company in sent.company_ids:
        tally.compare(f"company row {company}", 1, seen.pop(company, 0))
    for company, n in seen.items():
        tally.compare(f"company row {company} (never sent)", 0, n)


def sink_mails(folder: Path) -> list[tuple[str, str, str]]:
    """(kind, address, Message-ID) of every mail the sink received."""
    out = []
    for path in sorted(folder.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        address = str(msg["To"]).split("<")[-1].rstrip(">").strip().lower()
        out.append((str(msg["X-Progadmin-Kind"]), address, str(msg["Message-ID"])))
    return out


def check_mails(mails: list[tuple[str, str, str]], sent: Sent, tag: str, tally: Tally) -> None:
    """This cohort's mails: every address of the cohort carries its tag."""
    mine = [m for m in mails if tag in m[1]]
    by_id: dict[str, int] = Counter(m[2] for m in mine)
    repeats = sum(n - 1 for n in by_id.values())
    tally.redelivered += repeats
    if repeats:
        tally.problems.append(f"mail: {repeats} redelivered with the Message-ID of a mail already received")
    logical = Counter((kind, address) for kind, address, _ in {m for m in mine})
    expected = sent.mails()
    for key in expected.keys() | logical.keys():
        tally.compare(f"mail {key[0]} to {key[1]}", expected[key], logical[key])


def read_feed(api: Api) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = 0
    while True:
        page = api.must("GET", "reporting", "/feed", role="reporting_consumer",
                        query={"after": cursor, "page_size": 100})
        items += page["items"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return items


def public_expectations(sent: Sent) -> Counter[str]:
    n, people = len(sent.company_ids), len(sent.delegates)
    out: Counter[str] = Counter({"PublicProgrammeOpened": 1, "PublicCompanyShowedInterest": n,
                                 "PublicIntakeHeld": n, "PublicCompanyAdmitted": n,
                                 "PublicParticipantDelegated": people})
    if sent.session_id:
        out["PublicSessionScheduled"] = 1
    out["PublicParticipantRegistered"] = len(sent.registrations)
    out["PublicAttendanceRecorded"] = len(sent.attendance)
    out["PublicSessionHeld"] = int(sent.held)
    out["PublicCompanyActivated"] = len(set(sent.company_of.values()))  # active from its first delegate
    out["PublicSessionEvaluated"] = len(sent.evaluations) // 3  # each time the responses reach a multiple of 3
    return +out


def public_name(event_type: str) -> str:
    return event_type.split(".")[2]


def check_feed(feed: list[dict[str, Any]], sent: Sent, tally: Tally) -> None:
    mine = [e for e in feed if (e.get("data") or {}).get("programme_id") == sent.programme_id]
    ids = Counter(str(e["id"]) for e in mine)
    tally.compare("external log: distinct ids", len(ids), len(mine))  # a second record of an id is a doubling
    found = Counter(public_name(e["type"]) for e in {str(e["id"]): e for e in mine}.values())
    expected = public_expectations(sent)
    for name in expected.keys() | found.keys():
        tally.compare(f"external {name}", expected[name], found[name])


# Rank of an enrolment's public records in the order enrolment writes them (one key, so one partition).
ENROLMENT_ORDER = {"PublicCompanyShowedInterest": 0, "PublicIntakeHeld": 1, "PublicCompanyAdmitted": 2,
                   "PublicParticipantDelegated": 3, "PublicCompanyActivated": 3}


def check_order(feed: list[dict[str, Any]], sent: Sent, tally: Tally) -> None:
    """Each enrolment's records in the external log (feed order) follow enrolment's order of writing them."""
    last: dict[str, tuple[int, str]] = {}
    for e in feed:
        data, name = e.get("data") or {}, public_name(e["type"])
        if data.get("programme_id") != sent.programme_id or name not in ENROLMENT_ORDER:
            continue
        rank, enrolment = ENROLMENT_ORDER[name], str(data.get("enrolment_id"))
        before = last.get(enrolment)
        if before is not None and rank < before[0]:
            tally.reordered += 1
            tally.problems.append(f"external log: {name} of enrolment {enrolment} after {before[1]}")
        else:
            last[enrolment] = (rank, name)


def check_public_topic(settings: Settings, feed: list[dict[str, Any]], tally: Tally) -> None:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest")
    try:
        topic = settings.topic("reporting")
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        on_topic: Counter[str] = Counter()
        deadline = time.monotonic() + 60
        while any(consumer.position(tp) < end[tp] for tp in tps) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                for r in records:
                    on_topic[str(json.loads(r.value)["id"])] += 1
    finally:
        consumer.close()
    for event in feed:
        if on_topic[str(event["id"])] == 0:
            tally.lost += 1
            tally.problems.append(f"public topic: {event['type']} {event['id']} missing")
    repeats = sum(n - 1 for n in on_topic.values() if n > 1)
    tally.redelivered += repeats
    if repeats:
        tally.problems.append(f"public topic: {repeats} records repeated (same id; at-least-once, documented)")
    stray = set(on_topic) - {str(e["id"]) for e in feed}
    tally.compare("public topic ids not in the external log", 0, len(stray))


def check_dead_letters(settings: Settings, poison_keys: dict[str, list[str]], tally: Tally) -> None:
    for service, keys in poison_keys.items():
        letters = read_dead_letters(settings, settings.dlq_topic(settings.topic(service)))
        parked = Counter((d.key.decode() if d.key else "", d.header("dlq.consumer")) for d in letters)
        for key in keys:
            for group in CONSUMERS[service]:
                n = parked[(key, f"{settings.topic_prefix}progadmin.{group}")]
                tally.compare(f"dead letter {key} from {group}", 1, min(n, 1))
                tally.redelivered += max(0, n - 1)
                if n > 1:
                    tally.problems.append(f"dead letter {key} from {group}: parked {n} times")


# -- caught up -----------------------------------------------------------------------------------
def _scalar(url: str, query: str, *params: Any) -> Any:
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute(query, params).fetchone()
        return row[0] if row else None


def outbox_marks(db_urls: dict[str, str]) -> dict[str, int]:
    return {s: int(_scalar(url, "SELECT COALESCE(max(id), 0) FROM outbox") or 0) for s, url in db_urls.items()}


def caught_up(db_urls: dict[str, str], settings: Settings, marks: dict[str, int], moment: datetime) -> bool:
    """Everything written before `moment` is published, consumed by every group, and mailed when due."""
    try:
        for service, url in db_urls.items():
            if _scalar(url, "SELECT count(*) FROM outbox WHERE id <= %s AND published_at IS NULL", marks[service]):
                return False
        if _scalar(db_urls["notifications"], "SELECT count(*) FROM deliveries WHERE status IN ('scheduled', 'sending')"
                   " AND send_after <= %s", moment):
            return False
        return consumers_caught_up(settings)
    except Exception:  # a server still coming back
        return False


def consumers_caught_up(settings: Settings) -> bool:
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=5000)
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None)
    try:
        for producer, groups in CONSUMERS.items():
            topic = settings.topic(producer)
            tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
            end = consumer.end_offsets(tps)
            for group in groups:
                name = f"{settings.topic_prefix}progadmin.{group}"
                committed = admin.list_group_offsets(name).get(name, {})
                if any((committed.get(tp).offset if committed.get(tp) else 0) < end[tp] for tp in tps if end[tp]):
                    return False
        return True
    finally:
        consumer.close()
        admin.close()


def wait_caught_up(db_urls: dict[str, str], settings: Settings, timeout: float) -> float | None:
    """Seconds until the platform caught up with everything written so far; None: it did not."""
    start = time.monotonic()
    marks, moment = outbox_marks_retrying(db_urls), datetime.now(UTC)
    while time.monotonic() - start < timeout:
        if caught_up(db_urls, settings, marks, moment):
            return time.monotonic() - start
        time.sleep(0.5)
    return None


def outbox_marks_retrying(db_urls: dict[str, str], timeout: float = 60) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return outbox_marks(db_urls)
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def service_db_urls(env: dict[str, str]) -> dict[str, str]:
    return {s: env[f"PROGADMIN_{s.upper()}_DATABASE_URL"] for s in SERVICES}
