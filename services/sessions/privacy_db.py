"""The SQL of a person's export from sessions (services.common.privacy.export_blueprint): one query per table.

Every table that names a person is here, with the columns that say something about them; a
calendar feed's token hash is left out (a credential, not data about the person).
"""

PERSON = "%(person)s::uuid"

EXPORT_QUERIES = {
    "delegates": "SELECT programme_id, enrolment_id, company_id, region, name, job_level, below_management,"
                 f" removed_on, erased_on, updated_at FROM delegates WHERE person_id = {PERSON}"
                 " ORDER BY updated_at",
    "delegate_names": f"SELECT name, updated_at FROM delegate_names WHERE person_id = {PERSON}",
    "invitations": "SELECT session_id, company_id, invited_at FROM invitations"
                   f" WHERE person_id = {PERSON} ORDER BY invited_at",
    "registrations": "SELECT id, session_id, company_id, status, created_at, promoted_at, cancelled_at, cancel_late,"
                     " cancel_cause, attendance, attendance_recorded_at FROM registrations"
                     f" WHERE person_id = {PERSON} ORDER BY created_at",
    "evaluations": "SELECT id, session_id, company_id, score, comment, submitted_at FROM evaluations"
                   f" WHERE person_id = {PERSON} ORDER BY submitted_at",
    "no_show_alerts": f"SELECT session_id, raised_at FROM no_show_alerts WHERE person_id = {PERSON}",
    "calendar_feeds": "SELECT id, created_by, created_at, revoked_at FROM calendar_feeds"
                      " WHERE kind = 'participant' AND subject = %(person)s ORDER BY created_at",
    "erased_persons": f"SELECT erased_on FROM erased_persons WHERE person_id = {PERSON}",
}
