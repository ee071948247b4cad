"""The SQL of a person's export from notifications (services.common.privacy.export_blueprint): one query per table.

Every table that names a person is here. The delivery log names the mail, never its text (the
text is rendered when sending and not kept), so a delivery's kind, status and times are what it holds.
"""

EXPORT_QUERIES = {
    "recipients": "SELECT role, name, email, language, company_id, enrolment_id, programme_id, job_level, active"
                  " FROM recipients WHERE person_id = %(person)s",
    "suppressions": "SELECT * FROM suppressions WHERE person_id = %(person)s",
    "session_people": "SELECT session_id, company_id, state, attendance FROM session_people"
                      " WHERE person_id = %(person)s ORDER BY session_id",
    "campaign_members": "SELECT c.name AS campaign, m.status, m.joined_at, m.stop_reason FROM campaign_members m"
                        " JOIN campaigns c ON c.id = m.campaign_id WHERE m.person_id = %(person)s ORDER BY m.joined_at",
    "deliveries": "SELECT id, kind, status, language, attempts, last_error, send_after, sent_at, created_at,"
                  " updated_at, session_id, enrolment_id, company_id, programme_id, campaign_id, context"
                  " FROM deliveries WHERE recipient_id = %(person)s ORDER BY created_at",
    "erased_people": "SELECT erased_at FROM erased_people WHERE person_id = %(person)s",
}
