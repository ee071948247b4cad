"""Enrolment's queries (plain SQL, bound parameters; column names only from code)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

Row = dict[str, Any]
Conn = psycopg.Connection[Any]

_UPDATABLE = {
    "programmes": {"status", "name", "fund", "theme", "period_start", "period_end", "regions", "planned_sessions",
                   "extra_commitments", "required_commitments", "min_assessed_level", "max_delegates_per_company",
                   "session_rules", "teaser_question", "reminder_hours_before", "follow_up_info", "opened_on",
                   "closed_on"},
    "companies": {"name", "street", "postal_code", "city", "size", "contact_person_id"},
    "enrolments": {"state", "admitted_on", "declined_on", "decline_reason", "activated_on", "completed_on",
                   "withdrawn_on", "withdrawal_reason", "withdrawal_text", "adoption_level"},
    "intakes": {"status", "scheduled_at", "location", "sequence", "held_on", "interviewee_person_id",
                "interviewee_role", "interviewer", "commitments", "assessed_level", "meets_admission_rule", "notes"},
}
_JSON = {"planned_sessions", "session_rules", "commitments"}


def _value(column: str, value: Any) -> Any:
    return Jsonb(value) if column in _JSON and value is not None else value


def update(conn: Conn, table: str, row_id: UUID, changes: dict[str, Any]) -> Row:
    """Set `changes` on one row (columns checked against a fixed list) and return it."""
    unknown = set(changes) - _UPDATABLE[table]
    if unknown:
        raise ValueError(f"not updatable in {table}: {sorted(unknown)}")
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder(c)) for c in changes)
    query = sql.SQL("UPDATE {} SET {}, updated_at = now() WHERE id = %(id)s RETURNING *").format(
        sql.Identifier(table), assignments)
    row = conn.execute(query, {**{c: _value(c, v) for c, v in changes.items()}, "id": row_id}).fetchone()
    assert row is not None, f"{table} {row_id} vanished inside its transaction"
    return row


# -- programmes ---------------------------------------------------------------
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


# -- persons ------------------------------------------------------------------
def person_insert(conn: Conn, person_id: UUID, data: dict[str, Any]) -> psycopg.Cursor[Any]:
    """The INSERT, its row not yet read (so that it can go in a pipeline)."""
    return conn.execute(
        "INSERT INTO persons (id, name, email, phone, language) VALUES (%s, %s, %s, %s, %s) RETURNING *",
        (person_id, data["name"], data["email"], data.get("phone"), data.get("language", "nl")))


def insert_person(conn: Conn, person_id: UUID, data: dict[str, Any]) -> Row:
    row = person_insert(conn, person_id, data).fetchone()
    assert row is not None
    return row


def update_person(conn: Conn, person_id: UUID, data: dict[str, Any]) -> None:
    conn.execute("UPDATE persons SET name = %s, email = %s, phone = %s, language = %s, updated_at = now()"
                 " WHERE id = %s", (data["name"], data["email"], data.get("phone"), data.get("language", "nl"),
                                    person_id))


def find_persons(conn: Conn, email: str, limit: int, offset: int) -> tuple[list[Row], int]:
    """Persons by e-mail address (case-insensitive): how a data subject's request is traced."""
    params = {"email": email, "limit": limit, "offset": offset}
    rows = conn.execute("SELECT * FROM persons WHERE lower(email) = lower(%(email)s) ORDER BY created_at, id"
                        " LIMIT %(limit)s OFFSET %(offset)s", params).fetchall()
    total = conn.execute("SELECT count(*) AS n FROM persons WHERE lower(email) = lower(%(email)s)", params).fetchone()
    return rows, int(total["n"]) if total else 0


def get_follow_up(conn: Conn, enrolment_id: UUID, follow_up_id: UUID) -> Row | None:
    return conn.execute("SELECT * FROM follow_ups WHERE id = %s AND enrolment_id = %s",
                        (follow_up_id, enrolment_id)).fetchone()


def get_person(conn: Conn, person_id: UUID, *, lock: bool = False) -> Row | None:
    suffix = " FOR UPDATE" if lock else ""
    return conn.execute(f"SELECT * FROM persons WHERE id = %s{suffix}", (person_id,)).fetchone()


def persons(conn: Conn, ids: Iterable[UUID]) -> dict[UUID, Row]:
    rows = conn.execute("SELECT * FROM persons WHERE id = ANY(%s)", (list(ids),)).fetchall()
    return {r["id"]: r for r in rows}


