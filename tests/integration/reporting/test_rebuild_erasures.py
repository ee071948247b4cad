"""The rebuild looks erasures up in its own record instead of reading erased_persons per event (issue 14):
its public events must be the live consumer's, an erasure applied earlier in the same polled batch included."""

from __future__ import annotations

import uuid
from typing import Any, cast

import psycopg
import pytest
from psycopg.rows import dict_row

from services.common.events import new_event
from services.reporting.handlers import handlers
from services.reporting.rebuild import apply_events
from services.reporting.settings import ReportingSettings
from tests.conftest import db_platform
from tests.integration.reporting.support import GROUP, feed_all

pytestmark = pytest.mark.integration


def published(database_url: str) -> list[tuple[str, Any]]:
    with psycopg.connect(database_url) as conn:
        return [(r[0], r[1]) for r in conn.execute(
            "SELECT cause_id, payload->'data' FROM external_events ORDER BY cause_id")]


def test_rebuild_unlinks_erased_persons_as_the_live_consumer_does(pg_server: Any,
                                                                  db_templates: dict[str, str]) -> None:
    live, rebuilt = (db_platform(pg_server, db_templates).settings("reporting") for _ in range(2))
    sid, programme = str(uuid.uuid4()), str(uuid.uuid4())
    erased, kept, later = (str(uuid.uuid4()) for _ in range(3))

    def place(person: str) -> dict[str, Any]:
        return {"session_id": sid, "programme_id": programme, "registration_id": str(uuid.uuid4()),
                "person_id": person, "company_id": str(uuid.uuid4())}

    first_batch = [
        new_event("sessions", "ParticipantRegistered", sid, place(erased)),
        new_event("sessions", "ParticipantRegistered", sid, place(kept)),
        new_event("enrolment", "PersonErased", erased, {"person_id": erased, "erased_on": "2026-03-10"}),
        # After the erasure in the same batch: must already be unlinked.
        new_event("sessions", "AttendanceRecorded", sid, {**place(erased), "attendance": "attended"}),
    ]
    second_batch = [
        new_event("sessions", "AttendanceRecorded", sid, {**place(kept), "attendance": "attended"}),
        new_event("sessions", "WaitlistPromoted", sid, place(erased)),
        new_event("sessions", "ParticipantRegistered", sid, place(later)),
        new_event("enrolment", "PersonErased", later, {"person_id": later, "erased_on": "2026-03-11"}),
    ]
    feed_all(live, first_batch + second_batch)

    table = handlers(cast(ReportingSettings, rebuilt), erased=set())
    with psycopg.connect(rebuilt.database_url, row_factory=dict_row) as conn, conn.transaction():
        for batch in (first_batch, second_batch):
            assert apply_events(conn, GROUP, table, batch) == len(batch)

    rows = published(rebuilt.database_url)
    assert rows == published(live.database_url)
    assert len(rows) == 8
    unlinked = [data["person_id"] for _, data in rows if data.get("attendance") or "position" in data]
    assert len(set(unlinked)) == len(unlinked)  # one-off pseudonyms, never the erased person's own
