"""Types and the checked UPDATE every module shares (columns only from code)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

Row = dict[str, Any]
Conn = psycopg.Connection[Any]

_UPDATABLE = {
    "programmes": {"status", "name", "fund", "theme", "period_start", "period_end", "regions", "planned_sessions",
                   "extra_commitments", "required_commitments", "min_assessed_level", "max_delegates_per_company",
                   "session_rules", "teaser_question", "reminder_hours_before", "follow_up_info", "opened_on",
                   "closed_on"},
    "companies": {"name", "street", "postal_code", "city", "size", "contact_person_id"},
    "enrolments": {"state", "admitted_on", "declined_on", "decline_reason", "activated_on", "completed_on",
                   "withdrawn_on", "withdrawal_reason", "withdrawal_text", "adoption_level"},
    "intakes": {"status", "scheduled_at", "location", "sequence", "held_on", "interviewee_person_id",
                "interviewee_role", "interviewer", "commitments", "assessed_level", "meets_admission_rule", "notes"},
}
_JSON = {"planned_sessions", "session_rules", "commitments"}


def _value(column: str, value: Any) -> Any:
    return Jsonb(value) if column in _JSON and value is not None else value


def update(conn: Conn, table: str, row_id: UUID, changes: dict[str, Any]) -> Row:
    """Set `changes` on one row (columns checked against a fixed list) and return it."""
    unknown = set(changes) - _UPDATABLE[table]
    if unknown:
        raise ValueError(f"not updatable in {table}: {sorted(unknown)}")
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder(c)) for c in changes)
    query = sql.SQL("UPDATE {} SET {}, updated_at = now() WHERE id = %(id)s RETURNING *").format(
        sql.Identifier(table), assignments)
    row = conn.execute(query, {**{c: _value(c, v) for c, v in changes.items()}, "id": row_id}).fetchone()
    assert row is not None, f"{table} {row_id} vanished inside its transaction"
    return row
