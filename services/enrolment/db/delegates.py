"""An enrolment's delegates (the participants a company sends)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.enrolment.db.base import Conn, Row

DELEGATE_VIEW = ("SELECT d.*, p.name, p.email, p.phone, p.language FROM delegates d"
                 " JOIN persons p ON p.id = d.person_id")


def get_delegate(conn: Conn, enrolment_id: UUID, person_id: UUID) -> Row | None:
    return conn.execute(f"{DELEGATE_VIEW} WHERE d.enrolment_id = %s AND d.person_id = %s",
                        (enrolment_id, person_id)).fetchone()


def remove_delegate(conn: Conn, enrolment_id: UUID, person_id: UUID, removed_on: Any,
                    replaced_by: UUID | None) -> None:
    conn.execute("UPDATE delegates SET removed_on = %s, replaced_by = %s WHERE enrolment_id = %s AND person_id = %s",
                 (removed_on, replaced_by, enrolment_id, person_id))


def list_delegates(conn: Conn, enrolment_id: UUID, include_removed: bool, limit: int,
                   offset: int) -> tuple[list[Row], int]:
    where = "WHERE d.enrolment_id = %(e)s AND (%(all)s OR d.removed_on IS NULL)"
    params = {"e": enrolment_id, "all": include_removed, "limit": limit, "offset": offset}
    rows = conn.execute(f"{DELEGATE_VIEW} {where} ORDER BY d.created_at, d.person_id"
                        " LIMIT %(limit)s OFFSET %(offset)s", params).fetchall()
    total = conn.execute(f"SELECT count(*) AS n FROM delegates d {where}", params).fetchone()
    return rows, int(total["n"]) if total else 0
