"""The audit log: filtered lists and one company's history."""

from __future__ import annotations

from typing import Any

from services.enrolment.db.base import Conn, Row


def list_audit(conn: Conn, filters: dict[str, Any], limit: int, offset: int,
               newest_first: bool = False) -> tuple[list[Row], int]:
    where = ("WHERE (%(subject_type)s::text IS NULL OR subject_type = %(subject_type)s)"
             " AND (%(subject_id)s::text IS NULL OR subject_id = %(subject_id)s)"
             " AND (%(action)s::text IS NULL OR action = %(action)s)")
    params = {k: filters.get(k) for k in ("subject_type", "subject_id", "action")}
    params.update(limit=limit, offset=offset)
    order = "id DESC" if newest_first else "id"  # the pages show the newest first
    rows = conn.execute(f"SELECT * FROM audit_log {where} ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s",
                        params).fetchall()
    total = conn.execute(f"SELECT count(*) AS n FROM audit_log {where}", params).fetchone()
    return rows, int(total["n"]) if total else 0


def audit_of_subjects(conn: Conn, subjects: list[tuple[str, str]], limit: int, offset: int) -> tuple[list[Row], int]:
    """Audit rows about any of `subjects` ((type, id) pairs), newest first: one company's history."""
    types = [t for t, _ in subjects]
    ids = [i for _, i in subjects]
    where = ("WHERE (subject_type, subject_id) IN (SELECT * FROM unnest(%(types)s::text[], %(ids)s::text[]))")
    params = {"types": types, "ids": ids, "limit": limit, "offset": offset}
    rows = conn.execute(f"SELECT * FROM audit_log {where} ORDER BY id DESC LIMIT %(limit)s OFFSET %(offset)s",
                        params).fetchall()
    total = conn.execute(f"SELECT count(*) AS n FROM audit_log {where}", params).fetchone()
    return rows, int(total["n"]) if total else 0
