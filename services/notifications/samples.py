"""Sample data for template previews: a plausible mail of every kind without touching real people."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

SAMPLE_SESSION_ID = "00000000-0000-4000-8000-000000000001"


def sample_context(kind: str, base_url: str = "https://progadmin.example") -> dict[str, Any]:
    starts = datetime(2026, 3, 3, 13, 0, tzinfo=UTC)
    session = {"session_id": SAMPLE_SESSION_ID, "programme_id": "sample", "type": "dialogue", "region": "Noord",
               "format": "regional_venue", "venue_address": "Betonweg 1, Zwolle", "online_url": None,
               "starts_at": starts, "ends_at": starts + timedelta(hours=3), "duration_minutes": 180,
               "facilitator_ids": ["f-1"], "working_method": "incident_method", "status": "planned", "version": 1,
               "cancel_reason": None}
    ctx: dict[str, Any] = {
        "intake_id": "00000000-0000-4000-8000-000000000002", "scheduled_at": starts.isoformat(),
        "location": "Kantoor Bouwbedrijf De Vries, Zwolle", "sequence": 0, "held_on": "2026-02-02",
        "commitments": ["director_attends_kickoff_and_closing", "managers_delegated", "staff_time_released"],
        "meets_admission_rule": True, "reason": "De sessie is samengevoegd met die in Midden.",
        "admitted_on": "2026-02-10", "declined_on": "2026-02-10",
        "previous_starts_at": (starts - timedelta(days=7)).isoformat(), "registered": 3, "capacity_min": 8,
        "person_id": "00000000-0000-4000-8000-000000000003",
        "session_ids": [SAMPLE_SESSION_ID, "00000000-0000-4000-8000-000000000004"],
        "risk_points": 3, "last_signal": "no_show", "staff_id": "f-1", "failed_kind": "facilitator_assignment",
        "position": 2, "cancelled_by": "participant", "was": "registered", "late": False,
    }
    if kind == "decline":
        ctx["reason"] = "Onvoldoende commitment van de directie."
    links: dict[str, str | None] = {a: f"{base_url}/api/v1/links/{a}?token=voorbeeld"
                                    for a in ("confirm", "cancel", "evaluate")}
    links["unsubscribe"] = f"{base_url}/api/v1/unsubscribe?token=voorbeeld"
    links["report"] = f"{base_url}/api/v1/company-reports/voorbeeld" if kind == "progress_digest" else None
    return {
        "recipient": {"name": "Jan de Vries"},
        "programme": {"name": "Vanzelfsprekend Gezond en Veilig",
                      "teaser_question": "Wanneer sprak u voor het laatst een collega aan op onveilig gedrag?",
                      "follow_up_info": "Op de website vindt u de whiteboard-methode en drie oefenopdrachten.",
                      "reminder_hours_before": 48},
        "company": {"name": "Bouwbedrijf De Vries"},
        "session": session,
        "ctx": ctx,
        "links": links,
        "digest": {"delegates": 4, "registrations": 6, "attended": 5, "no_shows": 1, "upcoming": 2},
        "step": {"subject": "Skills booster 1: het goede gesprek",
                 "body": "Deze week: vraag door voordat u oordeelt. Opdracht: voer drie korte gesprekken op de vloer."},
    }
