"""The external event stream: pseudonymous copies of the programme's facts.

Reporting consumers (the fund's board, a ministry, a BI team) never see an
internal event. For each fact worth reporting, reporting publishes one event
`progadmin.reporting.Public<Name>.v1` that keeps an explicit list of fields:

- ids of people and companies (and of anything tied to one: enrolments,
  registrations, intakes, follow-ups) become pseudonyms (`pseudonyms.py`);
  programme and session ids stay (they identify no one);
- names, e-mail, contact and director objects, addresses, meeting links and
  free-text reasons are never copied (they are not on the list);
- individual evaluation scores are not published at all: a
  `PublicSessionEvaluated` carries a session's average once at least
  `evaluation_min_group` scores exist.

Every public schema has `additionalProperties: false` and `publish`
validates each event against it, so a field that is not on the list cannot
reach a consumer even by mistake.

Publication happens in the consumer's transaction: the event goes into
`external_events` as a pending row, without a position and without a lock,
so reporting consumers run side by side. The sequencer (`sequencer.py`,
a loop of the reporting worker) then gives committed rows their positions
in order and puts them in the outbox (the public Kafka topic
`progadmin.reporting.events`); the feed and the webhooks only read rows
with a position, so a cursor never skips one. The public event id is
derived from the source event, and a source event gets one external event
(a unique index, `ON CONFLICT DO NOTHING`), so replays and rebuilds never
publish a second one. The Kafka
topic itself is at-least-once (the relay may resend a record it sent just
before a crash, same id): subscribers dedupe on the id (README,
`subscriber_example.py`).
"""

from __future__ import annotations

import hashlib
import json
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psycopg
from psycopg.types.json import Jsonb

from services.common.events import EVENT_SCHEMA_DIR, Event, event_type, new_event, validate_event
from services.reporting.pseudonyms import pseudonym
from services.reporting.settings import ReportingSettings

SERVICE = "reporting"
_ID_NAMESPACE = uuid.UUID("8f6a4b1e-3c2d-4e5f-9a0b-7c6d5e4f3a2b")

# Field -> pseudonym kind. Lists (facilitator_ids) are pseudonymised item by item.
PSEUDONYMISED: dict[str, str] = {
    "company_id": "company", "host_company_id": "company", "enrolment_id": "enrolment",
    "person_id": "person", "replaced_by": "person", "facilitator_ids": "person",
    "registration_id": "registration", "follow_up_id": "follow_up", "intake_id": "intake",
}
_ENROLMENT = ("enrolment_id", "company_id", "programme_id")
_SESSION_SNAPSHOT = ("session_id", "programme_id", "type", "region", "format", "host_company_id", "starts_at",
                     "ends_at", "duration_minutes", "capacity_min", "capacity_max", "facilitator_ids",
                     "working_method", "sequence_number", "status", "version")
_PROGRAMME = ("programme_id", "name", "fund", "theme", "period_start", "period_end", "regions", "planned_sessions")
_PLACE = ("session_id", "programme_id", "registration_id", "person_id", "company_id")


@dataclass(frozen=True)
class PublicType:
    """How one internal type is published: its public name, subject field and kept fields."""

    name: str
    subject: str
    fields: tuple[str, ...]

    @property
    def type(self) -> str:
        return event_type(SERVICE, self.name)


