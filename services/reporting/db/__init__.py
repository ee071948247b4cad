"""Reporting's SQL (plain, parameters always bound), one module per side.

`projections` writes the facts the events bring (callers use `db.<function>`, re-exported here);
`figures` reads them back for the figures, the final report and a company's report.
"""

from services.reporting.db.projections import (
    ENROLMENT_FACTS,
    PLACE_FACTS,
    PROJECTION_TABLES,
    Conn,
    DictConn,
    cancel_session,
    close_programme,
    company_counts,
    connect,
    hold_session,
    know_company,
    know_session,
    now,
    record_attendance,
    record_delegate,
    record_delegate_removed,
    record_enrolment_fact,
    record_erasure,
    record_evaluation,
    record_follow_up,
    record_intake,
    record_invitation,
    record_notification,
    record_place_fact,
    session_evaluation,
    truncate_projections,
    upsert_company,
    upsert_programme_snapshot,
    upsert_session_snapshot,
)

__all__ = [
    "ENROLMENT_FACTS", "PLACE_FACTS", "PROJECTION_TABLES", "Conn", "DictConn", "cancel_session", "close_programme",
    "company_counts", "connect", "hold_session", "know_company", "know_session", "now", "record_attendance",
    "record_delegate", "record_delegate_removed", "record_enrolment_fact", "record_erasure", "record_evaluation",
    "record_follow_up", "record_intake", "record_invitation", "record_notification", "record_place_fact",
    "session_evaluation", "truncate_projections", "upsert_company", "upsert_programme_snapshot",
    "upsert_session_snapshot",
]
