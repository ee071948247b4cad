"""An enrolment's follow-ups (adoption levels recorded after the programme)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.enrolment.db.base import Conn, Row


def get_follow_up(conn: Conn, enrolment_id: UUID, follow_up_id: UUID) -> Row | None:
    return conn.execute("SELECT * FROM follow_ups WHERE id = %s AND enrolment_id = %s",
                        (follow_up_id, enrolment_id)).fetchone()


def insert_follow_up(conn: Conn, follow_up_id: UUID, enrolment_id: UUID, data: dict[str, Any]) -> Row:
    row = conn.execute(
        # clock_timestamp(), not now(): recorded under the enrolment's lock, so the recording order
        # (the tie-break of one day's follow-ups) is the order the locks were taken in.
        "INSERT INTO follow_ups (id, enrolment_id, activity, occurred_on, adoption_level, description, created_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, clock_timestamp()) RETURNING *",
        (follow_up_id, enrolment_id, data["activity"], data["occurred_on"], data["adoption_level"],
         data.get("description", ""))).fetchone()
    assert row is not None
    return row


def follow_ups_in_recording_order(conn: Conn, enrolment_id: UUID) -> list[Row]:
    return conn.execute("SELECT occurred_on, adoption_level FROM follow_ups WHERE enrolment_id = %s"
                        " ORDER BY created_at, id", (enrolment_id,)).fetchall()


def list_follow_ups(conn: Conn, enrolment_id: UUID, limit: int, offset: int) -> tuple[list[Row], int]:
    rows = conn.execute("SELECT * FROM follow_ups WHERE enrolment_id = %s ORDER BY occurred_on, created_at, id"
                        " LIMIT %s OFFSET %s", (enrolment_id, limit, offset)).fetchall()
    total = conn.execute("SELECT count(*) AS n FROM follow_ups WHERE enrolment_id = %s", (enrolment_id,)).fetchone()
    return rows, int(total["n"]) if total else 0
