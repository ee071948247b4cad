"""Company use cases: register, change, search; directors and contact persons are persons."""

from __future__ import annotations

import uuid
from uuid import UUID

from werkzeug.exceptions import NotFound

from services.common import audit
from services.common.db import trailing_writes, unit_of_work
from services.common.problems import Conflict
from services.enrolment import db, payloads
from services.enrolment.service.base import Conn, Row, UseCases
from services.enrolment.views import person_view


class Companies(UseCases):
    """Companies with their directors and contact person."""

    def register_company(self, data: Row) -> Row:
        with unit_of_work(self.pool) as conn:
            given = data.get("contact_person")
            # The rows the answer is made of in one round trip, the statements nothing reads in another: with
            # an Idempotency-Key that is the round trip of the stored response and COMMIT (issue 14).
            row, contact, persons = db.insert_company_with_persons(
                conn, uuid.uuid4(), data, (uuid.uuid4(), given) if given else None,
                [(uuid.uuid4(), d) for d in data["directors"]])
            if row is None:
                raise Conflict(f"a company with KvK number {data['kvk_number']} is already registered",
                               invalid_params=[{"name": "kvk_number", "reason": "already registered"}])
            directors = [(p, d["role"]) for p, d in zip(persons, data["directors"], strict=True)]
            with trailing_writes(conn):
                db.set_directors(conn, row["id"], [(p["id"], role) for p, role in directors], new=True)
                self.outbox.add(conn, [payloads.event("CompanyRegistered", row["id"], {
                    "company_id": str(row["id"]), "name": row["name"], "kvk_number": row["kvk_number"],
                    "region": row["region"]})])
                audit.record(conn, "company.register", "company", str(row["id"]), {"kvk_number": row["kvk_number"]})
            # The answer from the rows in hand: a company registered just now has no enrolments yet.
            return self._company_view(row, [{**person_view(p), "role": role} for p, role in directors], [],
                                      contact)

    def update_company(self, company_id: UUID, changes: Row) -> Row:
        with unit_of_work(self.pool) as conn:
            company = db.get_company(conn, company_id, lock=True)
            if company is None:
                raise NotFound("no such company")
            # A person given again with the same e-mail address keeps their person_id (other services
            # know people by it); anyone else is a new person.
            # Locked: a person erased meanwhile is read as erased (no e-mail, so not known) instead of
            # being written back with the data the erasure removed.
            known = {d["email"].lower(): d["id"] for d in db.directors_of(conn, [company_id], share=True)
                     if d["email"]}
            if company["contact_person_id"]:
                contact = db.get_person(conn, company["contact_person_id"], lock=True)
                if contact and contact["email"]:
                    known.setdefault(contact["email"].lower(), contact["id"])
            columns: Row = {k: changes[k] for k in ("name", "size") if k in changes}
            if "address" in changes:
                columns.update(changes["address"])
            if "contact_person" in changes:
                person = changes["contact_person"]
                columns["contact_person_id"] = self._person(conn, person, known) if person else None
            if "directors" in changes:
                db.set_directors(conn, company_id, [(self._person(conn, d, known), d["role"])
                                                    for d in changes["directors"]])
            row = db.update(conn, "companies", company_id, columns) if columns else company
            audit.record(conn, "company.update", "company", str(company_id), {"fields": sorted(changes)})
            return self._company_views(conn, [row])[0]

    def _person(self, conn: Conn, data: Row, known: dict[str, UUID]) -> UUID:
        person_id = known.get(data["email"].lower())
        if person_id is None:
            return self._new_person(conn, data)
        db.update_person(conn, person_id, data)
        # Whoever mails this person must get the new address too (a person never mailed yet costs one record).
        person = db.get_person(conn, person_id)
        assert person is not None
        self._share_contact(conn, person)
        return person_id

    def company(self, company_id: UUID) -> Row | None:
        with self._read() as conn:
            row = db.get_company(conn, company_id)
            return self._company_views(conn, [row])[0] if row else None

    def companies(self, filters: Row, regions: list[str] | None, limit: int, offset: int) -> tuple[list[Row], int]:
        with self._read() as conn:
            rows, total = db.list_companies(conn, filters, regions, limit, offset)
            return self._company_views(conn, rows), total

    @staticmethod
    def _new_person(conn: Conn, data: Row) -> UUID:
        return UUID(str(db.insert_person(conn, uuid.uuid4(), data)["id"]))

    @staticmethod
    def _company_views(conn: Conn, rows: list[Row]) -> list[Row]:
        ids = [r["id"] for r in rows]
        directors: dict[UUID, list[Row]] = {i: [] for i in ids}
        for d in db.directors_of(conn, ids):
            directors[d["company_id"]].append({**person_view(d), "role": d["role"]})
        enrolments: dict[UUID, list[Row]] = {i: [] for i in ids}
        for e in db.enrolments_of(conn, ids):
            enrolments[e["company_id"]].append(e)
        contacts = db.persons(conn, [r["contact_person_id"] for r in rows if r["contact_person_id"]])
        return [Companies._company_view(r, directors[r["id"]], enrolments[r["id"]],
                                        contacts[r["contact_person_id"]] if r["contact_person_id"] else None)
                for r in rows]

    @staticmethod
    def _company_view(row: Row, directors: list[Row], enrolments: list[Row], contact: Row | None) -> Row:
        return {**row, "address": {k: row[k] for k in ("street", "postal_code", "city")}, "directors": directors,
                "enrolments": enrolments, "contact_person": person_view(contact) if contact else None}
