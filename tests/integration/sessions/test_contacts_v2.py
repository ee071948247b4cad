"""Delegates' names from enrolment's contacts topic (v2 events carry only ids), in either order, beside the v1
events whose contact object still names them; a tombstone or an erasure removes the name."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from services.common.contacts import CONTACTS_TOPIC, tombstone_handler_key
from services.common.events import Event, new_event, validate_event
from services.sessions import db
from services.sessions.handlers import handlers
from tests.integration.sessions.world import Company, World


def v2(name: str, subject: str, data: dict[str, Any]) -> Event:
    event = new_event("enrolment", name, subject, data, major=2)
    validate_event(event)
    return event


def contact_record(person_id: str, name: str) -> Event:
    event = new_event("enrolment", "ContactDetailsChanged", person_id, {
        "person_id": person_id, "name": name, "email": f"{person_id[:8]}@example.nl", "language": "nl"})
    validate_event(event)
    return event


def delegated_v2(c: Company, person_id: str) -> Event:
    return v2("ParticipantDelegated", c.enrolment_id, {
        "enrolment_id": c.enrolment_id, "company_id": c.company_id, "programme_id": c.programme_id,
        "region": c.region, "person_id": person_id, "job_level": "manager", "below_management": False})


def names(world: World, c: Company) -> dict[str, str | None]:
    with world.pool.connection() as conn:
        rows = db.delegates_of(conn, uuid.UUID(c.programme_id), [uuid.UUID(p) for p in c.people])
    return {str(r["person_id"]): r["name"] for r in rows}


def test_names_come_from_the_contacts_topic_in_either_order_and_v1_still_names_people(world: World) -> None:
    programme = world.programme()
    c = world.company(programme, "Noord", delegates=1)  # v1, with the contact object: named as before
    world.apply(v2("CompanyAdmitted", c.enrolment_id, {
        "enrolment_id": c.enrolment_id, "company_id": c.company_id, "programme_id": c.programme_id,
        "region": "Noord", "admitted_on": date.today().isoformat(), "director_id": str(uuid.uuid4())}))
    first, later = str(uuid.uuid4()), str(uuid.uuid4())
    c.people += [first, later]
    world.apply(contact_record(first, "Eerst Bekend"))  # the contacts topic was read first
    world.apply(delegated_v2(c, first))
    world.apply(delegated_v2(c, later))  # its record comes afterwards
    assert names(world, c)[later] is None
    world.apply(contact_record(later, "Later Bekend"))
    got = names(world, c)
    assert got[c.people[0]] == f"Deelnemer {c.people[0][:8]}"
    assert (got[first], got[later]) == ("Eerst Bekend", "Later Bekend")
    world.apply(contact_record(later, "Later Hernoemd"))
    assert names(world, c)[later] == "Later Hernoemd"


def test_a_tombstone_and_an_erasure_remove_the_name_and_a_late_record_does_not_bring_it_back(world: World) -> None:
    programme = world.programme()
    c = world.company(programme, "Noord", delegates=0)
    person = str(uuid.uuid4())
    c.people.append(person)
    world.apply(delegated_v2(c, person))
    world.apply(contact_record(person, "Anna Weg"))
    with world.pool.connection() as conn, conn.transaction():
        handlers(world.settings)[tombstone_handler_key(CONTACTS_TOPIC)](
            conn, {"type": "tombstone", "subject": person, "data": None})
        assert conn.execute("SELECT * FROM delegate_names WHERE person_id = %s", (person,)).fetchall() == []
    assert names(world, c)[person] is None
    world.apply(contact_record(person, "Anna Weg"))  # a record replayed before compaction
    world.apply(new_event("enrolment", "PersonErased", person, {"person_id": person,
                                                                "erased_on": date.today().isoformat()}))
    assert names(world, c)[person] is None
    world.apply(contact_record(person, "Anna Weg"))  # after the erasure: ignored
    assert names(world, c)[person] is None
    with world.pool.connection() as conn:
        assert conn.execute("SELECT * FROM delegate_names WHERE person_id = %s", (person,)).fetchall() == []
