"""The SQL of a person's export from reporting (services.common.privacy.export_blueprint): one query per table.

Reporting holds pseudonymous ids only (no name, no address, no comment); what it knows about a
person is which company delegated them and their places, attendance and scores. Whole rows (`*`),
so a column added later is exported too.
"""

PERSON = "%(person)s::uuid"

EXPORT_QUERIES = {
    "delegates": f"SELECT * FROM delegates WHERE person_id = {PERSON} ORDER BY delegated_at",
    "invitations": f"SELECT * FROM invitations WHERE person_id = {PERSON}",
    "registrations": f"SELECT * FROM registrations WHERE person_id = {PERSON} ORDER BY registered_at",
    "evaluations": f"SELECT * FROM evaluations WHERE person_id = {PERSON}",
    "erased_persons": f"SELECT * FROM erased_persons WHERE person_id = {PERSON}",
}
