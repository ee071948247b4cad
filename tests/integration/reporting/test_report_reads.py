"""The pages' reads of the final report (`figures.report_summary`: figures from grouped SQL, one page of
sessions) give exactly the figures of the whole report (`figures.final_report`) for the same data."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from services.common.config import Settings
from services.reporting import domain, exports, figures
from services.reporting.db import figures as figures_db
from tests.integration.reporting.scripted import PROGRAMME_ID

pytestmark = pytest.mark.integration
MIN_RESPONSES = 3
# What only the whole report holds (the pages do not show them), and the page's own bookkeeping.
WHOLE_ONLY = {"session_list", "delegates", "session_page"}


def same_figures(summary: dict[str, Any], report: dict[str, Any]) -> None:
    assert {k: v for k, v in summary.items() if k not in WHOLE_ONLY | {"evaluations"}} == \
        {k: v for k, v in report.items() if k not in WHOLE_ONLY | {"evaluations"}}
    for key in ("min_responses", "programme", "by_type"):
        assert summary["evaluations"][key] == report["evaluations"][key], key
    assert summary["evaluations"]["by_facilitator"] == {}


def cells(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cells in one order, counts as ints (None sorts as a value of its own)."""
    plain = [{k: int(v) if isinstance(v, int) else v for k, v in r.items()} for r in rows]
    return sorted(plain, key=lambda r: [(v is None, "" if v is None else str(v)) for v in r.values()])


def check(conn: psycopg.Connection[Any], programme_id: uuid.UUID, regions: list[str] | None) -> None:
    report = figures.final_report(conn, programme_id, regions, MIN_RESPONSES)
    assert report is not None
    sessions = report["session_list"]
    assert cells(figures_db.session_cells(conn, programme_id, regions)) == \
        cells(domain.session_cells(figures_db.session_rows(conn, programme_id, regions)))
    companies, _ = figures.company_rows(conn, programme_id, regions)
    assert report["follow_up"] == domain.plain(domain.follow_up(companies))  # the per-company rule, grouped
    dashboard = figures.report_summary(conn, programme_id, regions, MIN_RESPONSES, 1, 0)
    assert dashboard is not None and dashboard["session_list"] == []
    same_figures(dashboard, report)
    for per_page in (2, 5, 200):
        pages = max(1, -(-len(sessions) // per_page))
        for page in range(0, pages + 2):  # out of range: the nearest page
            summary = figures.report_summary(conn, programme_id, regions, MIN_RESPONSES, page, per_page)
            assert summary is not None
            same_figures(summary, report)
            shown = min(max(page, 1), pages)
            first = (shown - 1) * per_page
            assert summary["session_page"] == {"page": shown, "pages": pages, "first": first + 1,
                                               "total": len(sessions)}
            assert summary["session_list"] == sessions[first:first + per_page]
            assert summary["evaluations"]["by_session"] == {s["session_id"]: s["evaluation"]
                                                           for s in sessions[first:first + per_page]}


def test_the_pages_reads_give_the_whole_reports_figures_for_the_scripted_programme(scripted: Settings) -> None:
    with psycopg.connect(scripted.database_url, row_factory=dict_row) as conn:
        programme_id = uuid.UUID(PROGRAMME_ID)
        for regions in (None, ["Noord"], ["Midden", "Zuid"], ["Elders"]):
            check(conn, programme_id, regions)


def test_the_pages_reads_agree_on_sessions_without_type_date_or_registrations(
        conn: psycopg.Connection[Any]) -> None:
    """Sessions the scripted programme lacks: no type, region or date yet, held with only the closing summary,
    cancelled, a snapshot's own status; a registration counted in its session's month."""
    programme_id = uuid.uuid4()
    conn.execute("INSERT INTO programmes (programme_id, name) VALUES (%s, 'P')", (programme_id,))
    rows = [  # type, region, starts_at, snapshot_status, held_at, held_attended, held_no_shows, cancelled_version
        ("dialogue", "Noord", datetime(2025, 1, 31, 21, 30, tzinfo=UTC), None, datetime.now(UTC), 7, 1, None),
        (None, None, None, "held", None, 4, 0, None),
        ("intervision", "Zuid", datetime(2025, 2, 1, 9, tzinfo=UTC), None, None, None, None, 2),
        ("intervision", "Zuid", datetime(2025, 2, 1, 9, tzinfo=UTC), "confirmed", None, None, None, None),
        ("", "", datetime(2025, 3, 5, 9, tzinfo=UTC), None, datetime.now(UTC), 0, 0, None),
    ]
    ids = []
    for kind, region, starts_at, status, held_at, attended, no_shows, cancelled in rows:
        ids.append(session_id := uuid.uuid4())
        conn.execute(
            "INSERT INTO sessions (session_id, programme_id, type, region, starts_at, snapshot_status, held_at,"
            " held_attended, held_no_shows, cancelled_version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (session_id, programme_id, kind, region, starts_at, status, held_at, attended, no_shows, cancelled))
    for attendance in ("attended", "attended", "no_show", None):
        conn.execute(
            "INSERT INTO registrations (registration_id, session_id, programme_id, person_id, company_id,"
            " registered_at, attendance) VALUES (%s, %s, %s, %s, %s, now(), %s)",
            (uuid.uuid4(), ids[0], programme_id, uuid.uuid4(), uuid.uuid4(), attendance))
    for regions in (None, ["Noord"], ["Zuid"]):
        check(conn, programme_id, regions)
    report = figures.final_report(conn, programme_id, None, MIN_RESPONSES)
    assert report is not None
    assert report["sessions"]["held_by_type"] == {"dialogue": 1, "onbekend": 2}
    assert report["participants_per_session"]["onbekend"] == {"sessions": 2, "participants": 4, "average": 2.0,
                                                              "min": 0, "max": 4}
    assert [m["month"] for m in report["attendance_trend"]] == ["2025-01", "2025-03"]


def test_the_html_exports_session_table_escapes_its_text(scripted: Settings) -> None:
    """The session table escapes only its text cells (exports.session_table): a region or type with markup
    shows as text."""
    with psycopg.connect(scripted.database_url, row_factory=dict_row) as conn:
        report = figures.final_report(conn, uuid.UUID(PROGRAMME_ID), None, MIN_RESPONSES)
    assert report is not None
    first = {**report["session_list"][0], "region": "<b>Noord</b>", "type": "<i>x</i>", "status": "<s>"}
    page = exports.to_html({**report, "session_list": [first, *report["session_list"][1:]]})
    assert "<b>Noord</b>" not in page and "<i>x</i>" not in page and "<s>" not in page
    assert "<td>&lt;i&gt;x&lt;/i&gt;</td><td>&lt;b&gt;Noord&lt;/b&gt;</td><td>&lt;s&gt;</td>" in page
