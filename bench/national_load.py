"""Load a generated national programme into each service's own database (migrated by its real migrations).

COPY, table by table, in each service's own columns, as the service's own
role (so ownership and grants are what the service has). What is loaded,
and why that is what the running platform would hold:

- enrolment: the programme, persons (directors and participants), companies,
  their directors, enrolments with their held intake, delegates and
  follow-ups: the rows its use cases write.
- sessions: its read model of enrolment (programme, enrolments, delegates
  with names), sessions, invitations, registrations (with attendance) and
  evaluations: the rows its handlers and use cases write.
- reporting: every projection row its handlers would write for the event
  stream (`national_data.events`), one dedupe claim per consumed event in
  `processed_events` (the state right after a rebuild, the most it holds),
  and the public copy of each publishable event in `external_events` with
  its sequenced position, built the way `PublicStream.publish` builds it
  (translated fields, pseudonyms, the deterministic public id, a
  `PublicSessionEvaluated` each time a session's responses reach a multiple
  of the minimum group).
- notifications: migrated, empty: no measured page reads it.
- Outbox rows are not loaded: the relay publishes them and the pruning
  deletes them after their retention, so a settled database holds few.

Afterwards VACUUM ANALYZE, as autovacuum would have done on a settled
database, so the planner sees real statistics.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import sql

from bench.national_data import START, Programme, events, iso, programme_name, programme_snapshot
from services.common.events import event_type
from services.reporting.pseudonyms import pseudonym
from services.reporting.public_events import EVALUATED, PSEUDONYMISED, PUBLIC_TYPES, SERVICE

SERVICES = ("enrolment", "sessions", "reporting", "notifications")


def copy(conn: psycopg.Connection[Any], table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY rows into table (text format: Python values are adapted by psycopg); returns the row count."""
    n = 0
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table),
                                                          sql.SQL(", ").join(map(sql.Identifier, columns)))
    with conn.cursor() as cur, cur.copy(statement) as cp:
        for row in rows:
            cp.write_row(row)
            n += 1
    return n


