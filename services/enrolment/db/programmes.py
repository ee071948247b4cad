"""Programmes, their names, and the regions programmes and companies name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from psycopg import sql

from services.enrolment.db.base import _UPDATABLE, Conn, Row, _value


def insert_programme(conn: Conn, programme_id: UUID, data: dict[str, Any]) -> Row:
    values = {c: _value(c, data[c]) for c in _UPDATABLE["programmes"] if c in data}
    columns = ["id", *values]
    query = sql.SQL("INSERT INTO programmes ({}) VALUES ({}) RETURNING *").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)), sql.SQL(", ").join(map(sql.Placeholder, columns)))
    row = conn.execute(query, {"id": programme_id, **values}).fetchone()
    assert row is not None
    return row


def get_programme(conn: Conn, programme_id: UUID, *, lock: bool = False, share: bool = False) -> Row | None:
    """`lock` for changing the programme; `share` keeps it from changing (e.g. closing) meanwhile."""
    suffix = " FOR UPDATE" if lock else " FOR SHARE" if share else ""
    return conn.execute(f"SELECT * FROM programmes WHERE id = %s{suffix}", (programme_id,)).fetchone()


def list_programmes(conn: Conn, status: str | None, limit: int, offset: int) -> tuple[list[Row], int]:
    where = "WHERE (%(status)s::text IS NULL OR status = %(status)s)"
    params = {"status": status, "limit": limit, "offset": offset}
    rows = conn.execute(f"SELECT * FROM programmes {where} ORDER BY created_at, id LIMIT %(limit)s OFFSET %(offset)s",
                        params).fetchall()
    total = conn.execute(f"SELECT count(*) AS n FROM programmes {where}", params).fetchone()
    return rows, int(total["n"]) if total else 0


def programme_names(conn: Conn, ids: Iterable[UUID]) -> dict[UUID, str]:
    rows = conn.execute("SELECT id, name FROM programmes WHERE id = ANY(%s)", (list(ids),)).fetchall()
    return {r["id"]: r["name"] for r in rows}


def known_regions(conn: Conn) -> list[str]:
    """Every region a programme defines or a company is registered in (regions are data)."""
    rows = conn.execute("SELECT DISTINCT region FROM (SELECT unnest(regions) AS region FROM programmes"
                        " UNION SELECT region FROM companies) r ORDER BY region").fetchall()
    return [r["region"] for r in rows]
