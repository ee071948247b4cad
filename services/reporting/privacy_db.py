"""The SQL of a person's export from reporting (services.common.privacy.export_blueprint): one query per table.

Reporting holds pseudonymous ids only (no name, no address, no comment); what it knows about a
person is which company delegated them and their places, attendance and scores.
"""

PERSON = "%(person)s::uuid"

EXPORT_QUERIES = {
    "delegates": "SELECT enrolment_id, company_id, programme_id, job_level, below_management, delegated_at,"
                 f" removed_on FROM delegates WHERE person_id = {PERSON} ORDER BY delegated_at",
    "invitations": f"SELECT invitation_id, session_id, company_id FROM invitations WHERE person_id = {PERSON}",
    "registrations": "SELECT registration_id, session_id, company_id, registered_at, waitlisted_at, promoted_at,"
                     " cancelled_at, cancelled_late, cancel_cause, attendance, attendance_at FROM registrations"
                     f" WHERE person_id = {PERSON} ORDER BY registered_at",
    "evaluations": f"SELECT evaluation_id, session_id, score FROM evaluations WHERE person_id = {PERSON}",
    "erased_persons": f"SELECT erased_on FROM erased_persons WHERE person_id = {PERSON}",
}