PUBLIC_TYPES: dict[str, PublicType] = {
    "progadmin.enrolment.ProgrammeOpened.v1": PublicType("PublicProgrammeOpened", "programme_id", _PROGRAMME),
    "progadmin.enrolment.ProgrammeUpdated.v1": PublicType("PublicProgrammeUpdated", "programme_id", _PROGRAMME),
    "progadmin.enrolment.ProgrammeClosed.v1": PublicType("PublicProgrammeClosed", "programme_id",
                                                         ("programme_id", "closed_on")),
    "progadmin.enrolment.CompanyRegistered.v1": PublicType("PublicCompanyRegistered", "company_id",
                                                           ("company_id", "region")),
    "progadmin.enrolment.CompanyShowedInterest.v1": PublicType("PublicCompanyShowedInterest", "enrolment_id",
                                                               (*_ENROLMENT, "region")),
    "progadmin.enrolment.IntakeHeld.v1": PublicType(
        "PublicIntakeHeld", "enrolment_id",
        (*_ENROLMENT, "intake_id", "held_on", "commitments", "assessed_level", "meets_admission_rule")),
    "progadmin.enrolment.CompanyAdmitted.v1": PublicType("PublicCompanyAdmitted", "enrolment_id",
                                                         (*_ENROLMENT, "region", "admitted_on")),
    "progadmin.enrolment.CompanyDeclined.v1": PublicType("PublicCompanyDeclined", "enrolment_id",
                                                         (*_ENROLMENT, "declined_on")),
    "progadmin.enrolment.CompanyActivated.v1": PublicType("PublicCompanyActivated", "enrolment_id",
                                                          (*_ENROLMENT, "region", "activated_on")),
    "progadmin.enrolment.CompanyWithdrew.v1": PublicType("PublicCompanyWithdrew", "enrolment_id",
                                                         (*_ENROLMENT, "region", "reason_code", "withdrawn_on")),
    "progadmin.enrolment.CompanyCompleted.v1": PublicType("PublicCompanyCompleted", "enrolment_id",
                                                          (*_ENROLMENT, "completed_on")),
    "progadmin.enrolment.FollowUpRecorded.v1": PublicType(
        "PublicFollowUpRecorded", "enrolment_id",
        (*_ENROLMENT, "follow_up_id", "activity", "occurred_on", "adoption_level")),
    "progadmin.enrolment.ParticipantDelegated.v1": PublicType(
        "PublicParticipantDelegated", "enrolment_id", (*_ENROLMENT, "region", "person_id", "job_level",
                                                       "below_management")),
    "progadmin.enrolment.ParticipantRemoved.v1": PublicType(
        "PublicParticipantRemoved", "enrolment_id", (*_ENROLMENT, "person_id", "replaced_by", "removed_on")),
    "progadmin.enrolment.PersonErased.v1": PublicType("PublicPersonErased", "person_id", ("person_id", "erased_on")),
    "progadmin.sessions.SessionScheduled.v1": PublicType("PublicSessionScheduled", "session_id", _SESSION_SNAPSHOT),
    "progadmin.sessions.SessionRescheduled.v1": PublicType("PublicSessionRescheduled", "session_id",
                                                           _SESSION_SNAPSHOT),
    "progadmin.sessions.SessionCancelled.v1": PublicType("PublicSessionCancelled", "session_id",
                                                         ("session_id", "programme_id", "version")),
    "progadmin.sessions.SessionHeld.v1": PublicType(
        "PublicSessionHeld", "session_id",
        ("session_id", "programme_id", "type", "region", "attended", "no_shows", "excused")),
    "progadmin.sessions.ParticipantRegistered.v1": PublicType("PublicParticipantRegistered", "session_id", _PLACE),
    "progadmin.sessions.ParticipantWaitlisted.v1": PublicType("PublicParticipantWaitlisted", "session_id",
                                                              (*_PLACE, "position")),
    "progadmin.sessions.WaitlistPromoted.v1": PublicType("PublicWaitlistPromoted", "session_id", _PLACE),
    "progadmin.sessions.RegistrationCancelled.v1": PublicType("PublicRegistrationCancelled", "session_id",
                                                              (*_PLACE, "late", "cause")),
    "progadmin.sessions.AttendanceRecorded.v1": PublicType("PublicAttendanceRecorded", "session_id",
                                                           (*_PLACE, "attendance")),
}
# v2 of these enrolment types left out the personal data the public copies never carried: same public type.
SAME_PUBLIC_TYPE = {f"progadmin.enrolment.{name}.v2": f"progadmin.enrolment.{name}.v1" for name in (
    "CompanyAdmitted", "CompanyDeclined", "CompanyWithdrew", "ParticipantDelegated")}
