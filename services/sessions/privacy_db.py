"""The SQL of a person's export from sessions (services.common.privacy.export_blueprint): one query per table.

Every table that names a person is here, whole rows (`*`), so a column added later is exported too;
only a calendar feed's token hash is left out (a credential, not data about the person).
"""

PERSON = "%(person)s::uuid"

EXPORT_QUERIES = {
    "delegates": f"SELECT * FROM delegates WHERE person_id = {PERSON} ORDER BY updated_at",
    "delegate_names": f"SELECT * FROM delegate_names WHERE person_id = {PERSON}",
    "invitations": f"SELECT * FROM invitations WHERE person_id = {PERSON} ORDER BY invited_at",
    "registrations": f"SELECT * FROM registrations WHERE person_id = {PERSON} ORDER BY created_at",
    "evaluations": f"SELECT * FROM evaluations WHERE person_id = {PERSON} ORDER BY submitted_at",
    "no_show_alerts": f"SELECT * FROM no_show_alerts WHERE person_id = {PERSON} ORDER BY raised_at",
    "calendar_feeds": "SELECT id, kind, subject, created_by, created_at, revoked_at FROM calendar_feeds"
                      " WHERE kind = 'participant' AND subject = %(person)s ORDER BY created_at",
    "erased_persons": f"SELECT * FROM erased_persons WHERE person_id = {PERSON}",
}
