"""What sessions knows of enrolment: programmes, enrolments, delegates, erasures; the gate."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from services.sessions.db.base import Conn, Row, count

# -- read model of enrolment --------------------------------------------------


def upsert_programme(conn: Conn, p: Row) -> None:
    rules = p["session_rules"]
    conn.execute(
        "INSERT INTO programmes (programme_id, name, regions, min_duration_minutes, max_duration_minutes,"
        " online_facilitators, below_minimum_days) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (programme_id) DO UPDATE SET name = EXCLUDED.name, regions = EXCLUDED.regions,"
        " min_duration_minutes = EXCLUDED.min_duration_minutes, max_duration_minutes = EXCLUDED.max_duration_minutes,"
        " online_facilitators = EXCLUDED.online_facilitators, below_minimum_days = EXCLUDED.below_minimum_days,"
        " updated_at = now()",
        (p["programme_id"], p["name"], list(p["regions"]), rules["min_duration_minutes"],
         rules["max_duration_minutes"], rules["online_facilitators"], rules.get("below_minimum_days")))


def close_programme(conn: Conn, programme_id: UUID, closed_on: date) -> None:
    conn.execute("UPDATE programmes SET closed_on = %s, updated_at = now() WHERE programme_id = %s",
                 (closed_on, programme_id))


def get_programme(conn: Conn, programme_id: UUID) -> Row | None:
    return conn.execute("SELECT * FROM programmes WHERE programme_id = %s", (programme_id,)).fetchone()


def list_programmes(conn: Conn, limit: int, offset: int) -> tuple[list[Row], int]:
    rows = conn.execute("SELECT * FROM programmes ORDER BY name, programme_id LIMIT %s OFFSET %s",
                        (limit, offset)).fetchall()
    return rows, count(conn, "SELECT count(*) AS n FROM programmes", {})


def upsert_enrolment(conn: Conn, enrolment_id: UUID, company_id: UUID, programme_id: UUID,
                     region: str | None, *, admitted_on: date | None = None,
                     withdrawn_on: date | None = None) -> None:
    """Record a fact about an enrolment; facts only accumulate (a later admission never un-withdraws)."""
    conn.execute(
        "INSERT INTO enrolments (enrolment_id, company_id, programme_id, region, admitted_on, withdrawn_on)"
        " VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (enrolment_id) DO UPDATE SET region = COALESCE(EXCLUDED.region, enrolments.region),"
        " admitted_on = COALESCE(enrolments.admitted_on, EXCLUDED.admitted_on),"
        " withdrawn_on = COALESCE(enrolments.withdrawn_on, EXCLUDED.withdrawn_on), updated_at = now()",
        (enrolment_id, company_id, programme_id, region, admitted_on, withdrawn_on))


def upsert_delegate(conn: Conn, d: Row) -> None:
    # An erasure seen earlier wins: the delegation is kept erased, without the job level.
    erased = conn.execute("SELECT erased_on FROM erased_persons WHERE person_id = %s", (d["person_id"],)).fetchone()
    erased_on = erased["erased_on"] if erased else None
    # v1 carried the name; v2 does not, and the contacts topic may have brought it already (or brings it later).
    name = (d.get("contact") or {}).get("name")
    if name is None:
        known = conn.execute("SELECT name FROM delegate_names WHERE person_id = %s", (d["person_id"],)).fetchone()
        name = known["name"] if known else None
    conn.execute(
        "INSERT INTO delegates (programme_id, person_id, enrolment_id, company_id, region, job_level,"
        " below_management, erased_on, name) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (programme_id, person_id) DO UPDATE SET enrolment_id = EXCLUDED.enrolment_id,"
        " company_id = EXCLUDED.company_id, region = EXCLUDED.region, job_level = EXCLUDED.job_level,"
        " below_management = EXCLUDED.below_management, removed_on = NULL, erased_on = EXCLUDED.erased_on,"
        " name = COALESCE(EXCLUDED.name, delegates.name), updated_at = now() WHERE delegates.erased_on IS NULL",
        (d["programme_id"], d["person_id"], d["enrolment_id"], d["company_id"], d["region"],
         None if erased_on else d["job_level"], d["below_management"], erased_on, None if erased_on else name))


def set_delegate_name(conn: Conn, person_id: UUID, name: str) -> None:
    """A name from the contacts topic: kept by person (the delegation may come later) and on their delegations."""
    if is_erased(conn, person_id):
        return  # a late record must not bring an erased person's name back
    conn.execute("INSERT INTO delegate_names (person_id, name) VALUES (%s, %s) ON CONFLICT (person_id)"
                 " DO UPDATE SET name = EXCLUDED.name, updated_at = now()", (person_id, name))
    conn.execute("UPDATE delegates SET name = %s, updated_at = now() WHERE person_id = %s AND erased_on IS NULL",
                 (name, person_id))


def forget_delegate_name(conn: Conn, person_id: UUID) -> None:
    """A tombstone on the contacts topic: the person's contact data is gone, so is their name here."""
    conn.execute("DELETE FROM delegate_names WHERE person_id = %s", (person_id,))
    conn.execute("UPDATE delegates SET name = NULL, updated_at = now() WHERE person_id = %s", (person_id,))


def remove_delegate(conn: Conn, programme_id: UUID, person_id: UUID, removed_on: date) -> None:
    conn.execute("UPDATE delegates SET removed_on = %s, updated_at = now()"
                 " WHERE programme_id = %s AND person_id = %s", (removed_on, programme_id, person_id))


