"""Enrolment's queries (plain SQL, bound parameters; column names only from code), one module per aggregate.

Callers use `db.<function>`; the modules are base (Conn/Row and the checked `update`), programmes (with the
regions they name), companies (with directors), enrolments (with intakes and a programme's funnel), delegates,
follow_ups, persons (with export and erasure), audit (the audit log) and registration (the registration path's
statements pipelined, issue 14).
"""

from services.enrolment.db.audit import (
    audit_of_subjects,
    list_audit,
)
from services.enrolment.db.base import (
    Conn,
    Row,
    update,
)
from services.enrolment.db.companies import (
    company_insert,
    directors_of,
    enrolments_of,
    get_company,
    list_companies,
    set_directors,
)
from services.enrolment.db.delegates import (
    DELEGATE_VIEW,
    get_delegate,
    list_delegates,
    remove_delegate,
)
from services.enrolment.db.enrolments import (
    ENROLMENT_VIEW,
    funnel,
    get_enrolment,
    get_intake,
    insert_enrolment,
    insert_intake,
    latest_held_intake,
    list_enrolments,
    list_intakes,
    lock_enrolment,
)
from services.enrolment.db.follow_ups import (
    follow_ups_in_recording_order,
    get_follow_up,
    insert_follow_up,
    list_follow_ups,
)
from services.enrolment.db.persons import (
    delete_outbox_row,
    erase_person,
    find_persons,
    forget_idempotent_responses,
    forget_person_elsewhere,
    get_person,
    insert_person,
    outbox_rows_mentioning,
    person_insert,
    persons,
    replace_outbox_payload,
    roles_of_person,
    update_person,
)
from services.enrolment.db.programmes import (
    get_programme,
    insert_programme,
    known_regions,
    list_programmes,
    programme_names,
)
from services.enrolment.db.registration import (
    insert_company_with_persons,
    insert_person_and_delegate,
    lock_for_delegation,
)

__all__ = [
    "Conn",
    "Row",
    "update",
    "audit_of_subjects",
    "list_audit",
    "company_insert",
    "directors_of",
    "enrolments_of",
    "get_company",
    "list_companies",
    "set_directors",
    "DELEGATE_VIEW",
    "get_delegate",
    "list_delegates",
    "remove_delegate",
    "ENROLMENT_VIEW",
    "funnel",
    "get_enrolment",
    "get_intake",
    "insert_enrolment",
    "insert_intake",
    "latest_held_intake",
    "list_enrolments",
    "list_intakes",
    "lock_enrolment",
    "follow_ups_in_recording_order",
    "get_follow_up",
    "insert_follow_up",
    "list_follow_ups",
    "delete_outbox_row",
    "erase_person",
    "find_persons",
    "forget_idempotent_responses",
    "forget_person_elsewhere",
    "get_person",
    "insert_person",
    "outbox_rows_mentioning",
    "person_insert",
    "persons",
    "replace_outbox_payload",
    "roles_of_person",
    "update_person",
    "get_programme",
    "insert_programme",
    "known_regions",
    "list_programmes",
    "programme_names",
    "insert_company_with_persons",
    "insert_person_and_delegate",
    "lock_for_delegation",
]