def load(prog: Programme, urls: dict[str, str], secret: str, min_group: int = 3) -> dict[str, Any]:
    """Load every service's database; returns rows and seconds per service."""
    out: dict[str, Any] = {}
    for service, loader in (("enrolment", _enrolment), ("sessions", _sessions), ("reporting", _reporting)):
        started = time.monotonic()
        with psycopg.connect(urls[service]) as conn:
            rows = loader(conn, prog, secret, min_group)
        out[service] = {"rows": rows, "seconds": round(time.monotonic() - started, 2)}
    started = time.monotonic()
    for service in SERVICES:
        with psycopg.connect(urls[service], autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    out["vacuum_analyze_seconds"] = round(time.monotonic() - started, 2)
    return out


def _enrolment(conn: psycopg.Connection[Any], prog: Programme, _secret: str, _min_group: int) -> dict[str, int]:
    from services.enrolment.domain import STANDARD_COMMITMENTS
    from services.enrolment.schemas import SessionRules

    p = prog.programme_id
    snap = programme_snapshot(prog)
    rows: dict[str, int] = {}
    rows["programmes"] = copy(conn, "programmes", (
        "id", "status", "name", "fund", "theme", "period_start", "period_end", "regions", "planned_sessions",
        "required_commitments", "min_assessed_level", "max_delegates_per_company", "session_rules", "opened_on"), [(
            p, "open", programme_name(prog), snap["fund"], snap["theme"], snap["period_start"], snap["period_end"],
            snap["regions"], json.dumps(snap["planned_sessions"]), list(STANDARD_COMMITMENTS), 3, 25,
            json.dumps(SessionRules().load({})), (START - timedelta(days=90)).date())])
    people = [(c.director_id, f"Directeur van {c.name}", f"directie.{c.kvk}@bedrijf.example", c.registered_at)
              for c in prog.companies]
    people += [(d.person_id, d.name, f"deelnemer.{d.person_id[:13]}@bedrijf.example", d.delegated_at)
               for d in prog.delegates]
    rows["persons"] = copy(conn, "persons", ("id", "name", "email", "language", "created_at"),
                           ((i, name, mail, "nl", at) for i, name, mail, at in people))
    rows["companies"] = copy(conn, "companies", (
        "id", "name", "kvk_number", "region", "street", "postal_code", "city", "size", "created_at"),
        ((c.id, c.name, c.kvk, c.region, f"Bouwweg {n % 200 + 1}", f"{1000 + n % 8999}AB", "Utrecht",
          ("micro", "small", "medium", "large")[n % 4], c.registered_at) for n, c in enumerate(prog.companies)))
    rows["company_directors"] = copy(conn, "company_directors", ("company_id", "person_id", "role", "position"),
                                     ((c.id, c.director_id, "director", 0) for c in prog.companies))
    level: dict[str, str] = {}
    for f in sorted(prog.follow_ups, key=lambda f: (f.occurred_on, f.recorded_at)):
        level[f.enrolment_id] = f.level  # the latest follow-up's level (services/common/adoption.py)
    rows["enrolments"] = copy(conn, "enrolments", (
        "id", "company_id", "programme_id", "state", "admitted_on", "declined_on", "decline_reason", "activated_on",
        "completed_on", "withdrawn_on", "withdrawal_reason", "adoption_level", "created_at"),
        ((e.id, e.company_id, p, e.state, e.admitted_on, e.declined_on,
          "niveau te laag" if e.declined_on else None, e.activated_on, e.completed_on, e.withdrawn_on,
          e.withdrawal_reason, level.get(e.id), e.interested_at) for e in prog.enrolments))
    directors = {c.id: c.director_id for c in prog.companies}
    commitments = json.dumps(dict.fromkeys(STANDARD_COMMITMENTS, True))
    rows["intakes"] = copy(conn, "intakes", (
        "id", "enrolment_id", "status", "scheduled_at", "location", "held_on", "interviewee_person_id",
        "interviewee_role", "interviewer", "commitments", "assessed_level", "meets_admission_rule", "created_at"),
        ((e.intake_id, e.id, "held", e.interested_at + timedelta(days=3), "Op kantoor", e.intake_on,
          directors[e.company_id], "director", "Projectleider", commitments, e.assessed_level,
          e.admitted_on is not None, e.interested_at) for e in prog.enrolments))
    rows["delegates"] = copy(conn, "delegates", (
        "enrolment_id", "person_id", "job_level", "below_management", "delegated_on", "created_at"),
        ((d.enrolment_id, d.person_id, d.job_level, d.job_level in ("foreman", "employee"), d.delegated_at.date(),
          d.delegated_at) for d in prog.delegates))
    rows["follow_ups"] = copy(conn, "follow_ups", (
        "id", "enrolment_id", "activity", "occurred_on", "adoption_level", "created_at"),
        ((f.id, f.enrolment_id, f.activity, f.occurred_on, f.level, f.recorded_at) for f in prog.follow_ups))
    return rows


def _sessions(conn: psycopg.Connection[Any], prog: Programme, _secret: str, _min_group: int) -> dict[str, int]:
    p = prog.programme_id
    rows: dict[str, int] = {}
    rows["programmes"] = copy(conn, "programmes", (
        "programme_id", "name", "regions", "min_duration_minutes", "max_duration_minutes", "online_facilitators"),
        [(p, programme_name(prog), list(programme_snapshot(prog)["regions"]), 60, 210, 2)])
    rows["enrolments"] = copy(conn, "enrolments", (
        "enrolment_id", "company_id", "programme_id", "region", "admitted_on", "withdrawn_on"),
        ((e.id, e.company_id, p, e.region, e.admitted_on, e.withdrawn_on) for e in prog.enrolments))
    rows["delegates"] = copy(conn, "delegates", (
        "programme_id", "person_id", "enrolment_id", "company_id", "region", "job_level", "below_management", "name"),
        ((p, d.person_id, d.enrolment_id, d.company_id, d.region, d.job_level, d.job_level in ("foreman", "employee"),
          d.name) for d in prog.delegates))
    rows["delegate_names"] = copy(conn, "delegate_names", ("person_id", "name"),
                                  ((d.person_id, d.name) for d in prog.delegates))
    rows["sessions"] = copy(conn, "sessions", (
        "id", "programme_id", "type", "region", "format", "venue_address", "online_url", "host_company_id",
        "starts_at", "duration_minutes", "capacity_min", "capacity_max", "facilitator_ids", "status", "cancel_reason",
        "version", "held_at", "created_at"),
        ((s.id, p, s.type, s.region, s.format, "Regiokantoor, Stationsplein 1" if s.format == "regional_venue"
          else None, "https://meet.example/" + s.id[:8] if s.format == "online" else None, s.host_company_id,
          s.starts_at, s.duration, s.capacity_min, s.capacity_max, s.facilitators, s.status,
          "te weinig aanmeldingen" if s.status == "cancelled" else None, s.version,
          s.starts_at + timedelta(minutes=s.duration + 15) if s.status == "held" else None,
          s.starts_at - timedelta(days=30)) for s in prog.sessions))
    rows["invitations"] = copy(conn, "invitations", ("id", "session_id", "person_id", "company_id", "invited_at"),
                               ((pl.invitation_id, pl.session_id, pl.person_id, pl.company_id, pl.invited_at)
                                for pl in prog.places))
    rows["registrations"] = copy(conn, "registrations", (
        "id", "session_id", "person_id", "company_id", "status", "arrival", "created_at", "cancelled_at",
        "cancel_late", "cancel_cause", "attendance", "attendance_recorded_at"),
        ((pl.registration_id, pl.session_id, pl.person_id, pl.company_id,
          "cancelled" if pl.cancelled_at else "registered", pl.arrival, pl.registered_at, pl.cancelled_at,
          pl.cancelled_late, "participant" if pl.cancelled_at else None, pl.attendance, pl.attendance_at)
         for pl in prog.places))
    conn.execute("SELECT setval('registration_arrival', %s)", (max(len(prog.places), 1),))
    starts = {s.id: s.starts_at for s in prog.sessions}
    rows["evaluations"] = copy(conn, "evaluations", (
        "id", "session_id", "person_id", "company_id", "score", "comment", "submitted_at"),
        ((pl.evaluation_id, pl.session_id, pl.person_id, pl.company_id, pl.score,
          "Nuttige sessie" if n % 4 == 0 else None, starts[pl.session_id] + timedelta(days=1))
         for n, pl in enumerate(prog.places) if pl.evaluation_id))
    return rows


def _reporting(conn: psycopg.Connection[Any], prog: Programme, secret: str, min_group: int) -> dict[str, int]:
    rows = _projections(conn, prog)
    # Two passes over the (deterministic) stream, so a million events are never all in memory at once.
    rows["processed_events"] = copy(conn, "processed_events", (
        "consumer", "event_source", "event_id", "event_type", "processed_at"), _claims(prog))
    rows["external_events"] = copy(conn, "external_events", (
        "position", "id", "event_id", "event_type", "cause_source", "cause_id", "payload", "recorded_at"),
        _public(prog, secret, min_group))
    conn.execute("SELECT setval('external_events_id_seq', %s)", (max(rows["external_events"], 1),))
    return rows


def _projections(conn: psycopg.Connection[Any], prog: Programme) -> dict[str, int]:
    p = prog.programme_id
    snap = programme_snapshot(prog)
    rows: dict[str, int] = {}
    rows["programmes"] = copy(conn, "programmes", (
        "programme_id", "name", "fund", "theme", "period_start", "period_end", "regions", "planned_sessions",
        "snapshot_at"), [(p, snap["name"], snap["fund"], snap["theme"], snap["period_start"], snap["period_end"],
                          snap["regions"], json.dumps(snap["planned_sessions"]), START - timedelta(days=90))])
    rows["companies"] = copy(conn, "companies", ("company_id", "name", "region", "registered_at"),
                             ((c.id, c.name, c.region, c.registered_at) for c in prog.companies))
    rows["enrolments"] = copy(conn, "enrolments", (
        "enrolment_id", "company_id", "programme_id", "region", "interested_at", "admitted_on", "declined_on",
        "activated_on", "withdrawn_on", "withdrawal_reason", "completed_on"),
        ((e.id, e.company_id, p, e.region, e.interested_at, e.admitted_on, e.declined_on, e.activated_on,
          e.withdrawn_on, e.withdrawal_reason, e.completed_on) for e in prog.enrolments))
    rows["intakes"] = copy(conn, "intakes", (
        "intake_id", "enrolment_id", "programme_id", "held_on", "assessed_level", "meets_admission_rule"),
        ((e.intake_id, e.id, p, e.intake_on, e.assessed_level, e.admitted_on is not None) for e in prog.enrolments))
    rows["delegates"] = copy(conn, "delegates", (
        "enrolment_id", "person_id", "company_id", "programme_id", "job_level", "below_management", "delegated_at"),
        ((d.enrolment_id, d.person_id, d.company_id, p, d.job_level, d.job_level in ("foreman", "employee"),
          d.delegated_at) for d in prog.delegates))
    rows["follow_ups"] = copy(conn, "follow_ups", (
        "follow_up_id", "enrolment_id", "company_id", "programme_id", "activity", "occurred_on", "adoption_level",
        "recorded_at"), ((f.id, f.enrolment_id, f.company_id, p, f.activity, f.occurred_on, f.level, f.recorded_at)
                         for f in prog.follow_ups))
    places: dict[str, list[Any]] = {}
    for pl in prog.places:
        places.setdefault(pl.session_id, []).append(pl)

    def held(s: Any, what: str) -> int | None:
        return sum(1 for pl in places.get(s.id, []) if pl.attendance == what) if s.status == "held" else None

    rows["sessions"] = copy(conn, "sessions", (
        "session_id", "programme_id", "type", "region", "format", "starts_at", "duration_minutes", "capacity_min",
        "capacity_max", "facilitator_ids", "snapshot_status", "snapshot_version", "cancelled_version", "held_at",
        "held_attended", "held_no_shows", "held_excused"),
        ((s.id, p, s.type, s.region, s.format, s.starts_at, s.duration, s.capacity_min, s.capacity_max,
          s.facilitators, "planned", 1, 2 if s.status == "cancelled" else None,
          s.starts_at + timedelta(minutes=s.duration + 15) if s.status == "held" else None,
          held(s, "attended"), held(s, "no_show"), held(s, "excused")) for s in prog.sessions))
    rows["registrations"] = copy(conn, "registrations", (
        "registration_id", "session_id", "programme_id", "person_id", "company_id", "registered_at", "cancelled_at",
        "cancelled_late", "cancel_cause", "attendance", "attendance_at", "attendance_event"),
        ((pl.registration_id, pl.session_id, p, pl.person_id, pl.company_id, pl.registered_at, pl.cancelled_at,
          pl.cancelled_late, "participant" if pl.cancelled_at else None, pl.attendance, pl.attendance_at,
          pl.attendance_event) for pl in prog.places))
    rows["invitations"] = copy(conn, "invitations", (
        "invitation_id", "session_id", "programme_id", "person_id", "company_id"),
        ((pl.invitation_id, pl.session_id, p, pl.person_id, pl.company_id) for pl in prog.places))
    facilitators = {s.id: s.facilitators for s in prog.sessions}
    rows["evaluations"] = copy(conn, "evaluations", (
        "evaluation_id", "session_id", "programme_id", "person_id", "company_id", "score", "facilitator_ids"),
        ((pl.evaluation_id, pl.session_id, p, pl.person_id, pl.company_id, pl.score, facilitators[pl.session_id])
         for pl in prog.places if pl.evaluation_id))
    rows["notifications"] = copy(conn, "notifications", ("delivery_id", "kind", "outcome", "at"),
                                 ((f"invitation:{pl.invitation_id}", "invitation", "sent",
                                   pl.invited_at + timedelta(seconds=30)) for pl in prog.places))
    return rows


def _claims(prog: Programme) -> Iterator[tuple[Any, ...]]:
    """The dedupe claim reporting's consumer inserted for each event it applied."""
    for fact in events(prog, prog.seed):
        yield ("progadmin.reporting", f"/progadmin/{fact.service}", fact.id, event_type(fact.service, fact.name),
               fact.time + timedelta(seconds=1))


def _public(prog: Programme, secret: str, min_group: int) -> Iterator[tuple[Any, ...]]:
    """The public copies reporting published, sequenced, in the order their causes happened."""
    from services.reporting.public_events import public_event_id

    cached = lru_cache(maxsize=400_000)(lambda kind, value: pseudonym(secret, kind, value))

    def translate(fields: Sequence[str], data: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for name in fields:
            if name not in data:
                continue
            value, kind = data[name], PSEUDONYMISED.get(name)
            if kind is not None and value is not None:
                value = [cached(kind, str(v)) for v in value] if isinstance(value, list) else cached(kind, str(value))
            out[name] = value
        return out

    scores: dict[str, list[int]] = {}
    position = 0
    for fact in events(prog, prog.seed):
        source, internal = f"/progadmin/{fact.service}", event_type(fact.service, fact.name)
        spec, data = PUBLIC_TYPES.get(internal), None
        if spec is not None:
            data = translate(spec.fields, fact.data)
        elif fact.name == "EvaluationSubmitted":
            got = scores.setdefault(fact.data["session_id"], [])
            got.append(int(fact.data["score"]))
            if len(got) % min_group == 0:
                spec = EVALUATED
                data = {"session_id": fact.data["session_id"], "programme_id": fact.data["programme_id"],
                        "responses": len(got), "average_score": round(sum(got) / len(got), 2)}
        if spec is None or data is None:
            continue
        position += 1
        public_id = public_event_id({"source": source, "id": fact.id})
        type_ = event_type(SERVICE, spec.name)
        payload = {"specversion": "1.0", "id": public_id, "source": f"/progadmin/{SERVICE}", "type": type_,
                   "subject": str(data[spec.subject]), "time": iso(fact.time), "datacontenttype": "application/json",
                   "dataschema": f"urn:progadmin:schema:{type_}", "correlationid": fact.id, "data": data,
                   "position": position}
        yield (position, position, public_id, type_, source, fact.id, json.dumps(payload, ensure_ascii=False),
               fact.time + timedelta(seconds=2))
