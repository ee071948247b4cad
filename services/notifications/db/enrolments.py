"""Programmes, companies and enrolments: the enrolment facts mails mention, and who may get the digest."""

from __future__ import annotations

from typing import Any

from services.notifications.db.base import Conn, Row


def upsert_programme(conn: Conn, p: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO programmes (programme_id, name, teaser_question, reminder_hours_before, follow_up_info)"
        " VALUES (%(programme_id)s, %(name)s, %(teaser_question)s, %(reminder_hours_before)s, %(follow_up_info)s)"
        " ON CONFLICT (programme_id) DO UPDATE SET name = EXCLUDED.name,"
        " teaser_question = EXCLUDED.teaser_question, reminder_hours_before = EXCLUDED.reminder_hours_before,"
        " follow_up_info = EXCLUDED.follow_up_info", p)


def programme(conn: Conn, programme_id: str | None) -> Row | None:
    if not programme_id:
        return None
    return conn.execute("SELECT * FROM programmes WHERE programme_id = %s", (programme_id,)).fetchone()


def programmes(conn: Conn) -> list[Row]:
    """Programmes known here (for choosing a campaign's programme on the pages)."""
    return conn.execute("SELECT programme_id, name FROM programmes ORDER BY name, programme_id").fetchall()


def upsert_company(conn: Conn, company_id: str, name: str, region: str) -> None:
    conn.execute("INSERT INTO companies (company_id, name, region) VALUES (%s, %s, %s)"
                 " ON CONFLICT (company_id) DO UPDATE SET name = EXCLUDED.name, region = EXCLUDED.region",
                 (company_id, name, region))


def company(conn: Conn, company_id: str | None) -> Row | None:
    if not company_id:
        return None
    return conn.execute("SELECT * FROM companies WHERE company_id = %s", (company_id,)).fetchone()


def upsert_enrolment(conn: Conn, enrolment_id: str, company_id: str, programme_id: str, region: str | None,
                     director_id: str | None = None, status: str | None = None) -> None:
    conn.execute(
        "INSERT INTO enrolments (enrolment_id, company_id, programme_id, region, director_id, status)"
        " VALUES (%s, %s, %s, %s, %s, coalesce(%s, 'interested'))"
        " ON CONFLICT (enrolment_id) DO UPDATE SET region = coalesce(EXCLUDED.region, enrolments.region),"
        " director_id = coalesce(EXCLUDED.director_id, enrolments.director_id),"
        " status = coalesce(%s, enrolments.status)",
        (enrolment_id, company_id, programme_id, region, director_id, status, status))


def enrolment(conn: Conn, enrolment_id: str) -> Row | None:
    return conn.execute("SELECT * FROM enrolments WHERE enrolment_id = %s", (enrolment_id,)).fetchone()


def enrolment_of_company(conn: Conn, company_id: str, programme_id: str) -> Row | None:
    return conn.execute("SELECT * FROM enrolments WHERE company_id = %s AND programme_id = %s",
                        (company_id, programme_id)).fetchone()


def add_risk_point(conn: Conn, enrolment_id: str) -> Row | None:
    return conn.execute("UPDATE enrolments SET risk_points = risk_points + 1 WHERE enrolment_id = %s RETURNING *",
                        (enrolment_id,)).fetchone()


def mark_at_risk_alerted(conn: Conn, enrolment_id: str) -> bool:
    return conn.execute("UPDATE enrolments SET at_risk_alerted = true WHERE enrolment_id = %s"
                        " AND NOT at_risk_alerted", (enrolment_id,)).rowcount == 1


def enrolments_for_digest(conn: Conn) -> list[Row]:
    return conn.execute(
        "SELECT e.* FROM enrolments e JOIN recipients r ON r.person_id = e.director_id"
        " WHERE e.status = 'admitted' AND r.active ORDER BY e.enrolment_id").fetchall()


def known_regions(conn: Conn) -> list[str]:
    """Every region seen here (companies, sessions, coordinators): the staff form offers them as choices."""
    rows = conn.execute("SELECT region FROM companies UNION SELECT region FROM sessions"
                        " UNION SELECT unnest(regions) FROM staff ORDER BY 1").fetchall()
    return [r["region"] for r in rows if r["region"]]
