"""The registration path's statements grouped into pipelines (issue 14, benchmark 1).

Registering a company and delegating a participant each read back rows they answer with; here the
statements of one step go to PostgreSQL together and their results are read once they are all back, so a
step costs one round trip instead of one per statement. The statements are the other db modules', run in the
same order; their results, errors and locks are the same as one at a time.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.enrolment.db.base import Conn, Row
from services.enrolment.db.companies import company_insert
from services.enrolment.db.delegates import DELEGATE_VIEW
from services.enrolment.db.enrolments import ENROLMENT_VIEW
from services.enrolment.db.persons import person_insert


def insert_company_with_persons(
        conn: Conn, company_id: UUID, data: dict[str, Any], contact: tuple[UUID, dict[str, Any]] | None,
        directors: list[tuple[UUID, dict[str, Any]]]) -> tuple[Row | None, Row | None, list[Row]]:
    """A new company with its contact person and its directors' persons, in one round trip (issue 14).

    Returns (company, contact, director persons); company None when the KvK number is already registered:
    the persons were inserted all the same, and the caller's refusal rolls them back with its transaction.
    """
    with conn.pipeline():
        contact_cur = person_insert(conn, *contact) if contact else None
        company_cur = company_insert(conn, company_id,
                                     {**data, "contact_person_id": contact[0] if contact else None})
        director_curs = [person_insert(conn, person_id, d) for person_id, d in directors]
    persons: list[Row] = []
    for cur in director_curs:
        person = cur.fetchone()
        assert person is not None  # an INSERT … RETURNING without ON CONFLICT returns its row
        persons.append(person)
    return company_cur.fetchone(), contact_cur.fetchone() if contact_cur else None, persons


def lock_for_delegation(conn: Conn, enrolment_id: UUID) -> tuple[Row | None, Row | None, list[Row]]:
    """Lock the enrolment, then read it, its programme (held FOR SHARE) and current delegates: one round trip.

    The statements run one after the other as four separate ones would (each read after the lock sees what
    the lock's previous holder committed); only the waits between them are gone (issue 14). (None, None, [])
    when there is no such enrolment.
    """
    with conn.pipeline():
        locked = conn.execute("SELECT id FROM enrolments WHERE id = %s FOR UPDATE", (enrolment_id,))
        enrolment = conn.execute(f"{ENROLMENT_VIEW} WHERE e.id = %s", (enrolment_id,))
        programme = conn.execute("SELECT p.* FROM programmes p JOIN enrolments e ON e.programme_id = p.id"
                                 " WHERE e.id = %s FOR SHARE OF p", (enrolment_id,))
        current = conn.execute(f"{DELEGATE_VIEW} WHERE d.enrolment_id = %s AND d.removed_on IS NULL",
                               (enrolment_id,))
    if locked.fetchone() is None:
        return None, None, []
    return enrolment.fetchone(), programme.fetchone(), current.fetchall()


def insert_person_and_delegate(conn: Conn, person_id: UUID, data: dict[str, Any], enrolment_id: UUID,
                               job_level: str, below: bool, delegated_on: Any) -> tuple[Row, Row]:
    """A new person and their delegation in one round trip: (person, delegate as get_delegate reads it)."""
    with conn.pipeline():
        person_cur = person_insert(conn, person_id, data)
        delegate_cur = conn.execute(
            "INSERT INTO delegates (enrolment_id, person_id, job_level, below_management, delegated_on)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING *", (enrolment_id, person_id, job_level, below, delegated_on))
    person, row = person_cur.fetchone(), delegate_cur.fetchone()
    assert person is not None and row is not None
    return person, {**row, **{k: person[k] for k in ("name", "email", "phone", "language")}}
