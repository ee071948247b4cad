"""The staff directory: coordinators, facilitators and fund administrators, entered by hand."""

from __future__ import annotations

from typing import Any

from services.notifications.db.base import Conn, Row


def upsert_staff(conn: Conn, staff_id: str, body: dict[str, Any]) -> tuple[Row, bool]:
    row = conn.execute(
        "INSERT INTO staff (staff_id, role, name, email, language, regions) VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (staff_id) DO UPDATE SET role = EXCLUDED.role, name = EXCLUDED.name, email = EXCLUDED.email,"
        " language = EXCLUDED.language, regions = EXCLUDED.regions, updated_at = now()"
        " RETURNING *, (xmax = 0) AS created",
        (staff_id, body["role"], body["name"], body["email"], body.get("language", "nl"),
         body.get("regions", []))).fetchone()
    assert row is not None
    created = bool(row.pop("created"))
    return row, created


def staff_member(conn: Conn, staff_id: str) -> Row | None:
    return conn.execute("SELECT * FROM staff WHERE staff_id = %s", (staff_id,)).fetchone()


def delete_staff(conn: Conn, staff_id: str) -> bool:
    return conn.execute("DELETE FROM staff WHERE staff_id = %s", (staff_id,)).rowcount == 1


def list_staff(conn: Conn, role: str | None, region: str | None, limit: int, offset: int) -> tuple[list[Row], int]:
    where = "(%(role)s::text IS NULL OR role = %(role)s) AND (%(region)s::text IS NULL OR %(region)s = ANY(regions))"
    args = {"role": role, "region": region, "limit": limit, "offset": offset}
    total = conn.execute(f"SELECT count(*) AS n FROM staff WHERE {where}", args).fetchone()
    rows = conn.execute(f"SELECT * FROM staff WHERE {where} ORDER BY staff_id LIMIT %(limit)s OFFSET %(offset)s",
                        args).fetchall()
    return rows, int(total["n"]) if total else 0


def coordinators_of(conn: Conn, region: str | None) -> list[Row]:
    return conn.execute("SELECT * FROM staff WHERE role = 'coordinator' AND %s = ANY(regions) ORDER BY staff_id",
                        (region,)).fetchall()


def fund_admins(conn: Conn) -> list[Row]:
    return conn.execute("SELECT * FROM staff WHERE role = 'fund_admin' ORDER BY staff_id").fetchall()
