"""The SQL of a person's export from notifications (services.common.privacy.export_blueprint): one query per table.

Every table that names a person is here, whole rows (`*`), so a column added later is exported too.
The delivery log names the mail, never its text (rendered when sending, not kept).
"""

EXPORT_QUERIES = {
    "recipients": "SELECT * FROM recipients WHERE person_id = %(person)s",
    "suppressions": "SELECT * FROM suppressions WHERE person_id = %(person)s",
    "session_people": "SELECT * FROM session_people WHERE person_id = %(person)s ORDER BY session_id",
    "campaign_members": "SELECT c.name AS campaign, m.* FROM campaign_members m"
                        " JOIN campaigns c ON c.id = m.campaign_id WHERE m.person_id = %(person)s ORDER BY m.joined_at",
    "deliveries": "SELECT * FROM deliveries WHERE recipient_id = %(person)s ORDER BY created_at",
    "erased_people": "SELECT * FROM erased_people WHERE person_id = %(person)s",
}
