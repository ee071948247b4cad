"""Retention: intake notes, evaluation comments and the delivery log go after their configured period.

Fast by a clock: `enforce` is given the moment to judge by, so a row of today is "old" a period later;
nothing waits. The periods come from the environment as in production (`environ`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import Any

import psycopg
import pytest

from services.common import retention
from services.common.config import Settings
from tests.conftest import Platform
from tests.integration.enrolment.support import Api

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)


def rows(settings: Settings, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(settings.database_url) as conn:
        return conn.execute(sql, params).fetchall()


def audit_of(settings: Settings, rule: str) -> list[dict[str, Any]]:
    return [r[0] for r in rows(settings, "SELECT details FROM audit_log WHERE action = 'retention.applied'"
                                         " AND subject_id = %s ORDER BY id", rule)]


def test_intake_notes_are_cleared_after_their_period_and_the_interview_stays(db_only: Platform) -> None:
    app = import_module("services.enrolment.app").create_app(db_only.settings("enrolment"))
    try:
        api = Api(app, app.test_client())
        old = api.enrolment("intake_held")  # held on 2026-01-15 with notes
        recent = api.enrolment("intake_held", intake={**_intake(), "held_on": NOW.date().isoformat()})
    finally:
        app.config["POOL"].close()
    settings = db_only.settings("enrolment")
    days = (NOW.date() - datetime(2026, 1, 15).date()).days
    environ = {"PROGADMIN_INTAKE_NOTES_RETENTION_DAYS": str(days - 1)}  # the old interview is just past it
    assert retention.enforce(settings, now=NOW, environ=environ) == {"intake_notes": 1}
    notes = dict(rows(settings, "SELECT id::text, notes FROM intakes WHERE id = ANY(%s::uuid[])",
                      [old["intake_id"], recent["intake_id"]]))
    assert notes == {old["intake_id"]: None, recent["intake_id"]: "Directeur zeer betrokken."}
    [(level,)] = rows(settings, "SELECT assessed_level FROM intakes WHERE id = %s", old["intake_id"])
    assert level == 4  # the gate's record stays
    [details] = audit_of(settings, "intake_notes")
    assert details["removed"] == 1 and details["retention_days"] == days - 1 and details["cleared"] == ["notes"]
    # Run again: nothing more to remove, and no audit row claiming otherwise.
    assert retention.enforce(settings, now=NOW, environ=environ) == {"intake_notes": 0}
    assert len(audit_of(settings, "intake_notes")) == 1


def _intake() -> dict[str, Any]:
    from tests.integration.enrolment.support import PASSING_INTAKE
    return dict(PASSING_INTAKE)


def test_evaluation_comments_are_cleared_and_the_scores_stay(db_only: Platform) -> None:
    settings = db_only.settings("sessions")
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        session_id = _a_session(conn)
        for age_days, comment in ((400, "Goed gesprek over de steiger."), (10, "Nuttig."), (400, None)):
            conn.execute("INSERT INTO evaluations (id, session_id, person_id, company_id, score, comment,"
                         " submitted_at) VALUES (%s, %s, %s, %s, 8, %s, %s)",
                         (uuid.uuid4(), session_id, uuid.uuid4(), uuid.uuid4(), comment,
                          NOW - timedelta(days=age_days)))
    assert retention.enforce(settings, now=NOW, environ={}) == {"evaluation_comments": 1}  # default: 365 days
    assert sorted(rows(settings, "SELECT score, comment FROM evaluations WHERE session_id = %s", session_id),
                  key=str) == sorted([(8, None), (8, "Nuttig."), (8, None)], key=str)
    assert audit_of(settings, "evaluation_comments")[0]["removed"] == 1


def _a_session(conn: psycopg.Connection[Any]) -> uuid.UUID:
    session_id, programme_id = uuid.uuid4(), uuid.uuid4()
    conn.execute("INSERT INTO programmes (programme_id, name, regions, min_duration_minutes, max_duration_minutes,"
                 " online_facilitators) VALUES (%s, 'Retentie', '{Noord}', 60, 210, 2)", (programme_id,))
    conn.execute("INSERT INTO sessions (id, programme_id, type, region, format, starts_at, duration_minutes,"
                 " capacity_min, capacity_max) VALUES (%s, %s, 'dialogue', 'Noord', 'online', now(), 120, 4, 8)",
                 (session_id, programme_id))
    return session_id


def test_finished_deliveries_go_and_mail_still_to_be_sent_stays(db_only: Platform) -> None:
    settings = db_only.settings("notifications").with_(prune_batch_size=2)  # several batches, one audit row each
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        for status, age_days in (("sent", 40), ("failed", 40), ("cancelled", 40), ("scheduled", 40),
                                 ("sending", 40), ("sent", 5)):
            conn.execute("INSERT INTO deliveries (id, event_id, kind, recipient_id, status, send_after, updated_at)"
                         " VALUES (%s, %s, 'session_reminder', 'p-1', %s, now(), %s)",
                         (uuid.uuid4(), str(uuid.uuid4()), status, NOW - timedelta(days=age_days)))
    removed = retention.enforce(settings, now=NOW, environ={"PROGADMIN_DELIVERY_LOG_RETENTION_DAYS": "30"})
    assert removed == {"delivery_log": 3}
    left = sorted(r[0] for r in rows(settings, "SELECT status FROM deliveries"))
    assert left == ["scheduled", "sending", "sent"]
    assert [d["removed"] for d in audit_of(settings, "delivery_log")] == [2, 1]


def test_a_period_that_makes_no_sense_is_refused_naming_the_setting(db_only: Platform) -> None:
    settings = db_only.settings("notifications")
    with pytest.raises(ValueError, match="PROGADMIN_DELIVERY_LOG_RETENTION_DAYS must be at least 1 day"):
        retention.enforce(settings, now=NOW, environ={"PROGADMIN_DELIVERY_LOG_RETENTION_DAYS": "0"})
    with pytest.raises(ValueError, match="whole number of days"):
        retention.enforce(settings, now=NOW, environ={"PROGADMIN_DELIVERY_LOG_RETENTION_DAYS": "a year"})
    # Deleting log rows while their cause may still be redelivered would let a mail go out twice.
    with pytest.raises(ValueError, match="must not be below PROGADMIN_DEDUPE_RETENTION_DAYS"):
        retention.enforce(settings, now=NOW, environ={"PROGADMIN_DELIVERY_LOG_RETENTION_DAYS": "7"})


def test_each_service_declares_its_rules_and_reporting_keeps_no_free_text() -> None:
    assert [r.setting for r in retention.rules_of("enrolment")] == ["PROGADMIN_INTAKE_NOTES_RETENTION_DAYS"]
    assert [r.setting for r in retention.rules_of("sessions")] == ["PROGADMIN_EVALUATION_COMMENTS_RETENTION_DAYS"]
    assert [r.setting for r in retention.rules_of("notifications")] == ["PROGADMIN_DELIVERY_LOG_RETENTION_DAYS"]
    assert retention.rules_of("reporting") == ()  # declared empty, on purpose (services/reporting/retention.py)


def test_one_worker_at_a_time_enforces(db_only: Platform) -> None:
    settings = db_only.settings("sessions")
    with psycopg.connect(settings.database_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (retention.RETENTION_LOCK_ID,))
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            session_id = _a_session(conn)
            conn.execute("INSERT INTO evaluations (id, session_id, person_id, company_id, score, comment, submitted_at)"
                         " VALUES (%s, %s, %s, %s, 7, 'oud', %s)",
                         (uuid.uuid4(), session_id, uuid.uuid4(), uuid.uuid4(), NOW - timedelta(days=999)))
        assert retention.enforce(settings, now=NOW, environ={}) == {"evaluation_comments": 0}
        holder.execute("SELECT pg_advisory_unlock(%s)", (retention.RETENTION_LOCK_ID,))
    assert retention.enforce(settings, now=NOW, environ={}) == {"evaluation_comments": 1}


def test_a_worker_with_a_bad_period_stops_its_pruning_loop_at_once(db_only: Platform,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The loop ends before its first wait (so /livez shows a dead loop), rather than running without retention."""
    import threading

    from services.common import pruning
    monkeypatch.setenv("PROGADMIN_EVALUATION_COMMENTS_RETENTION_DAYS", "-5")
    stop = threading.Event()
    with pytest.raises(ValueError, match="PROGADMIN_EVALUATION_COMMENTS_RETENTION_DAYS"):
        pruning.run(db_only.settings("sessions"), stop)
    assert not stop.is_set()
