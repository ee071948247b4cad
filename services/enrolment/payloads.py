"""Event payloads built from rows: exactly the fields of schemas/events/progadmin.enrolment.*.json.

Payloads on the events topic carry ids and facts only. That topic keeps
everything forever, so nothing on it may need erasing: the people mail goes
to appear by id (`person_id`, `director_id`, the v2 types), and their name,
e-mail and language go as `ContactDetailsChanged` to the compacted contacts
topic, where an erasure's tombstone really removes them (see
services/common/contacts.py). Interview notes and free texts (a withdrawal's
reason text) never leave the service. The v1 types with contact data are no
longer produced; consumers still read them from the old history.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from services.common.events import Event, new_event

SERVICE = "enrolment"
Row = dict[str, Any]


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def event(name: str, subject: Any, data: dict[str, Any], major: int = 1) -> Event:
    return new_event(SERVICE, name, str(subject), data, major=major)


def contact(person: Row) -> dict[str, Any]:
    return {"person_id": str(person["id"]), "name": person["name"], "email": person["email"],
            "language": person["language"]}


def contact_details_changed(person: Row) -> Event:
    """The record for the compacted contacts topic (key: person id); never for the events topic."""
    return event("ContactDetailsChanged", person["id"], contact(person))


def programme_snapshot(p: Row) -> dict[str, Any]:
    """ProgrammeOpened / ProgrammeUpdated: the full settings the sessions and notifications services use."""
    data: dict[str, Any] = {
        "programme_id": str(p["id"]),
        "name": p["name"],
        "fund": p["fund"],
        "theme": p["theme"],
        "regions": list(p["regions"]),
        "planned_sessions": dict(p["planned_sessions"]),
        "max_delegates_per_company": p["max_delegates_per_company"],
        "session_rules": dict(p["session_rules"]),
        "teaser_question": p["teaser_question"],
        "reminder_hours_before": p["reminder_hours_before"],
        "follow_up_info": p["follow_up_info"],
    }
    for key in ("period_start", "period_end"):
        if p[key] is not None:
            data[key] = p[key].isoformat()
    return data


def enrolment_ids(e: Row) -> dict[str, Any]:
    """The ids every enrolment event carries."""
    return {"enrolment_id": str(e["id"]), "company_id": str(e["company_id"]),
            "programme_id": str(e["programme_id"])}


def company_showed_interest(e: Row) -> Event:
    return event("CompanyShowedInterest", e["id"], {**enrolment_ids(e), "region": e["region"]})


def intake_scheduled(e: Row, intake: Row, director: Row) -> Event:
    data = {**enrolment_ids(e), "intake_id": str(intake["id"]), "scheduled_at": intake["scheduled_at"].isoformat(),
            "sequence": intake["sequence"], "director_id": str(director["id"])}
    if intake["location"]:
        data["location"] = intake["location"]
    return event("IntakeScheduled", e["id"], data, major=2)


def intake_held(e: Row, intake: Row) -> Event:
    return event("IntakeHeld", e["id"], {
        **enrolment_ids(e), "intake_id": str(intake["id"]), "held_on": _iso(intake["held_on"]),
        "interviewee_role": intake["interviewee_role"], "commitments": dict(intake["commitments"]),
        "assessed_level": intake["assessed_level"], "meets_admission_rule": intake["meets_admission_rule"]})


def company_admitted(e: Row, director: Row) -> Event:
    return event("CompanyAdmitted", e["id"], {**enrolment_ids(e), "region": e["region"],
                                              "admitted_on": _iso(e["admitted_on"]),
                                              "director_id": str(director["id"])}, major=2)


def company_declined(e: Row, director: Row) -> Event:
    return event("CompanyDeclined", e["id"], {**enrolment_ids(e), "reason": e["decline_reason"],
                                              "declined_on": _iso(e["declined_on"]),
                                              "director_id": str(director["id"])}, major=2)


def company_activated(e: Row) -> Event:
    return event("CompanyActivated", e["id"], {**enrolment_ids(e), "region": e["region"],
                                               "activated_on": _iso(e["activated_on"])})


def participant_delegated(e: Row, person: Row, job_level: str, below: bool) -> Event:
    return event("ParticipantDelegated", e["id"], {
        **enrolment_ids(e), "region": e["region"], "person_id": str(person["id"]),
        "job_level": job_level, "below_management": below}, major=2)


def participant_removed(e: Row, person_id: Any, removed_on: date, replaced_by: Any | None) -> Event:
    return event("ParticipantRemoved", e["id"], {
        **enrolment_ids(e), "person_id": str(person_id), "removed_on": removed_on.isoformat(),
        "replaced_by": str(replaced_by) if replaced_by else None})


def company_withdrew(e: Row) -> Event:
    # The reason text stays here: free text may name people, and the topic keeps it forever.
    return event("CompanyWithdrew", e["id"], {**enrolment_ids(e), "region": e["region"],
                                              "reason_code": e["withdrawal_reason"],
                                              "withdrawn_on": _iso(e["withdrawn_on"])}, major=2)


def company_completed(e: Row) -> Event:
    return event("CompanyCompleted", e["id"], {**enrolment_ids(e), "completed_on": _iso(e["completed_on"])})


def follow_up_recorded(e: Row, f: Row) -> Event:
    return event("FollowUpRecorded", e["id"], {
        **enrolment_ids(e), "follow_up_id": str(f["id"]), "activity": f["activity"],
        "occurred_on": _iso(f["occurred_on"]), "adoption_level": f["adoption_level"]})


def erased_contact(person_id: str) -> dict[str, Any]:
    """What an unpublished event carries instead of an erased person's contact data (never deliverable)."""
    return {"person_id": person_id, "name": "[gewist / erased]", "email": "erased@erased.invalid",
            "language": "nl", "erased": True}