def erase_person(conn: Conn, person_id: UUID, erased_on: date) -> None:
    """Drop what could identify the person beyond the pseudonymous id: job level, comments, feeds."""
    conn.execute("INSERT INTO erased_persons (person_id, erased_on) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                 (person_id, erased_on))
    conn.execute("UPDATE delegates SET erased_on = %s, job_level = NULL, name = NULL, updated_at = now()"
                 " WHERE person_id = %s",
                 (erased_on, person_id))
    conn.execute("DELETE FROM delegate_names WHERE person_id = %s", (person_id,))
    conn.execute("UPDATE evaluations SET comment = NULL WHERE person_id = %s", (person_id,))
    conn.execute("UPDATE calendar_feeds SET revoked_at = now() WHERE kind = 'participant' AND subject = %s"
                 " AND revoked_at IS NULL", (str(person_id),))


def is_erased(conn: Conn, person_id: UUID) -> bool:
    return conn.execute("SELECT 1 FROM erased_persons WHERE person_id = %s", (person_id,)).fetchone() is not None


# The gate, in one place: a delegate may be invited or registered only while
# the delegation stands and its company's enrolment is admitted and not withdrawn.
ELIGIBLE = ("d.removed_on IS NULL AND d.erased_on IS NULL AND e.admitted_on IS NOT NULL"
            " AND e.withdrawn_on IS NULL")


def delegate_standing(conn: Conn, programme_id: UUID, person_id: UUID) -> Row | None:
    """The delegate with its enrolment's state, or None when unknown."""
    return conn.execute(
        "SELECT d.*, e.admitted_on, e.withdrawn_on, (" + ELIGIBLE + ") AS eligible"
        " FROM delegates d LEFT JOIN enrolments e ON e.enrolment_id = d.enrolment_id"
        " WHERE d.programme_id = %s AND d.person_id = %s", (programme_id, person_id)).fetchone()


def lock_standing(conn: Conn, programme_id: UUID, person_id: UUID) -> None:
    """Hold the delegate and its enrolment still (FOR SHARE) while a place is decided.

    The enrolment handlers update these rows before they look for places to
    cancel, so a registration either waits for a withdrawal or removal (and
    then sees it) or is committed before the handler looks (and is cancelled).
    Order enrolment, delegate, session: the order the handlers lock in (no deadlock).
    """
    conn.execute("SELECT 1 FROM enrolments WHERE enrolment_id IN (SELECT enrolment_id FROM delegates"
                 " WHERE programme_id = %s AND person_id = %s) FOR SHARE", (programme_id, person_id))
    conn.execute("SELECT 1 FROM delegates WHERE programme_id = %s AND person_id = %s FOR SHARE",
                 (programme_id, person_id))


def lock_region_standings(conn: Conn, programme_id: UUID, region: str) -> None:
    """`lock_standing` for every delegate of a programme's region (before inviting them all)."""
    conn.execute("SELECT 1 FROM enrolments WHERE enrolment_id IN (SELECT enrolment_id FROM delegates"
                 " WHERE programme_id = %s AND region = %s) ORDER BY enrolment_id FOR SHARE", (programme_id, region))
    conn.execute("SELECT 1 FROM delegates WHERE programme_id = %s AND region = %s ORDER BY person_id FOR SHARE",
                 (programme_id, region))


def delegate_regions(conn: Conn, person_id: str) -> set[str]:
    return {r["region"] for r in conn.execute("SELECT region FROM delegates WHERE person_id::text = %s",
                                               (person_id,)).fetchall()}


def eligible_delegates(conn: Conn, programme_id: UUID, region: str) -> list[Row]:
    return conn.execute(
        "SELECT d.* FROM delegates d JOIN enrolments e ON e.enrolment_id = d.enrolment_id"
        " WHERE d.programme_id = %s AND d.region = %s AND " + ELIGIBLE + " ORDER BY d.company_id, d.person_id",
        (programme_id, region)).fetchall()


def list_delegates(conn: Conn, programme_id: UUID | None, regions: list[str] | None, region: str | None,
                   limit: int, offset: int) -> tuple[list[Row], int]:
    where = (" WHERE (%(programme)s::uuid IS NULL OR d.programme_id = %(programme)s)"
             " AND (%(region)s::text IS NULL OR d.region = %(region)s)"
             " AND (%(regions)s::text[] IS NULL OR d.region = ANY(%(regions)s)) AND d.erased_on IS NULL")
    params = {"programme": programme_id, "regions": regions, "region": region, "limit": limit, "offset": offset}
    base = " FROM delegates d LEFT JOIN enrolments e ON e.enrolment_id = d.enrolment_id" + where
    rows = conn.execute("SELECT d.*, COALESCE(" + ELIGIBLE + ", false) AS eligible" + base
                        + " ORDER BY d.region, d.company_id, d.person_id LIMIT %(limit)s OFFSET %(offset)s",
                        params).fetchall()
    return rows, count(conn, "SELECT count(*) AS n" + base, params)


def delegates_of(conn: Conn, programme_id: UUID, person_ids: list[UUID]) -> list[Row]:
    return conn.execute("SELECT person_id, name, job_level, below_management, company_id FROM delegates"
                        " WHERE programme_id = %s AND person_id = ANY(%s)", (programme_id, person_ids)).fetchall()
