"""People: contact data from the contacts topic, their role, erasure, and the suppression list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.notifications.db.base import Conn, Row


def upsert_recipient(conn: Conn, contact: dict[str, Any], role: str, company_id: str | None,
                     enrolment_id: str | None, programme_id: str | None, job_level: str | None = None,
                     active: bool = True) -> None:
    """A v1 event: contact data and the role in one."""
    set_contact(conn, contact)
    link_recipient(conn, str(contact["person_id"]), role, company_id, enrolment_id, programme_id, job_level, active)


def set_contact(conn: Conn, contact: dict[str, Any]) -> bool:
    """Name, address and language (contacts topic, or a v1 event); False for an erased person."""
    if is_erased(conn, str(contact["person_id"])):
        return False  # a late or replayed record must not bring an erased person's contact data back
    conn.execute(
        "INSERT INTO recipients (person_id, name, email, language) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (person_id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email,"
        " language = EXCLUDED.language",
        (str(contact["person_id"]), contact["name"], contact["email"], contact["language"]))
    return True


def link_recipient(conn: Conn, person_id: str, role: str, company_id: str | None, enrolment_id: str | None,
                   programme_id: str | None, job_level: str | None = None, active: bool = True) -> None:
    """The person's role and company (v2 events name people by id only); contact data stays as it is."""
    if is_erased(conn, person_id):
        return
    conn.execute(
        "INSERT INTO recipients (person_id, role, company_id, enrolment_id, programme_id, job_level, active)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (person_id) DO UPDATE SET role = EXCLUDED.role, company_id = EXCLUDED.company_id,"
        " enrolment_id = EXCLUDED.enrolment_id, programme_id = EXCLUDED.programme_id,"
        " job_level = coalesce(EXCLUDED.job_level, recipients.job_level), active = EXCLUDED.active",
        (person_id, role, company_id, enrolment_id, programme_id, job_level, active))


def forget_contact(conn: Conn, person_id: str) -> None:
    """A tombstone on the contacts topic: the contact data goes; the role stays until PersonErased."""
    conn.execute("UPDATE recipients SET name = NULL, email = NULL, language = NULL WHERE person_id = %s",
                 (person_id,))


def wake_waiting(conn: Conn, person_id: str, now: datetime) -> None:
    """Mail that waited for this person's contact data is due now, not at its next poll."""
    conn.execute("UPDATE deliveries SET send_after = %s, updated_at = now() WHERE recipient_id = %s"
                 " AND status = 'scheduled' AND waiting_since IS NOT NULL AND send_after > %s",
                 (now, person_id, now))


def recipient(conn: Conn, person_id: str) -> Row | None:
    return conn.execute("SELECT * FROM recipients WHERE person_id = %s", (person_id,)).fetchone()


def deactivate_person(conn: Conn, person_id: str) -> None:
    conn.execute("UPDATE recipients SET active = false WHERE person_id = %s", (person_id,))


def deactivate_enrolment_people(conn: Conn, enrolment_id: str) -> list[str]:
    rows = conn.execute("UPDATE recipients SET active = false WHERE enrolment_id = %s RETURNING person_id",
                        (enrolment_id,)).fetchall()
    return [r["person_id"] for r in rows]


def erase_person(conn: Conn, person_id: str) -> None:
    """Forget name, address and language; only the pseudonymous id stays in the delivery log."""
    conn.execute("DELETE FROM recipients WHERE person_id = %s", (person_id,))
    conn.execute("DELETE FROM suppressions WHERE person_id = %s", (person_id,))
    conn.execute("DELETE FROM session_people WHERE person_id = %s", (person_id,))
    # An SMTP error text may quote the address; the log keeps the outcome, not the text.
    conn.execute("UPDATE deliveries SET last_error = 'person erased' WHERE recipient_id = %s"
                 " AND last_error IS NOT NULL", (person_id,))


def participants_in_audience(conn: Conn, programme_id: str | None, job_levels: list[str]) -> list[Row]:
    return conn.execute(
        "SELECT r.* FROM recipients r JOIN enrolments e ON e.enrolment_id = r.enrolment_id"
        " WHERE r.role = 'participant' AND r.active AND e.status = 'admitted' AND r.job_level = ANY(%s)"
        " AND (%s::text IS NULL OR r.programme_id = %s)", (job_levels, programme_id, programme_id)).fetchall()


def mark_erased(conn: Conn, person_id: str) -> None:
    conn.execute("INSERT INTO erased_people (person_id) VALUES (%s) ON CONFLICT DO NOTHING", (person_id,))


def is_erased(conn: Conn, person_id: str) -> bool:
    return conn.execute("SELECT 1 FROM erased_people WHERE person_id = %s", (person_id,)).fetchone() is not None


def may_receive(conn: Conn, person_id: str) -> bool:
    """False for someone withdrawn, removed or erased; unknown people may still be on their way."""
    row = conn.execute("SELECT active FROM recipients WHERE person_id = %s", (person_id,)).fetchone()
    if row is not None:
        return bool(row["active"])
    return not is_erased(conn, person_id)


def suppress(conn: Conn, person_id: str, reason: str) -> bool:
    return conn.execute("INSERT INTO suppressions (person_id, reason) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                        (person_id, reason)).rowcount == 1


def unsuppress(conn: Conn, person_id: str) -> bool:
    return conn.execute("DELETE FROM suppressions WHERE person_id = %s", (person_id,)).rowcount == 1


def is_suppressed(conn: Conn, person_id: str) -> bool:
    return conn.execute("SELECT 1 FROM suppressions WHERE person_id = %s", (person_id,)).fetchone() is not None


def list_suppressions(conn: Conn, limit: int, offset: int) -> tuple[list[Row], int]:
    total = conn.execute("SELECT count(*) AS n FROM suppressions").fetchone()
    rows = conn.execute("SELECT * FROM suppressions ORDER BY created_at, person_id LIMIT %s OFFSET %s",
                        (limit, offset)).fetchall()
    return rows, int(total["n"]) if total else 0
