"""Participation use cases: delegates (flagged below management, capped per company) and follow-up (borging)."""

from __future__ import annotations

import uuid
from uuid import UUID

from werkzeug.exceptions import NotFound

from services.common import audit
from services.common.db import trailing_writes, unit_of_work
from services.common.problems import Conflict, InvalidInput
from services.enrolment import db, domain, payloads
from services.enrolment.service.base import Row, UseCases, illegal, today
from services.enrolment.views import below_management_warning, delegate_view


class Participation(UseCases):
    """Who a company delegates, and what it kept doing afterwards."""

    def delegate(self, enrolment_id: UUID, data: Row) -> Row:
        with unit_of_work(self.pool) as conn:
            # What _locked and _open_programme read, and the current delegates, in one round trip (issue 14).
            e, programme, current = db.lock_for_delegation(conn, enrolment_id)
            if e is None:
                raise NotFound("no such enrolment")
            try:
                state = domain.delegate(e["state"])
            except domain.IllegalTransition as exc:
                raise illegal(exc) from None
            programme = self._check_open(programme, e, "new delegates")
            replaces = data["replaces"]
            if replaces is not None and replaces not in {d["person_id"] for d in current}:
                raise InvalidInput({"replaces": "not a current delegate of this enrolment"})
            staying = [d for d in current if d["person_id"] != replaces]
            if any(d["email"] and d["email"].lower() == data["email"].lower() for d in staying):
                raise Conflict("a delegate with this e-mail address is already delegated",
                               invalid_params=[{"name": "email", "reason": "already delegated"}])
            maximum = programme["max_delegates_per_company"]
            if len(staying) >= maximum:
                raise Conflict(f"the programme allows at most {maximum} delegates per company",
                               max_delegates_per_company=maximum, current_delegates=len(staying))
            on = today()
            below = domain.below_management(data["job_level"])
            person, row = db.insert_person_and_delegate(conn, uuid.uuid4(), data, enrolment_id,
                                                        data["job_level"], below, on)
            activated = state != e["state"]
            e = self._set(conn, e, {"state": state, "activated_on": on}) if activated else e
            events = [payloads.participant_delegated(e, person, data["job_level"], below)]
            if replaces is not None:
                events.append(payloads.participant_removed(e, replaces, on, person["id"]))
            if activated:
                events.append(payloads.company_activated(e))
            # Statements whose results nothing waits for: one round trip, with an Idempotency-Key the stored
            # response's and COMMIT's (issue 14).
            with trailing_writes(conn):
                if replaces is not None:
                    db.remove_delegate(conn, enrolment_id, replaces, on, person["id"])
                self._share_contact(conn, person)
                self.outbox.add(conn, events)
                audit.record(conn, "delegate.add", "enrolment", str(enrolment_id),
                             {"person_id": str(person["id"]), "job_level": data["job_level"],
                              "below_management": below, "replaces": str(replaces) if replaces else None})
            return delegate_view(row, [below_management_warning(data["job_level"])] if below else [])

    def remove_delegate(self, enrolment_id: UUID, person_id: UUID) -> None:
        with self._locked(enrolment_id) as (conn, e):
            delegate = db.get_delegate(conn, enrolment_id, person_id)
            if delegate is None or delegate["removed_on"] is not None:
                raise NotFound("no such current delegate")
            domain.change_delegates(e["state"])
            on = today()
            db.remove_delegate(conn, enrolment_id, person_id, on, None)
            self.outbox.add(conn, [payloads.participant_removed(e, person_id, on, None)])
            audit.record(conn, "delegate.remove", "enrolment", str(enrolment_id), {"person_id": str(person_id)})

    def delegate_of(self, enrolment_id: UUID, person_id: UUID) -> Row:
        with self._read() as conn:
            row = db.get_delegate(conn, enrolment_id, person_id)
            if row is None:
                raise NotFound("no such delegate")
            return delegate_view(row)

    def delegates(self, enrolment_id: UUID, include_removed: bool, limit: int, offset: int) -> tuple[list[Row], int]:
        with self._read() as conn:
            rows, total = db.list_delegates(conn, enrolment_id, include_removed, limit, offset)
            return [delegate_view(r) for r in rows], total

    def record_follow_up(self, enrolment_id: UUID, data: Row) -> Row:
        with self._locked(enrolment_id) as (conn, e):
            domain.record_follow_up(e["state"])
            follow_up = db.insert_follow_up(conn, uuid.uuid4(), enrolment_id, data)
            level = domain.adoption_level(db.follow_ups_in_recording_order(conn, enrolment_id))
            e = self._set(conn, e, {"adoption_level": level})
            self.outbox.add(conn, [payloads.follow_up_recorded(e, follow_up)])
            audit.record(conn, "follow_up.record", "enrolment", str(enrolment_id),
                         {"follow_up_id": str(follow_up["id"]), "activity": data["activity"],
                          "adoption_level": data["adoption_level"]})
            return follow_up

    def follow_up(self, enrolment_id: UUID, follow_up_id: UUID) -> Row:
        with self._read() as conn:
            row = db.get_follow_up(conn, enrolment_id, follow_up_id)
            if row is None:
                raise NotFound("no such follow-up")
            return row

    def follow_ups(self, enrolment_id: UUID, limit: int, offset: int) -> tuple[list[Row], int]:
        with self._read() as conn:
            return db.list_follow_ups(conn, enrolment_id, limit, offset)
