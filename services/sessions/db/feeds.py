"""Used signed links and calendar feeds."""

from __future__ import annotations

from uuid import UUID

from services.sessions.db.base import Conn, Row

# -- links and calendar feeds ------------------------------------------------------


def claim_link(conn: Conn, jti: str, action: str) -> bool:
    return conn.execute("INSERT INTO used_links (jti, action) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                        (jti, action)).rowcount == 1


def link_used(conn: Conn, jti: str) -> bool:
    return conn.execute("SELECT 1 FROM used_links WHERE jti = %s", (jti,)).fetchone() is not None


def insert_feed(conn: Conn, feed_id: UUID, token_hash: str, kind: str, subject: str, created_by: str) -> Row:
    row = conn.execute("INSERT INTO calendar_feeds (id, token_hash, kind, subject, created_by)"
                       " VALUES (%s, %s, %s, %s, %s) RETURNING *",
                       (feed_id, token_hash, kind, subject, created_by)).fetchone()
    assert row is not None
    return row


def feed_by_hash(conn: Conn, token_hash: str) -> Row | None:
    return conn.execute("SELECT * FROM calendar_feeds WHERE token_hash = %s AND revoked_at IS NULL",
                        (token_hash,)).fetchone()


def get_feed(conn: Conn, feed_id: UUID) -> Row | None:
    return conn.execute("SELECT * FROM calendar_feeds WHERE id = %s", (feed_id,)).fetchone()


def revoke_feed(conn: Conn, feed_id: UUID) -> None:
    conn.execute("UPDATE calendar_feeds SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL", (feed_id,))


def feed_sessions(conn: Conn, kind: str, subject: str) -> list[Row]:
    """Sessions a feed shows: a region's, a facilitator's, or those a participant holds a place in."""
    if kind == "region":
        sql = "SELECT * FROM sessions WHERE region = %s"
    elif kind == "facilitator":
        sql = "SELECT * FROM sessions WHERE %s = ANY(facilitator_ids)"
    else:
        sql = ("SELECT s.* FROM sessions s WHERE EXISTS (SELECT 1 FROM registrations r WHERE r.session_id = s.id"
               " AND r.person_id = %s::uuid AND r.status = 'registered')")
    return conn.execute(sql + " ORDER BY starts_at", (subject,)).fetchall()
