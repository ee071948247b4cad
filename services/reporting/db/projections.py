"""Reporting's projection writes (plain SQL, bound parameters): the facts the events bring.

Every write is an upsert keyed by the fact's id that sets only the columns
its event knows, so events may arrive in any order and any number of times.
Snapshots carry a version or time and only a newer one wins.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from typing import Any, cast
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

Conn = psycopg.Connection[Any]
DictConn = psycopg.Connection[dict[str, Any]]


@contextlib.contextmanager
def connect(pool: ConnectionPool) -> Iterator[DictConn]:
    """A pooled connection, typed for its dict rows (the pool's row factory)."""
    with pool.connection() as conn:
        yield cast(DictConn, conn)

PROJECTION_TABLES = ("programmes", "companies", "enrolments", "intakes", "delegates", "follow_ups", "sessions",
                     "registrations", "invitations", "evaluations", "notifications", "erased_persons")


# -- programmes and companies ---------------------------------------------------------------
def upsert_programme_snapshot(conn: Conn, data: dict[str, Any], at: str, event_id: str) -> None:
    conn.execute(
        "INSERT INTO programmes (programme_id, name, fund, theme, period_start, period_end, regions,"
        " planned_sessions, snapshot_at, snapshot_event)"
        " VALUES (%(programme_id)s, %(name)s, %(fund)s, %(theme)s, %(period_start)s, %(period_end)s, %(regions)s,"
        " %(planned)s, %(at)s, %(event)s)"
        " ON CONFLICT (programme_id) DO UPDATE SET name = EXCLUDED.name, fund = EXCLUDED.fund,"
        " theme = EXCLUDED.theme, period_start = EXCLUDED.period_start, period_end = EXCLUDED.period_end,"
        " regions = EXCLUDED.regions, planned_sessions = EXCLUDED.planned_sessions,"
        " snapshot_at = EXCLUDED.snapshot_at, snapshot_event = EXCLUDED.snapshot_event"
        " WHERE programmes.snapshot_at IS NULL"
        "    OR (programmes.snapshot_at, programmes.snapshot_event) < (EXCLUDED.snapshot_at, EXCLUDED.snapshot_event)",
        {**data, "planned": Jsonb(data["planned_sessions"]), "at": at, "event": event_id})


def close_programme(conn: Conn, programme_id: UUID, closed_on: Any) -> None:
    conn.execute(
        "INSERT INTO programmes (programme_id, closed_on) VALUES (%s, %s)"
        " ON CONFLICT (programme_id) DO UPDATE SET closed_on = EXCLUDED.closed_on", (programme_id, closed_on))


def upsert_company(conn: Conn, company_id: UUID, region: str, registered_at: str, name: str | None = None) -> None:
    """The registration is authoritative for name and region."""
    conn.execute(
        "INSERT INTO companies (company_id, name, region, registered_at) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (company_id) DO UPDATE SET name = COALESCE(EXCLUDED.name, companies.name),"
        " region = EXCLUDED.region, registered_at = EXCLUDED.registered_at",
        (company_id, name, region, registered_at))


def know_company(conn: Conn, company_id: UUID, region: str | None) -> None:
    """A company mentioned before (or without) its registration: remember its region."""
    conn.execute(
        "INSERT INTO companies (company_id, region) VALUES (%s, %s)"
        " ON CONFLICT (company_id) DO UPDATE SET region = COALESCE(companies.region, EXCLUDED.region)",
        (company_id, region))


# -- enrolments -----------------------------------------------------------------------------
ENROLMENT_FACTS = ("interested_at", "admitted_on", "declined_on", "activated_on", "withdrawn_on", "withdrawal_reason",
                   "completed_on")


@cache
def _enrolment_fact_sql(facts: tuple[str, ...]) -> str:
    """The upsert for one set of fact columns, rendered once: composing it per event was a tenth of a rebuild's
    client time (issue 14). Only names from ENROLMENT_FACTS get here, so the set of statements is small."""
    columns = ["enrolment_id", "company_id", "programme_id", "region", *facts]
    updates: list[sql.Composable] = [sql.SQL("region = COALESCE(EXCLUDED.region, enrolments.region)")]
    updates += [sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in facts]
    return sql.SQL("INSERT INTO enrolments ({}) VALUES ({}) ON CONFLICT (enrolment_id) DO UPDATE SET {}").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)), sql.SQL(", ").join(sql.Placeholder() * len(columns)),
        sql.SQL(", ").join(updates)).as_string()


