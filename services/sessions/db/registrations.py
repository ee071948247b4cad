"""Invitations, registrations (places and the waiting list), attendance and evaluations."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.sessions.db.base import Conn, Row, count

# -- invitations ---------------------------------------------------------------


def insert_invitation(conn: Conn, invitation_id: UUID, session_id: UUID, person_id: UUID,
                      company_id: UUID) -> bool:
    return conn.execute(
        "INSERT INTO invitations (id, session_id, person_id, company_id) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (session_id, person_id) DO NOTHING", (invitation_id, session_id, person_id, company_id)
    ).rowcount == 1


def list_invitations(conn: Conn, session_id: UUID, limit: int, offset: int) -> tuple[list[Row], int]:
    rows = conn.execute("SELECT * FROM invitations WHERE session_id = %s ORDER BY invited_at, id LIMIT %s OFFSET %s",
                        (session_id, limit, offset)).fetchall()
    return rows, count(conn, "SELECT count(*) AS n FROM invitations WHERE session_id = %(s)s", {"s": session_id})


# -- registrations --------------------------------------------------------------

REGISTRATION_COLUMNS = (
    "r.*, CASE WHEN r.status = 'waitlisted' THEN (SELECT count(*) FROM registrations w"
    " WHERE w.session_id = r.session_id AND w.status = 'waitlisted' AND w.arrival <= r.arrival) END AS position")


def next_arrival(conn: Conn) -> int:
    row = conn.execute("SELECT nextval('registration_arrival') AS n").fetchone()
    assert row is not None
    return int(row["n"])


def insert_registration(conn: Conn, registration_id: UUID, session_id: UUID, person_id: UUID, company_id: UUID,
                        status: str, arrival: int) -> None:
    conn.execute("INSERT INTO registrations (id, session_id, person_id, company_id, status, arrival)"
                 " VALUES (%s, %s, %s, %s, %s, %s)",
                 (registration_id, session_id, person_id, company_id, status, arrival))


def get_registration(conn: Conn, registration_id: UUID) -> Row | None:
    return conn.execute(f"SELECT {REGISTRATION_COLUMNS} FROM registrations r WHERE r.id = %s",
                        (registration_id,)).fetchone()


def live_registration(conn: Conn, session_id: UUID, person_id: UUID) -> Row | None:
    return conn.execute(f"SELECT {REGISTRATION_COLUMNS} FROM registrations r WHERE r.session_id = %s"
                        " AND r.person_id = %s AND r.status IN ('registered', 'waitlisted')",
                        (session_id, person_id)).fetchone()


def list_registrations(conn: Conn, session_id: UUID, status: str | None, limit: int,
                       offset: int) -> tuple[list[Row], int]:
    params = {"s": session_id, "status": status, "limit": limit, "offset": offset}
    where = " WHERE r.session_id = %(s)s AND (%(status)s::text IS NULL OR r.status = %(status)s)"
    rows = conn.execute(f"SELECT {REGISTRATION_COLUMNS} FROM registrations r" + where
                        + " ORDER BY r.arrival LIMIT %(limit)s OFFSET %(offset)s", params).fetchall()
    return rows, count(conn, "SELECT count(*) AS n FROM registrations r" + where, params)


def waitlist(conn: Conn, session_id: UUID) -> list[Row]:
    return conn.execute("SELECT * FROM registrations WHERE session_id = %s AND status = 'waitlisted'"
                        " ORDER BY arrival", (session_id,)).fetchall()


def set_registered(conn: Conn, registration_id: UUID, now: datetime) -> None:
    conn.execute("UPDATE registrations SET status = 'registered', promoted_at = %s WHERE id = %s",
                 (now, registration_id))


def set_cancelled(conn: Conn, registration_id: UUID, now: datetime, late: bool, cause: str) -> None:
    conn.execute("UPDATE registrations SET status = 'cancelled', cancelled_at = %s, cancel_late = %s,"
                 " cancel_cause = %s WHERE id = %s", (now, late, cause, registration_id))


def future_live_registrations(conn: Conn, now: datetime, *, programme_id: UUID, company_id: UUID | None = None,
                              person_id: UUID | None = None) -> list[Row]:
    """Live registrations in sessions that have not started, for a company or a person."""
    return conn.execute(
        "SELECT r.* FROM registrations r JOIN sessions s ON s.id = r.session_id"
        " WHERE s.programme_id = %(p)s AND s.starts_at > %(now)s AND s.status IN ('planned', 'confirmed')"
        " AND r.status IN ('registered', 'waitlisted')"
        " AND (%(c)s::uuid IS NULL OR r.company_id = %(c)s) AND (%(person)s::uuid IS NULL OR r.person_id = %(person)s)"
        " ORDER BY r.session_id, r.arrival",
        {"p": programme_id, "now": now, "c": company_id, "person": person_id}).fetchall()


def person_live_registrations_anywhere(conn: Conn, person_id: UUID, now: datetime) -> list[Row]:
    return conn.execute(
        "SELECT r.*, s.programme_id FROM registrations r JOIN sessions s ON s.id = r.session_id"
        " WHERE r.person_id = %s AND s.starts_at > %s AND s.status IN ('planned', 'confirmed')"
        " AND r.status IN ('registered', 'waitlisted') ORDER BY r.session_id, r.arrival",
        (person_id, now)).fetchall()


def set_attendance(conn: Conn, registration_id: UUID, attendance: str) -> None:
    conn.execute("UPDATE registrations SET attendance = %s, attendance_recorded_at = now() WHERE id = %s",
                 (attendance, registration_id))


def attendance_history(conn: Conn, programme_id: UUID, person_id: UUID) -> list[Row]:
    return conn.execute(
        "SELECT r.session_id, r.attendance, r.company_id FROM registrations r JOIN sessions s ON s.id = r.session_id"
        " WHERE s.programme_id = %s AND r.person_id = %s AND r.status = 'registered' AND r.attendance IS NOT NULL"
        " ORDER BY s.starts_at, s.id", (programme_id, person_id)).fetchall()


def claim_no_show_alert(conn: Conn, person_id: UUID, session_id: str) -> bool:
    return conn.execute("INSERT INTO no_show_alerts (person_id, session_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                        (person_id, session_id)).rowcount == 1


def attendance_counts(conn: Conn, session_id: UUID) -> Row:
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE attendance = 'attended') AS attended,"
        " count(*) FILTER (WHERE attendance = 'no_show') AS no_shows,"
        " count(*) FILTER (WHERE attendance = 'excused') AS excused,"
        " count(*) FILTER (WHERE attendance IS NULL) AS unrecorded"
        " FROM registrations WHERE session_id = %s AND status = 'registered'", (session_id,)).fetchone()
    assert row is not None
    return row


# -- evaluations -------------------------------------------------------------------


def insert_evaluation(conn: Conn, evaluation_id: UUID, session_id: UUID, person_id: UUID, company_id: UUID,
                      score: int, comment: str | None) -> bool:
    return conn.execute(
        "INSERT INTO evaluations (id, session_id, person_id, company_id, score, comment)"
        " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (session_id, person_id) DO NOTHING",
        (evaluation_id, session_id, person_id, company_id, score, comment)).rowcount == 1


def evaluations_of(conn: Conn, session_id: UUID) -> list[Row]:
    return conn.execute("SELECT score, comment FROM evaluations WHERE session_id = %s ORDER BY submitted_at",
                        (session_id,)).fetchall()


def attended_registration(conn: Conn, session_id: UUID, person_id: UUID) -> Row | None:
    """The person's place in the session if they attended it (only they may evaluate it)."""
    return conn.execute(
        "SELECT company_id FROM registrations WHERE session_id = %s AND person_id = %s"
        " AND status = 'registered' AND attendance = 'attended'", (session_id, person_id)).fetchone()


def record_response(conn: Conn, session_id: UUID, person_id: UUID, response: str, now: datetime) -> Row | None:
    """The invitation's new answer; None when the person was not invited or the answer is unchanged."""
    return conn.execute(
        "UPDATE invitations SET response = %s, responded_at = %s WHERE session_id = %s AND person_id = %s"
        " AND response IS DISTINCT FROM %s RETURNING *", (response, now, session_id, person_id, response)).fetchone()


def invitation_of(conn: Conn, session_id: UUID, person_id: UUID) -> Row | None:
    return conn.execute("SELECT * FROM invitations WHERE session_id = %s AND person_id = %s",
                        (session_id, person_id)).fetchone()
