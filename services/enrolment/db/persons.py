"""Persons: contact details, tracing, export and erasure (with what other tables hold about them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from services.enrolment.db.base import Conn, Row


def person_insert(conn: Conn, person_id: UUID, data: dict[str, Any]) -> psycopg.Cursor[Any]:
    """The INSERT, its row not yet read (so that it can go in a pipeline)."""
    return conn.execute(
        "INSERT INTO persons (id, name, email, phone, language) VALUES (%s, %s, %s, %s, %s) RETURNING *",
        (person_id, data["name"], data["email"], data.get("phone"), data.get("language", "nl")))


def insert_person(conn: Conn, person_id: UUID, data: dict[str, Any]) -> Row:
    row = person_insert(conn, person_id, data).fetchone()
    assert row is not None
    return row


def update_person(conn: Conn, person_id: UUID, data: dict[str, Any]) -> None:
    conn.execute("UPDATE persons SET name = %s, email = %s, phone = %s, language = %s, updated_at = now()"
                 " WHERE id = %s", (data["name"], data["email"], data.get("phone"), data.get("language", "nl"),
                                    person_id))


def find_persons(conn: Conn, email: str, limit: int, offset: int) -> tuple[list[Row], int]:
    """Persons by e-mail address (case-insensitive): how a data subject's request is traced."""
    params = {"email": email, "limit": limit, "offset": offset}
    rows = conn.execute("SELECT * FROM persons WHERE lower(email) = lower(%(email)s) ORDER BY created_at, id"
                        " LIMIT %(limit)s OFFSET %(offset)s", params).fetchall()
    total = conn.execute("SELECT count(*) AS n FROM persons WHERE lower(email) = lower(%(email)s)", params).fetchone()
    return rows, int(total["n"]) if total else 0


def get_person(conn: Conn, person_id: UUID, *, lock: bool = False) -> Row | None:
    suffix = " FOR UPDATE" if lock else ""
    return conn.execute(f"SELECT * FROM persons WHERE id = %s{suffix}", (person_id,)).fetchone()


def persons(conn: Conn, ids: Iterable[UUID]) -> dict[UUID, Row]:
    rows = conn.execute("SELECT * FROM persons WHERE id = ANY(%s)", (list(ids),)).fetchall()
    return {r["id"]: r for r in rows}


def erase_person(conn: Conn, person_id: UUID) -> Row:
    row = conn.execute(
        "UPDATE persons SET name = NULL, email = NULL, phone = NULL, erased_on = current_date, updated_at = now()"
        " WHERE id = %s RETURNING *", (person_id,)).fetchone()
    assert row is not None
    return row


def roles_of_person(conn: Conn, person_id: UUID) -> dict[str, list[Row]]:
    """Everywhere a person appears (for an export)."""
    return {
        "director_of": conn.execute(
            "SELECT c.id AS company_id, c.name AS company_name, d.role FROM company_directors d"
            " JOIN companies c ON c.id = d.company_id WHERE d.person_id = %s", (person_id,)).fetchall(),
        "contact_person_of": conn.execute(
            "SELECT id AS company_id, name AS company_name FROM companies WHERE contact_person_id = %s",
            (person_id,)).fetchall(),
        "delegations": conn.execute(
            "SELECT enrolment_id, job_level, below_management, delegated_on, removed_on, replaced_by"
            " FROM delegates WHERE person_id = %s OR replaced_by = %s", (person_id, person_id)).fetchall(),
        "intakes": conn.execute(
            "SELECT id AS intake_id, enrolment_id, held_on, interviewee_role, interviewer, commitments,"
            " assessed_level, notes FROM intakes WHERE interviewee_person_id = %s", (person_id,)).fetchall(),
    }


def forget_person_elsewhere(conn: Conn, person_id: UUID) -> None:
    """Remove what other tables say about an erased person: interview notes, active delegations."""
    conn.execute("UPDATE intakes SET notes = NULL, updated_at = now() WHERE interviewee_person_id = %s",
                 (person_id,))
    conn.execute("UPDATE delegates SET removed_on = current_date WHERE person_id = %s AND removed_on IS NULL",
                 (person_id,))


def outbox_rows_mentioning(conn: Conn, needle: str) -> list[Row]:
    return conn.execute("SELECT id, payload, published_at FROM outbox WHERE payload::text LIKE %s FOR UPDATE",
                        (f"%{needle}%",)).fetchall()


def delete_outbox_row(conn: Conn, row_id: int) -> None:
    conn.execute("DELETE FROM outbox WHERE id = %s", (row_id,))


def replace_outbox_payload(conn: Conn, row_id: int, payload: dict[str, Any]) -> None:
    conn.execute("UPDATE outbox SET payload = %s WHERE id = %s", (Jsonb(payload), row_id))


def forget_idempotent_responses(conn: Conn, person_id: str) -> None:
    """Stored responses replayed to retries may carry the person's data (always next to the id): drop them."""
    conn.execute("DELETE FROM idempotency_keys WHERE strpos(convert_from(response_body, 'UTF8'), %s) > 0",
                 (person_id,))
