"""Privacy and accountability: find, export and erase a person; read the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from psycopg_pool import ConnectionPool
from werkzeug.exceptions import NotFound

from services.common import audit, privacy
from services.common.config import Settings
from services.common.contacts import CONTACT_DETAILS_CHANGED
from services.common.db import unit_of_work
from services.enrolment import db, payloads
from services.enrolment.service.base import Conn, Row, UseCases
from services.enrolment.views import person_view


class Privacy(UseCases):
    """A data subject's rights (access, erasure) and the audit trail."""

    def __init__(self, settings: Settings, pool: ConnectionPool) -> None:
        super().__init__(settings, pool)
        self.settings = settings

    def find_persons(self, email: str, limit: int, offset: int) -> tuple[list[Row], int]:
        with self._read() as conn:
            rows, total = db.find_persons(conn, email, limit, offset)
            return [person_view(r) for r in rows], total

    def export_person(self, person_id: UUID) -> Row:
        """What enrolment holds about a person; the audit trail records who read it (`person.export`, as in
        every service, with only how many rows went out: no personal data in the trail). Unknown: 404."""
        with unit_of_work(self.pool) as conn:
            person = db.get_person(conn, person_id)
            if person is None:
                raise NotFound("no such person")
            roles = db.roles_of_person(conn, person_id)
            audit.record(conn, "person.export", "person", str(person_id),
                         {"rows": 1 + sum(len(rows) for rows in roles.values())})
            return {"person": person_view(person), **roles}

    def export_everywhere(self, person_id: UUID, token: str, dump: Callable[[Row], Row]) -> Row:
        """Everything the four services hold about a person, one section each (services.common.privacy.gather).

        An unknown person is 404 before any other service is asked; a service that cannot answer fails the
        whole export (privacy.ExportIncomplete). `token` is the fund administrator's own (see privacy.gather);
        `dump` turns this service's section into JSON.
        """
        own = dump(self.export_person(person_id))
        document = privacy.gather(self.settings, person_id, lambda: own, token)
        with unit_of_work(self.pool) as conn:
            audit.record(conn, "person.export_all", "person", str(person_id), {"services": list(document["services"])})
        return document

    def erase_person(self, person_id: UUID) -> Row:
        """Remove a person's personal data everywhere in this service; keep the pseudonymous id."""
        with unit_of_work(self.pool) as conn:
            person = db.get_person(conn, person_id, lock=True)
            if person is None:
                raise NotFound("no such person")
            if person["erased_on"] is not None:  # a retried erasure: done already
                return {"person_id": person_id, "erased_on": person["erased_on"]}
            person = db.erase_person(conn, person_id)
            db.forget_person_elsewhere(conn, person_id)
            self._forget_in_outbox(conn, str(person_id))
            db.forget_idempotent_responses(conn, str(person_id))
            # The tombstone makes log compaction delete the person's records on the contacts topic.
            self.outbox.add_record(conn, self.contacts_topic, str(person_id), None)
            self.outbox.add(conn, [payloads.event("PersonErased", person_id, {
                "person_id": str(person_id), "erased_on": person["erased_on"].isoformat()})])
            audit.record(conn, "person.erase", "person", str(person_id))
            return {"person_id": person_id, "erased_on": person["erased_on"]}

    @staticmethod
    def _forget_in_outbox(conn: Conn, person_id: str) -> None:
        """Published rows are history (Kafka has them): delete. Unpublished ones still go out, without the data.

        An unpublished contact record of the person is dropped: the tombstone follows it anyway.
        Events from before v2 (contact data inside) may still wait here after an upgrade: scrubbed.
        """
        for row in db.outbox_rows_mentioning(conn, person_id):
            if row["published_at"] is not None or row["payload"]["type"] == CONTACT_DETAILS_CHANGED:
                db.delete_outbox_row(conn, row["id"])
                continue
            payload = row["payload"]
            data = payload["data"]
            for key in ("contact", "director"):
                if isinstance(data.get(key), dict) and data[key].get("person_id") == person_id:
                    data[key] = payloads.erased_contact(person_id)
            db.replace_outbox_payload(conn, row["id"], payload)

    def audit_entries(self, filters: Row, limit: int, offset: int) -> tuple[list[Row], int]:
        with self._read() as conn:
            return db.list_audit(conn, filters, limit, offset)
