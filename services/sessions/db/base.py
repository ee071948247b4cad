"""What every sessions query module shares: row and connection types, the live statuses, counting."""

from __future__ import annotations

from typing import Any

import psycopg

Row = dict[str, Any]
Conn = psycopg.Connection[Any]

LIVE = ("registered", "waitlisted")


def count(conn: Conn, sql: str, params: Row) -> int:
    row = conn.execute(sql, params).fetchone()
    return int(row["n"]) if row else 0