def erase_person(conn: Conn, person_id: UUID) -> Row:
    row = conn.execute(
        "UPDATE persons SET name = NULL, email = NULL, phone = NULL, erased_on = current_date, updated_at = now()"
        " WHERE id = %s RETURNING *", (person_id,)).fetchone()
    assert row is not None
    return row


# -- companies ----------------------------------------------------------------
def company_insert(conn: Conn, company_id: UUID, data: dict[str, Any]) -> psycopg.Cursor[Any]:
    """Insert, the row not yet read; no row when the KvK number is already registered."""
    address = data.get("address") or {}
    return conn.execute(
        "INSERT INTO companies (id, name, kvk_number, region, street, postal_code, city, size, contact_person_id)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (kvk_number) DO NOTHING RETURNING *",
        (company_id, data["name"], data["kvk_number"], data["region"], address.get("street", ""),
         address.get("postal_code", ""), address.get("city", ""), data.get("size"),
         data.get("contact_person_id")))


def get_company(conn: Conn, company_id: UUID, *, lock: bool = False) -> Row | None:
    suffix = " FOR UPDATE" if lock else ""
    return conn.execute(f"SELECT * FROM companies WHERE id = %s{suffix}", (company_id,)).fetchone()


def set_directors(conn: Conn, company_id: UUID, directors: list[tuple[UUID, str]], *, new: bool = False) -> None:
    """Replace the company's directors (a `new` company has none to delete); one INSERT for all of them."""
    if not new:
        conn.execute("DELETE FROM company_directors WHERE company_id = %s", (company_id,))
    if directors:
        conn.execute("INSERT INTO company_directors (company_id, person_id, role, position) SELECT %s, t.person_id,"
                     " t.role, t.n - 1 FROM unnest(%s::uuid[], %s::text[]) WITH ORDINALITY AS t(person_id, role, n)",
                     (company_id, [p for p, _ in directors], [r for _, r in directors]))


def directors_of(conn: Conn, company_ids: list[UUID], *, share: bool = False) -> list[Row]:
    """Directors with their person fields, in the order they were given.

    `share` holds their person rows still until commit: an event about to
    carry a director's contact data then cannot interleave with that
    director's erasure (which takes the row FOR UPDATE, then scrubs the outbox).
    """
    return conn.execute(
        "SELECT d.company_id, d.role, p.* FROM company_directors d JOIN persons p ON p.id = d.person_id"
        " WHERE d.company_id = ANY(%s) ORDER BY d.company_id, d.position" + (" FOR SHARE OF p" if share else ""),
        (company_ids,)).fetchall()


def enrolments_of(conn: Conn, company_ids: list[UUID]) -> list[Row]:
    return conn.execute("SELECT id, company_id, programme_id, state FROM enrolments WHERE company_id = ANY(%s)"
                        " ORDER BY created_at, id", (company_ids,)).fetchall()


def list_companies(conn: Conn, filters: dict[str, Any], regions: list[str] | None,
                   limit: int, offset: int) -> tuple[list[Row], int]:
    """Companies by region / enrolment state / programme / name or KvK; coordinators limited to `regions`."""
    where = ("WHERE (%(region)s::text IS NULL OR c.region = %(region)s)"
             " AND (%(regions)s::text[] IS NULL OR c.region = ANY(%(regions)s))"
             " AND (%(q)s::text IS NULL OR c.name ILIKE '%%' || %(q)s || '%%' OR c.kvk_number = %(q)s)"
             " AND (%(status)s::text IS NULL AND %(programme_id)s::uuid IS NULL OR EXISTS ("
             "   SELECT 1 FROM enrolments e WHERE e.company_id = c.id"
             "   AND (%(status)s::text IS NULL OR e.state = %(status)s)"
             "   AND (%(programme_id)s::uuid IS NULL OR e.programme_id = %(programme_id)s)))")
    params = {"region": filters.get("region"), "regions": regions, "q": filters.get("q"),
              "status": filters.get("status"), "programme_id": filters.get("programme_id"),
              "limit": limit, "offset": offset}
    rows = conn.execute(f"SELECT c.* FROM companies c {where} ORDER BY c.name, c.id"
                        " LIMIT %(limit)s OFFSET %(offset)s", params).fetchall()
    total = conn.execute(f"SELECT count(*) AS n FROM companies c {where}", params).fetchone()
    return rows, int(total["n"]) if total else 0