def record_enrolment_fact(conn: Conn, data: dict[str, Any], **facts: Any) -> None:
    """Create the enrolment if unseen and set the columns this event knows."""
    unknown = set(facts) - set(ENROLMENT_FACTS)
    if unknown:
        raise ValueError(f"not enrolment facts: {sorted(unknown)}")
    values = [data["enrolment_id"], data["company_id"], data["programme_id"], data.get("region"), *facts.values()]
    conn.execute(_enrolment_fact_sql(tuple(facts)), values)  # a str rendered from sql.SQL, identifiers quoted
    know_company(conn, data["company_id"], data.get("region"))


def record_intake(conn: Conn, data: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO intakes (intake_id, enrolment_id, programme_id, held_on, assessed_level, meets_admission_rule)"
        " VALUES (%(intake_id)s, %(enrolment_id)s, %(programme_id)s, %(held_on)s, %(assessed_level)s,"
        " %(meets_admission_rule)s) ON CONFLICT (intake_id) DO NOTHING", data)
    record_enrolment_fact(conn, data)


def record_delegate(conn: Conn, data: dict[str, Any], delegated_at: str) -> None:
    conn.execute(
        "INSERT INTO delegates (enrolment_id, person_id, company_id, programme_id, job_level, below_management,"
        " delegated_at) VALUES (%(enrolment_id)s, %(person_id)s, %(company_id)s, %(programme_id)s, %(job_level)s,"
        " %(below_management)s, %(at)s)"
        " ON CONFLICT (enrolment_id, person_id) DO UPDATE SET job_level = EXCLUDED.job_level,"
        " below_management = EXCLUDED.below_management, delegated_at = EXCLUDED.delegated_at",
        {**data, "at": delegated_at})
    record_enrolment_fact(conn, data)


def record_delegate_removed(conn: Conn, data: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO delegates (enrolment_id, person_id, company_id, programme_id, removed_on)"
        " VALUES (%(enrolment_id)s, %(person_id)s, %(company_id)s, %(programme_id)s, %(removed_on)s)"
        " ON CONFLICT (enrolment_id, person_id) DO UPDATE SET removed_on = EXCLUDED.removed_on", data)
    record_enrolment_fact(conn, data)


def record_follow_up(conn: Conn, data: dict[str, Any], recorded_at: str) -> None:
    """One follow-up with when it was recorded (its event's time): the company's level is its latest one's."""
    conn.execute(
        "INSERT INTO follow_ups (follow_up_id, enrolment_id, company_id, programme_id, activity, occurred_on,"
        " adoption_level, recorded_at) VALUES (%(follow_up_id)s, %(enrolment_id)s, %(company_id)s, %(programme_id)s,"
        " %(activity)s, %(occurred_on)s, %(adoption_level)s, %(recorded_at)s) ON CONFLICT (follow_up_id) DO NOTHING",
        {**data, "recorded_at": recorded_at})
    record_enrolment_fact(conn, data)