EVALUATED = PublicType("PublicSessionEvaluated", "session_id",
                       ("session_id", "programme_id", "responses", "average_score"))
EVALUATED_SCHEMA: dict[str, Any] = {
    "description": "A session's evaluation average, published each time the number of responses reaches a "
                   "multiple of the configured minimum group (default 3), so no individual score can be derived "
                   "from two consecutive averages; individual scores are never published. Subject: session id.",
    "required": ["session_id", "programme_id", "responses", "average_score"],
    "properties": {
        "session_id": {"type": "string", "format": "uuid"},
        "programme_id": {"type": "string", "format": "uuid"},
        "responses": {"type": "integer", "minimum": 1},
        "average_score": {"type": "number", "minimum": 1, "maximum": 10},
    },
}


def public_types() -> list[PublicType]:
    return [*PUBLIC_TYPES.values(), EVALUATED]


def public_type_names() -> list[str]:
    return sorted(t.type for t in public_types())


def public_event_id(cause: Event) -> str:
    """Deterministic: the same source event always yields the same public id.

    uuid.uuid5's own steps (SHA-1 of namespace and name, version 5, RFC 4122 variant) without building
    a UUID object to print it: that was a tenth of each event's client time in a rebuild (issue 14).
    tests/unit/reporting/test_public_ids.py checks it against uuid.uuid5.
    """
    digest = bytearray(hashlib.sha1(_ID_NAMESPACE.bytes + f"{cause['source']}|{cause['id']}".encode(),
                                    usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class PublicStream:
    """Translates internal events to public ones and publishes them once."""

    def __init__(self, settings: ReportingSettings, erased: set[uuid.UUID] | None = None) -> None:
        self.secret = settings.reporting_pseudonym_secret
        # Who is erased, when the caller knows every row of erased_persons (the rebuild: it truncated the
        # table and, holding its lock until commit, is its only writer). None: ask the table each time.
        self.erased = erased
        # (kind, id) -> pseudonym: a company or person recurs in most of its events, and each HMAC cost
        # as much as the projection's SQL call (issue 14, rebuild profile). Bounded; cleared when full.
        self._pseudonyms: dict[tuple[str, str], str] = {}

    def _pseudonym(self, kind: str, value: str) -> str:
        found = self._pseudonyms.get((kind, value))
        if found is None:
            if len(self._pseudonyms) > 100_000:
                self._pseudonyms.clear()
            found = self._pseudonyms[(kind, value)] = pseudonym(self.secret, kind, value)
        return found

    def pseudonymise(self, name: str, value: Any) -> Any:
        kind = PSEUDONYMISED.get(name)
        if kind is None or value is None:
            return value
        if isinstance(value, list):
            return [self._pseudonym(kind, str(v)) for v in value]
        return self._pseudonym(kind, str(value))

    def translate(self, spec: PublicType, data: dict[str, Any]) -> dict[str, Any]:
        """Keep only the listed fields, pseudonymising ids."""
        return {name: self.pseudonymise(name, data[name]) for name in spec.fields if name in data}

    def publish_translation(self, conn: psycopg.Connection[Any], cause: Event) -> Event | None:
        type_: str = cause["type"]
        spec = PUBLIC_TYPES.get(SAME_PUBLIC_TYPE.get(type_, type_))
        if spec is None:
            return None
        data = self.translate(spec, cause["data"])
        if spec.name != "PublicPersonErased":
            data = self._unlink_erased(conn, cause, data)
        return self.publish(conn, cause, spec, data)

    def _unlink_erased(self, conn: psycopg.Connection[Any], cause: Event, data: dict[str, Any]) -> dict[str, Any]:
        """A fact about someone already erased (arriving late from another topic) still counts, but under a
        one-off pseudonym: consumers deleted the person's pseudonym and it must not come back."""
        for name in ("person_id", "replaced_by"):
            raw = cause["data"].get(name)
            if raw is None or name not in data:
                continue
            try:
                person = uuid.UUID(str(raw))
            except ValueError:
                continue  # not a UUID: never recorded as erased
            if self.erased is not None:  # no read: a read stops the rebuild's pipeline (issue 14)
                erased = person in self.erased
            else:
                erased = conn.execute("SELECT 1 FROM erased_persons WHERE person_id = %s",
                                      (person,)).fetchone() is not None
            if erased:
                data[name] = pseudonym(self.secret, "erased-person", f"{cause['source']}|{cause['id']}|{name}")
        return data

    def publish(self, conn: psycopg.Connection[Any], cause: Event, spec: PublicType,
                data: dict[str, Any]) -> Event | None:
        """Publish `data` as a `spec` event caused by `cause`; None when `cause` was published already.

        The row is pending: the sequencer gives it its position (the CloudEvents extension `position`, the
        feed cursor and webhook order) and writes the outbox row after this transaction commits.
        """
        event = new_event(SERVICE, spec.name, str(data[spec.subject]), data, event_id=public_event_id(cause),
                          time=cause["time"])
        validate_event(event)  # against the public schema: no extra field can get out, even by mistake
        # orjson: json.dumps was 40 µs of each event's client time in a rebuild (issue 14); the jsonb is the same.
        inserted = conn.execute(
            "INSERT INTO external_events (event_id, event_type, cause_source, cause_id, payload)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (event["id"], event["type"], cause["source"], cause["id"], Jsonb(event, dumps=orjson.dumps))).rowcount
        return event if inserted else None


# -- the public contract: JSON Schemas generated from the internal ones -------------------------
def _public_property(name: str, internal: dict[str, Any]) -> dict[str, Any]:
    if name in PSEUDONYMISED:
        pseudo = {"type": "string", "format": "uuid", "description": f"Pseudonymous {PSEUDONYMISED[name]} id."}
        if name == "facilitator_ids":
            return {"type": "array", "items": pseudo, "description": "Pseudonymous person ids of the facilitators."}
        if name in ("replaced_by", "host_company_id"):
            return {**pseudo, "type": ["string", "null"]}
        return pseudo
    return internal


def schema_for(spec: PublicType, internal_type: str | None) -> dict[str, Any]:
    """The JSON Schema of a public type (closed: no properties beyond the listed ones)."""
    if internal_type is None:
        base = EVALUATED_SCHEMA
    else:
        source = json.loads((EVENT_SCHEMA_DIR / f"{internal_type}.json").read_text())
        base = {
            "description": f"Pseudonymous copy of {internal_type} for reporting consumers: person and company "
                           f"ids are pseudonyms; no names, e-mail, addresses or free text. "
                           f"{source.get('description', '')}".strip(),
            "required": [f for f in source.get("required", []) if f in spec.fields],
            "properties": {f: _public_property(f, source["properties"][f]) for f in spec.fields},
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:progadmin:schema:{spec.type}",
        "title": f"{spec.name} v1",
        "description": base["description"],
        "type": "object",
        "required": base["required"],
        "properties": base["properties"],
        "additionalProperties": False,
    }


def schema_files() -> dict[Path, str]:
    """Every public schema file and its content."""
    out = {}
    for internal, spec in [*PUBLIC_TYPES.items(), (None, EVALUATED)]:
        out[EVENT_SCHEMA_DIR / f"{spec.type}.json"] = json.dumps(schema_for(spec, internal), indent=2) + "\n"
    return out


def main(argv: list[str] | None = None) -> int:
    """`python -m services.reporting.public_events [--check]`: write (or check) the public schemas."""
    args = sys.argv[1:] if argv is None else argv
    files = schema_files()
    stale = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
    if "--check" in args:
        for path in stale:
            print(f"{path} is out of date: run python -m services.reporting.public_events", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(files[path])
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