# -- enrolments ---------------------------------------------------------------
ENROLMENT_VIEW = (
    "SELECT e.*, c.name AS company_name, c.region,"
    " (SELECT count(*) FROM delegates d WHERE d.enrolment_id = e.id AND d.removed_on IS NULL) AS delegate_count"
    " FROM enrolments e JOIN companies c ON c.id = e.company_id")


def insert_enrolment(conn: Conn, enrolment_id: UUID, company_id: UUID, programme_id: UUID) -> bool:
    """False when the company is already enrolled in the programme."""
    return conn.execute(
        "INSERT INTO enrolments (id, company_id, programme_id) VALUES (%s, %s, %s)"
        " ON CONFLICT (company_id, programme_id) DO NOTHING", (enrolment_id, company_id, programme_id)).rowcount == 1


def lock_enrolment(conn: Conn, enrolment_id: UUID) -> bool:
    """Serialise use cases on one enrolment: concurrent requests wait here."""
    return conn.execute("SELECT id FROM enrolments WHERE id = %s FOR UPDATE", (enrolment_id,)).fetchone() is not None


def get_enrolment(conn: Conn, enrolment_id: UUID) -> Row | None:
    return conn.execute(f"{ENROLMENT_VIEW} WHERE e.id = %s", (enrolment_id,)).fetchone()


def list_enrolments(conn: Conn, filters: dict[str, Any], regions: list[str] | None,
                    limit: int, offset: int) -> tuple[list[Row], int]:
    where = ("WHERE (%(programme_id)s::uuid IS NULL OR e.programme_id = %(programme_id)s)"
             " AND (%(company_id)s::uuid IS NULL OR e.company_id = %(company_id)s)"
             " AND (%(state)s::text IS NULL OR e.state = %(state)s)"
             " AND (%(region)s::text IS NULL OR c.region = %(region)s)"
             " AND (%(regions)s::text[] IS NULL OR c.region = ANY(%(regions)s))")
    params = {k: filters.get(k) for k in ("programme_id", "company_id", "state", "region")}
    params.update(regions=regions, limit=limit, offset=offset)
    rows = conn.execute(f"{ENROLMENT_VIEW} {where} ORDER BY c.name, e.id LIMIT %(limit)s OFFSET %(offset)s",
                        params).fetchall()
    total = conn.execute(f"SELECT count(*) AS n FROM enrolments e JOIN companies c ON c.id = e.company_id {where}",
                         params).fetchone()
    return rows, int(total["n"]) if total else 0


# -- intakes ------------------------------------------------------------------
def insert_intake(conn: Conn, intake_id: UUID, enrolment_id: UUID, scheduled_at: Any, location: str) -> Row:
    row = conn.execute("INSERT INTO intakes (id, enrolment_id, scheduled_at, location) VALUES (%s, %s, %s, %s)"
                       " RETURNING *", (intake_id, enrolment_id, scheduled_at, location)).fetchone()
    assert row is not None
    return row


def get_intake(conn: Conn, enrolment_id: UUID, intake_id: UUID) -> Row | None:
    return conn.execute("SELECT * FROM intakes WHERE id = %s AND enrolment_id = %s",
                        (intake_id, enrolment_id)).fetchone()


def latest_held_intake(conn: Conn, enrolment_id: UUID) -> Row | None:
    # The most recently created interview that was held: a redo is always created after the one it
    # redoes, whatever dates were entered.
    return conn.execute("SELECT * FROM intakes WHERE enrolment_id = %s AND status = 'held'"
                        " ORDER BY created_at DESC, id LIMIT 1", (enrolment_id,)).fetchone()


def list_intakes(conn: Conn, enrolment_id: UUID, limit: int, offset: int) -> tuple[list[Row], int]:
    rows = conn.execute("SELECT * FROM intakes WHERE enrolment_id = %s ORDER BY created_at, id LIMIT %s OFFSET %s",
                        (enrolment_id, limit, offset)).fetchall()
    total = conn.execute("SELECT count(*) AS n FROM intakes WHERE enrolment_id = %s", (enrolment_id,)).fetchone()
    return rows, int(total["n"]) if total else 0


# -- delegates ----------------------------------------------------------------
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


# -- follow-up ----------------------------------------------------------------
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