def record_erasure(conn: Conn, person_id: UUID, erased_on: Any) -> None:
    conn.execute("INSERT INTO erased_persons (person_id, erased_on) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                 (person_id, erased_on))


# -- sessions -------------------------------------------------------------------------------
def know_session(conn: Conn, session_id: UUID, programme_id: UUID) -> None:
    """A session mentioned before its snapshot: keep its facts, fill the rest later."""
    conn.execute("INSERT INTO sessions (session_id, programme_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                 (session_id, programme_id))


def upsert_session_snapshot(conn: Conn, data: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO sessions (session_id, programme_id, type, region, format, starts_at, duration_minutes,"
        " capacity_min, capacity_max, facilitator_ids, working_method, snapshot_status, snapshot_version)"
        " VALUES (%(session_id)s, %(programme_id)s, %(type)s, %(region)s, %(format)s, %(starts_at)s,"
        " %(duration_minutes)s, %(capacity_min)s, %(capacity_max)s, %(facilitator_ids)s, %(working_method)s,"
        " %(status)s, %(version)s)"
        " ON CONFLICT (session_id) DO UPDATE SET programme_id = EXCLUDED.programme_id, type = EXCLUDED.type,"
        " region = EXCLUDED.region, format = EXCLUDED.format, starts_at = EXCLUDED.starts_at,"
        " duration_minutes = EXCLUDED.duration_minutes, capacity_min = EXCLUDED.capacity_min,"
        " capacity_max = EXCLUDED.capacity_max, facilitator_ids = EXCLUDED.facilitator_ids,"
        " working_method = EXCLUDED.working_method, snapshot_status = EXCLUDED.snapshot_status,"
        " snapshot_version = EXCLUDED.snapshot_version"
        " WHERE sessions.snapshot_version IS NULL OR sessions.snapshot_version < EXCLUDED.snapshot_version", data)


def cancel_session(conn: Conn, data: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO sessions (session_id, programme_id, cancelled_version) VALUES (%s, %s, %s)"
        " ON CONFLICT (session_id) DO UPDATE"
        " SET cancelled_version = GREATEST(sessions.cancelled_version, EXCLUDED.cancelled_version)",
        (data["session_id"], data["programme_id"], data["version"]))


def hold_session(conn: Conn, data: dict[str, Any], held_at: str) -> None:
    """The closing summary; type and region fill in for a session whose snapshot is still unseen."""
    conn.execute(
        "INSERT INTO sessions (session_id, programme_id, type, region, held_at, held_attended, held_no_shows,"
        " held_excused) VALUES (%(session_id)s, %(programme_id)s, %(type)s, %(region)s, %(at)s, %(attended)s,"
        " %(no_shows)s, %(excused)s)"
        " ON CONFLICT (session_id) DO UPDATE SET type = COALESCE(sessions.type, EXCLUDED.type),"
        " region = COALESCE(sessions.region, EXCLUDED.region),"
        " held_at = CASE WHEN sessions.held_at IS NULL OR sessions.held_at <= EXCLUDED.held_at"
        "                THEN EXCLUDED.held_at ELSE sessions.held_at END,"
        " held_attended = CASE WHEN sessions.held_at IS NULL OR sessions.held_at <= EXCLUDED.held_at"
        "                THEN EXCLUDED.held_attended ELSE sessions.held_attended END,"
        " held_no_shows = CASE WHEN sessions.held_at IS NULL OR sessions.held_at <= EXCLUDED.held_at"
        "                THEN EXCLUDED.held_no_shows ELSE sessions.held_no_shows END,"
        " held_excused = CASE WHEN sessions.held_at IS NULL OR sessions.held_at <= EXCLUDED.held_at"
        "                THEN EXCLUDED.held_excused ELSE sessions.held_excused END",
        {**data, "at": held_at})


# -- registrations, invitations, evaluations ------------------------------------------------
PLACE_FACTS = ("registered_at", "waitlisted_at", "promoted_at", "cancelled_at")


@cache
def _place_fact_sql(fact: str, extra: tuple[str, ...]) -> str:
    """The upsert for one fact (and cancellation details), rendered once per shape (see _enrolment_fact_sql)."""
    columns = ["registration_id", "session_id", "programme_id", "person_id", "company_id", fact, *extra]
    first_wins = sql.SQL("{0} = LEAST(registrations.{0}, EXCLUDED.{0})").format(sql.Identifier(fact))
    updates: list[sql.Composable] = [first_wins]
    updates += [sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in extra]
    return sql.SQL("INSERT INTO registrations ({}) VALUES ({}) ON CONFLICT (registration_id) DO UPDATE SET {}").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)), sql.SQL(", ").join(sql.Placeholder() * len(columns)),
        sql.SQL(", ").join(updates)).as_string()


