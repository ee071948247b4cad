"""Sessions' queries (plain SQL, bound parameters)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg

Row = dict[str, Any]
Conn = psycopg.Connection[Any]

LIVE = ("registered", "waitlisted")

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
    return rows, _count(conn, "SELECT count(*) AS n FROM programmes", {})


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
    return rows, _count(conn, "SELECT count(*) AS n" + base, params)


def delegates_of(conn: Conn, programme_id: UUID, person_ids: list[UUID]) -> list[Row]:
    return conn.execute("SELECT person_id, name, job_level, below_management, company_id FROM delegates"
                        " WHERE programme_id = %s AND person_id = ANY(%s)", (programme_id, person_ids)).fetchall()


# -- sessions -------------------------------------------------------------------


def insert_session(conn: Conn, s: Row) -> Row:
    row = conn.execute(
        "INSERT INTO sessions (id, programme_id, type, region, format, venue_address, online_url, host_company_id,"
        " starts_at, duration_minutes, capacity_min, capacity_max, facilitator_ids, working_method,"
        " sequence_number) VALUES (%(id)s, %(programme_id)s, %(type)s, %(region)s, %(format)s, %(venue_address)s,"
        " %(online_url)s, %(host_company_id)s, %(starts_at)s, %(duration_minutes)s, %(capacity_min)s,"
        " %(capacity_max)s, %(facilitator_ids)s, %(working_method)s, %(sequence_number)s) RETURNING *", s).fetchone()
    assert row is not None
    return row


def get_session(conn: Conn, session_id: UUID, *, lock: bool = False) -> Row | None:
    # FOR UPDATE serialises every change to one session's roster: the
    # capacity check and the arrival number are taken under this lock.
    return conn.execute("SELECT * FROM sessions WHERE id = %s" + (" FOR UPDATE" if lock else ""),
                        (session_id,)).fetchone()


def update_session(conn: Conn, session_id: UUID, changes: Row) -> Row:
    cols = ", ".join(f"{name} = %({name})s" for name in changes)
    row = conn.execute(f"UPDATE sessions SET {cols}, version = version + 1, updated_at = now()"
                       " WHERE id = %(session_id)s RETURNING *", {**changes, "session_id": session_id}).fetchone()
    assert row is not None
    return row


def lock_facilitators(conn: Conn, facilitator_ids: list[str]) -> None:
    """Serialise scheduling per facilitator so two overlapping plans cannot both pass the check."""
    for fid in sorted(set(facilitator_ids)):
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('sessions.facilitator'), hashtext(%s))", (fid,))


def facilitator_clashes(conn: Conn, facilitator_ids: list[str], starts_at: datetime, ends_at: datetime,
                        exclude: UUID | None) -> list[Row]:
    return conn.execute(
        "SELECT id, starts_at, facilitator_ids FROM sessions WHERE status <> 'cancelled'"
        " AND facilitator_ids && %s::text[] AND (%s::uuid IS NULL OR id <> %s)"
        " AND starts_at < %s AND starts_at + make_interval(mins => duration_minutes) > %s ORDER BY starts_at",
        (facilitator_ids, exclude, exclude, ends_at, starts_at)).fetchall()


def list_sessions(conn: Conn, f: Row, limit: int, offset: int) -> tuple[list[Row], int]:
    where = (" WHERE (%(programme_id)s::uuid IS NULL OR programme_id = %(programme_id)s)"
             " AND (%(region)s::text IS NULL OR region = %(region)s)"
             " AND (%(regions)s::text[] IS NULL OR region = ANY(%(regions)s))"
             " AND (%(facilitator)s::text IS NULL OR %(facilitator)s = ANY(facilitator_ids))"
             " AND (%(type)s::text IS NULL OR type = %(type)s)"
             " AND (%(status)s::text IS NULL OR status = %(status)s)"
             " AND (%(starts_from)s::timestamptz IS NULL OR starts_at >= %(starts_from)s)"
             " AND (%(starts_before)s::timestamptz IS NULL OR starts_at < %(starts_before)s)")
    params = {"programme_id": None, "region": None, "regions": None, "facilitator": None, "type": None,
              "status": None, "starts_from": None, "starts_before": None, **f, "limit": limit, "offset": offset}
    rows = conn.execute("SELECT * FROM sessions" + where + " ORDER BY starts_at, id LIMIT %(limit)s OFFSET %(offset)s",
                        params).fetchall()
    return rows, _count(conn, "SELECT count(*) AS n FROM sessions" + where, params)


def roster_counts(conn: Conn, session_id: UUID) -> Row:
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE status = 'registered') AS registered,"
        " count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted FROM registrations WHERE session_id = %s",
        (session_id,)).fetchone()
    assert row is not None
    return row


def sessions_due_below_minimum(conn: Conn, now: datetime, default_days: int) -> list[Row]:
    """Open sessions within their programme's alert horizon, not alerted yet, below minimum.

    SKIP LOCKED: two workers checking at once each take different sessions.
    """
    return conn.execute(
        "SELECT s.* FROM sessions s JOIN programmes p ON p.programme_id = s.programme_id"
        " WHERE s.status IN ('planned', 'confirmed') AND s.below_minimum_alerted_at IS NULL"
        " AND s.starts_at > %(now)s"
        " AND s.starts_at <= %(now)s + make_interval(days => COALESCE(p.below_minimum_days, %(days)s))"
        " AND (SELECT count(*) FROM registrations r WHERE r.session_id = s.id AND r.status = 'registered')"
        "     < s.capacity_min"
        " ORDER BY s.starts_at FOR UPDATE OF s SKIP LOCKED", {"now": now, "days": default_days}).fetchall()


def mark_below_minimum_alerted(conn: Conn, session_id: UUID, now: datetime) -> None:
    conn.execute("UPDATE sessions SET below_minimum_alerted_at = %s WHERE id = %s", (now, session_id))


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
    return rows, _count(conn, "SELECT count(*) AS n FROM invitations WHERE session_id = %(s)s", {"s": session_id})


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
    return rows, _count(conn, "SELECT count(*) AS n FROM registrations r" + where, params)


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


def _count(conn: Conn, sql: str, params: Row) -> int:
    row = conn.execute(sql, params).fetchone()
    return int(row["n"]) if row else 0


# -- overviews for the pages (scoped by the caller: `regions` None means every region) -----------------


def evaluation_overview(conn: Conn, regions: list[str] | None, region: str | None, limit: int,
                        offset: int) -> tuple[list[Row], int]:
    """Sessions with evaluations, newest first, with their scores (the caller hides small groups)."""
    params = {"regions": regions, "region": region, "limit": limit, "offset": offset}
    base = (" FROM sessions s JOIN evaluations e ON e.session_id = s.id"
            " WHERE (%(regions)s::text[] IS NULL OR s.region = ANY(%(regions)s))"
            " AND (%(region)s::text IS NULL OR s.region = %(region)s)")
    rows = conn.execute("SELECT s.id, s.type, s.region, s.starts_at, s.sequence_number, s.status,"
                        " array_agg(e.score ORDER BY e.submitted_at) AS scores" + base
                        + " GROUP BY s.id ORDER BY s.starts_at DESC, s.id LIMIT %(limit)s OFFSET %(offset)s",
                        params).fetchall()
    return rows, _count(conn, "SELECT count(DISTINCT s.id) AS n" + base, params)


def evaluation_scores_by_region(conn: Conn, regions: list[str] | None, region: str | None) -> list[Row]:
    return conn.execute(
        "SELECT s.region, array_agg(e.score) AS scores FROM sessions s JOIN evaluations e ON e.session_id = s.id"
        " WHERE (%(regions)s::text[] IS NULL OR s.region = ANY(%(regions)s))"
        " AND (%(region)s::text IS NULL OR s.region = %(region)s) GROUP BY s.region ORDER BY s.region",
        {"regions": regions, "region": region}).fetchall()


def sessions_below_minimum(conn: Conn, regions: list[str] | None, region: str | None, now: datetime,
                           default_days: int, limit: int) -> list[Row]:
    """Open sessions within their alert horizon that have fewer registered than their minimum."""
    return conn.execute(
        "SELECT * FROM (SELECT s.*, p.name AS programme_name, (SELECT count(*) FROM registrations r"
        " WHERE r.session_id = s.id AND r.status = 'registered') AS registered,"
        " COALESCE(p.below_minimum_days, %(days)s) AS horizon_days"
        " FROM sessions s JOIN programmes p ON p.programme_id = s.programme_id"
        " WHERE s.status IN ('planned', 'confirmed') AND s.starts_at > %(now)s"
        " AND s.starts_at <= %(now)s + make_interval(days => COALESCE(p.below_minimum_days, %(days)s))"
        " AND (%(regions)s::text[] IS NULL OR s.region = ANY(%(regions)s))"
        " AND (%(region)s::text IS NULL OR s.region = %(region)s)) x"
        " WHERE x.registered < x.capacity_min ORDER BY x.starts_at LIMIT %(limit)s",
        {"now": now, "days": default_days, "regions": regions, "region": region, "limit": limit}).fetchall()


def repeated_no_shows(conn: Conn, regions: list[str] | None, region: str | None, limit: int) -> list[Row]:
    """Raised repeated no-show alerts, newest first, with the session of the second no-show."""
    return conn.execute(
        "SELECT a.person_id, a.session_id, a.raised_at, s.region, s.type, s.starts_at, r.company_id"
        " FROM no_show_alerts a JOIN sessions s ON s.id = a.session_id"
        " LEFT JOIN LATERAL (SELECT company_id FROM registrations x WHERE x.session_id = a.session_id"
        " AND x.person_id = a.person_id ORDER BY x.arrival DESC LIMIT 1) r ON true"
        " WHERE (%(regions)s::text[] IS NULL OR s.region = ANY(%(regions)s))"
        " AND (%(region)s::text IS NULL OR s.region = %(region)s) ORDER BY a.raised_at DESC LIMIT %(limit)s",
        {"regions": regions, "region": region, "limit": limit}).fetchall()