# -- privacy ------------------------------------------------------------------
def roles_of_person(conn: Conn, person_id: UUID) -> dict[str, list[Row]]:
    """Everywhere a person appears (for an export)."""
    return {
        "director_of": conn.execute(
            "SELECT c.id AS company_id, c.name AS company_name, d.role FROM company_directors d"
            " JOIN companies c ON c.id = d.company_id WHERE d.person_id = %s", (person_id,)).fetchall(),
        "contact_person_of": conn.execute(
            "SELECT id AS company_id, name AS company_name FROM companies WHERE contact_person_id = %s",
            (person_id,)).fetchall(),
        "delegations": conn.execute(
            "SELECT enrolment_id, job_level, below_management, delegated_on, removed_on, replaced_by"
            " FROM delegates WHERE person_id = %s OR replaced_by = %s", (person_id, person_id)).fetchall(),
        "intakes": conn.execute(
            "SELECT id AS intake_id, enrolment_id, held_on, interviewee_role, interviewer, commitments,"
            " assessed_level, notes FROM intakes WHERE interviewee_person_id = %s", (person_id,)).fetchall(),
    }


def forget_person_elsewhere(conn: Conn, person_id: UUID) -> None:
    """Remove what other tables say about an erased person: interview notes, active delegations."""
    conn.execute("UPDATE intakes SET notes = NULL, updated_at = now() WHERE interviewee_person_id = %s",
                 (person_id,))
    conn.execute("UPDATE delegates SET removed_on = current_date WHERE person_id = %s AND removed_on IS NULL",
                 (person_id,))


def outbox_rows_mentioning(conn: Conn, needle: str) -> list[Row]:
    return conn.execute("SELECT id, payload, published_at FROM outbox WHERE payload::text LIKE %s FOR UPDATE",
                        (f"%{needle}%",)).fetchall()


def delete_outbox_row(conn: Conn, row_id: int) -> None:
    conn.execute("DELETE FROM outbox WHERE id = %s", (row_id,))


def replace_outbox_payload(conn: Conn, row_id: int, payload: dict[str, Any]) -> None:
    conn.execute("UPDATE outbox SET payload = %s WHERE id = %s", (Jsonb(payload), row_id))


def forget_idempotent_responses(conn: Conn, person_id: str) -> None:
    """Stored responses replayed to retries may carry the person's data (always next to the id): drop them."""
    conn.execute("DELETE FROM idempotency_keys WHERE strpos(convert_from(response_body, 'UTF8'), %s) > 0",
                 (person_id,))


# -- audit --------------------------------------------------------------------
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


# -- overviews for the pages --------------------------------------------------
def funnel(conn: Conn, programme_id: UUID, regions: list[str] | None) -> Row:
    """A programme's funnel: how many companies reached each stage, and how many are in each state now.

    `intake_held` and `admitted` count every company that got that far (also when it later withdrew);
    declined, withdrawn and completed are where companies ended up.
    """
    row = conn.execute(
        "SELECT count(*) AS registered,"
        " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM intakes i WHERE i.enrolment_id = e.id"
        "   AND i.status = 'held')) AS intake_held,"
        " count(*) FILTER (WHERE e.admitted_on IS NOT NULL) AS admitted,"
        " count(*) FILTER (WHERE e.state = 'declined') AS declined,"
        " count(*) FILTER (WHERE e.state = 'withdrawn') AS withdrawn,"
        " count(*) FILTER (WHERE e.state = 'completed') AS completed"
        " FROM enrolments e JOIN companies c ON c.id = e.company_id"
        " WHERE e.programme_id = %(p)s AND (%(regions)s::text[] IS NULL OR c.region = ANY(%(regions)s))",
        {"p": programme_id, "regions": regions}).fetchone()
    states = conn.execute(
        "SELECT e.state, count(*) AS n FROM enrolments e JOIN companies c ON c.id = e.company_id"
        " WHERE e.programme_id = %(p)s AND (%(regions)s::text[] IS NULL OR c.region = ANY(%(regions)s))"
        " GROUP BY e.state", {"p": programme_id, "regions": regions}).fetchall()
    return {**(row or {}), "by_state": {r["state"]: int(r["n"]) for r in states}}


def known_regions(conn: Conn) -> list[str]:
    """Every region a programme defines or a company is registered in (regions are data)."""
    rows = conn.execute("SELECT DISTINCT region FROM (SELECT unnest(regions) AS region FROM programmes"
                        " UNION SELECT region FROM companies) r ORDER BY region").fetchall()
    return [r["region"] for r in rows]


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


def programme_names(conn: Conn, ids: Iterable[UUID]) -> dict[UUID, str]:
    rows = conn.execute("SELECT id, name FROM programmes WHERE id = ANY(%s)", (list(ids),)).fetchall()
    return {r["id"]: r["name"] for r in rows}