def record_place_fact(conn: Conn, data: dict[str, Any], fact: str, at: str, **extra: Any) -> None:
    """Set one timestamp fact (the first one wins) plus optional cancellation details."""
    if fact not in PLACE_FACTS or set(extra) - {"cancelled_late", "cancel_cause"}:
        raise ValueError(f"not a registration fact: {fact} {sorted(extra)}")
    values = [data["registration_id"], data["session_id"], data["programme_id"], data["person_id"],
              data["company_id"], at, *extra.values()]
    conn.execute(_place_fact_sql(fact, tuple(extra)), values)  # a str rendered from sql.SQL, identifiers quoted
    know_session(conn, data["session_id"], data["programme_id"])


def record_attendance(conn: Conn, data: dict[str, Any], at: str, event_id: str) -> None:
    """Last writer wins by (event time, event id): a later record corrects an earlier one."""
    conn.execute(
        "INSERT INTO registrations (registration_id, session_id, programme_id, person_id, company_id, attendance,"
        " attendance_at, attendance_event) VALUES (%(registration_id)s, %(session_id)s, %(programme_id)s,"
        " %(person_id)s, %(company_id)s, %(attendance)s, %(at)s, %(event)s)"
        " ON CONFLICT (registration_id) DO UPDATE SET attendance = EXCLUDED.attendance,"
        " attendance_at = EXCLUDED.attendance_at, attendance_event = EXCLUDED.attendance_event"
        " WHERE registrations.attendance_at IS NULL OR (registrations.attendance_at, registrations.attendance_event)"
        "       < (EXCLUDED.attendance_at, EXCLUDED.attendance_event)",
        {**data, "at": at, "event": event_id})
    know_session(conn, data["session_id"], data["programme_id"])


def record_invitation(conn: Conn, data: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO invitations (invitation_id, session_id, programme_id, person_id, company_id)"
        " VALUES (%(invitation_id)s, %(session_id)s, %(programme_id)s, %(person_id)s, %(company_id)s)"
        " ON CONFLICT DO NOTHING", data)
    know_session(conn, data["session_id"], data["programme_id"])


def record_evaluation(conn: Conn, data: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO evaluations (evaluation_id, session_id, programme_id, person_id, company_id, score,"
        " facilitator_ids) VALUES (%(evaluation_id)s, %(session_id)s, %(programme_id)s, %(person_id)s,"
        " %(company_id)s, %(score)s, %(facilitator_ids)s) ON CONFLICT DO NOTHING", data)
    know_session(conn, data["session_id"], data["programme_id"])


def session_evaluation(conn: Conn, session_id: UUID) -> tuple[int, float | None]:
    row = conn.execute("SELECT count(*) AS n, avg(score)::float AS avg FROM evaluations WHERE session_id = %s",
                       (session_id,)).fetchone()
    assert row is not None
    return int(row["n"]), row["avg"]


def record_notification(conn: Conn, delivery_id: str, kind: str, outcome: str, at: str) -> None:
    conn.execute(
        "INSERT INTO notifications (delivery_id, kind, outcome, at) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (delivery_id) DO UPDATE SET outcome = EXCLUDED.outcome, at = EXCLUDED.at"
        " WHERE notifications.at < EXCLUDED.at", (delivery_id, kind, outcome, at))


# -- the thin slice -------------------------------------------------------------------------
def company_counts(conn: Conn, regions: list[str] | None) -> dict[str, int]:
    rows = conn.execute(
        "SELECT region, count(*) AS n FROM companies WHERE registered_at IS NOT NULL"
        " AND (%(regions)s::text[] IS NULL OR region = ANY(%(regions)s)) GROUP BY region",
        {"regions": regions}).fetchall()
    return {r["region"]: int(r["n"]) for r in rows}


def truncate_projections(conn: Conn) -> None:
    conn.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(map(sql.Identifier, PROJECTION_TABLES))))


def now(conn: Conn) -> datetime:
    row = conn.execute("SELECT now() AS t").fetchone()
    assert row is not None
    return cast(datetime, row["t"])
