"""What the pages call the domain's codes, Dutch first: states, checklist items, job levels, reasons.

Templates get `label(kind, code)` and `state_badge(state)`; forms get the
option lists. Unknown codes (a programme's own checklist items) read as words.
"""

from __future__ import annotations

import re

from services.common import audit_pages
from services.common.i18n import t
from services.enrolment import domain

Pair = tuple[str, str]

STATES: dict[str, Pair] = {
    "interested": ("Belangstelling", "Interested"),
    "intake_scheduled": ("Intake gepland", "Intake scheduled"),
    "intake_held": ("Intake gehouden", "Intake held"),
    "admitted": ("Toegelaten", "Admitted"),
    "declined": ("Afgewezen", "Declined"),
    "active": ("Actief", "Active"),
    "completed": ("Afgerond", "Completed"),
    "withdrawn": ("Teruggetrokken", "Withdrawn"),
}
STATE_KIND = {"interested": "neutral", "intake_scheduled": "neutral", "intake_held": "active",
              "admitted": "success", "active": "success", "completed": "inactive", "declined": "danger",
              "withdrawn": "warning"}
PROGRAMME_STATUS: dict[str, Pair] = {"draft": ("Concept", "Draft"), "open": ("Open", "Open"),
                                     "closed": ("Gesloten", "Closed")}
PROGRAMME_KIND = {"draft": "neutral", "open": "success", "closed": "inactive"}
COMMITMENTS: dict[str, Pair] = {
    "director_attends_kickoff_and_closing": ("Directeur is bij de kick-off en de slotbijeenkomst",
                                             "Director attends the kick-off and the closing"),
    "staff_time_released": ("Medewerkers krijgen tijd om deel te nemen", "Staff time is released"),
    "managers_delegated": ("Leidinggevenden (niet voormannen) worden afgevaardigd",
                           "Managers rather than foremen are delegated"),
    "internal_follow_up_owner": ("Er is een interne eigenaar voor de borging", "An internal owner for follow-up"),
}
JOB_LEVELS: dict[str, Pair] = {"manager": ("Leidinggevende (kader)", "Manager"),
                               "supervisor": ("Uitvoerder / toezichthouder", "Supervisor"),
                               "foreman": ("Voorman", "Foreman"), "employee": ("Medewerker", "Employee"),
                               "other": ("Anders", "Other")}
WITHDRAWAL_REASONS: dict[str, Pair] = {"understaffing": ("Onderbezetting", "Understaffing"),
                                       "no_director_support": ("Geen steun van de directie", "No director support"),
                                       "other": ("Andere reden", "Other reason")}
FOLLOW_UP_ACTIVITIES: dict[str, Pair] = {
    "whiteboard_meetings": ("Wekelijks whiteboardoverleg", "Weekly whiteboard meetings"),
    "own_intervision": ("Maandelijkse intervisie met eigen teams", "Monthly intervision with own teams"),
    "internal_dialogues": ("Eigen dialoogsessies", "Own dialogue sessions"),
    "rollout_all_managers": ("Plan om alle leidinggevenden te trainen", "Plan to train all managers"),
    "other": ("Anders", "Other"),
}
ADOPTION_LEVELS: dict[str, Pair] = {"none": ("Niet", "None"), "occasional": ("Af en toe", "Occasional"),
                                    "structural": ("Structureel", "Structural")}
SIZES: dict[str, Pair] = {"micro": ("Micro (minder dan 10)", "Micro (under 10)"),
                          "small": ("Klein (10-49)", "Small (10-49)"),
                          "medium": ("Middelgroot (50-249)", "Medium (50-249)"),
                          "large": ("Groot (250 of meer)", "Large (250 or more)")}
INTERVIEWEE_ROLES: dict[str, Pair] = {"director": ("Directeur", "Director"),
                                      "director_owner": ("Directeur-eigenaar", "Director-owner")}
LANGUAGES: dict[str, Pair] = {"nl": ("Nederlands", "Dutch"), "en": ("Engels", "English")}
SESSION_TYPES: dict[str, Pair] = {"dialogue": ("Dialoogsessies", "Dialogue sessions"),
                                  "intervision": ("Intervisiesessies", "Intervision sessions"),
                                  "workshop": ("Workshops", "Workshops"), "kick_off": ("Kick-offs", "Kick-offs")}
SUBJECT_TYPES: dict[str, Pair] = {"programme": ("Programma", "Programme"), "company": ("Bedrijf", "Company"),
                                  "enrolment": ("Inschrijving", "Enrolment"), "person": ("Persoon", "Person"),
                                  "retention_rule": ("Bewaartermijn", "Retention period")}
ACTIONS: dict[str, Pair] = {
    "programme.create": ("Programma aangemaakt", "Programme created"),
    "programme.update": ("Programma gewijzigd", "Programme changed"),
    "programme.open": ("Programma geopend", "Programme opened"),
    "programme.close": ("Programma gesloten", "Programme closed"),
    "company.register": ("Bedrijf aangemeld", "Company registered"),
    "company.update": ("Bedrijf gewijzigd", "Company changed"),
    "enrolment.create": ("Ingeschreven voor programma", "Enrolled in programme"),
    "intake.schedule": ("Intakegesprek gepland", "Intake scheduled"),
    "intake.reschedule": ("Intakegesprek verplaatst", "Intake rescheduled"),
    "intake.outcome": ("Intakegesprek vastgelegd", "Intake outcome recorded"),
    "enrolment.admit": ("Toegelaten", "Admitted"),
    "enrolment.decline": ("Afgewezen", "Declined"),
    "enrolment.withdraw": ("Teruggetrokken", "Withdrawn"),
    "enrolment.complete": ("Afgerond", "Completed"),
    "delegate.add": ("Deelnemer afgevaardigd", "Participant delegated"),
    "delegate.remove": ("Deelnemer afgemeld", "Participant removed"),
    "follow_up.record": ("Borging vastgelegd", "Follow-up recorded"),
    "person.erase": ("Persoonsgegevens gewist", "Personal data erased"),
    "person.export": ("Persoonsgegevens opgevraagd", "Personal data exported"),
    "person.export_all": ("Alle persoonsgegevens opgevraagd", "All personal data exported"),
    "retention.applied": ("Bewaartermijn toegepast", "Retention period applied"),
}
KINDS: dict[str, dict[str, Pair]] = {
    "state": STATES, "programme_status": PROGRAMME_STATUS, "commitment": COMMITMENTS, "job_level": JOB_LEVELS,
    "withdrawal_reason": WITHDRAWAL_REASONS, "activity": FOLLOW_UP_ACTIVITIES, "adoption": ADOPTION_LEVELS,
    "size": SIZES, "interviewee_role": INTERVIEWEE_ROLES, "language": LANGUAGES, "session_type": SESSION_TYPES,
    "subject_type": SUBJECT_TYPES, "action": ACTIONS,
}


def label(kind: str, code: str | None) -> str:
    """The page's word for a code; a programme's own codes read as words (`safety_ladder` -> Safety ladder)."""
    if code is None:
        return ""
    pair = KINDS[kind].get(code)
    if pair is None:
        return code.replace("_", " ").capitalize()
    return t(*pair)


def options(kind: str, codes: tuple[str, ...] | list[str] | None = None) -> list[tuple[str, str]]:
    """(value, label) pairs for a select, in the domain's order."""
    return [(code, label(kind, code)) for code in (codes if codes is not None else list(KINDS[kind]))]


def missing_text(item: str) -> str:
    """One entry of the gate's `missing` list (domain.missing_for_admission) in the page's language."""
    if item.startswith("commitment "):
        return t("Toezegging: ", "Commitment: ") + label("commitment", item.removeprefix("commitment "))
    level = re.fullmatch(r"assessed level at least (\d+) \(was (\d+)\)", item)
    if level:
        return t(f"Beoordeeld niveau van minstens {level[1]} (was {level[2]})",
                 f"Assessed level of at least {level[1]} (was {level[2]})")
    if item == "a held intake interview":
        return t("Een gehouden intakegesprek", "A held intake interview")
    return item


def checklist(programme: dict[str, object]) -> list[str]:
    """The intake's checklist under this programme: the standard items and the programme's own."""
    extra = programme.get("extra_commitments") or []
    assert isinstance(extra, list)
    return [*domain.STANDARD_COMMITMENTS, *extra]


def audit_details(details: dict[str, object]) -> str:
    """An audit row's details in words; ids stay out (the row links to its subject)."""
    parts: list[str] = []
    for key, value in details.items():
        if value is None or key.endswith("_id") or key == "replaces":
            continue
        if key == "job_level":
            parts.append(label("job_level", str(value)))
        elif key == "below_management":
            parts.append(t("onder managementniveau", "below management level") if value else "")
        elif key == "assessed_level":
            parts.append(t(f"niveau {value}", f"level {value}"))
        elif key == "meets_admission_rule":
            parts.append(t("voldoet aan de toelatingseis", "meets the admission rule") if value
                         else t("voldoet niet aan de toelatingseis", "does not meet the admission rule"))
        elif key == "reason_code":
            parts.append(label("withdrawal_reason", str(value)))
        elif key == "activity":
            parts.append(label("activity", str(value)))
        elif key == "adoption_level":
            parts.append(t("borging: ", "follow-up: ") + label("adoption", str(value)).lower())
        elif key == "kvk_number":
            parts.append(f"KvK {value}")
        elif key == "fields" and isinstance(value, list):
            parts.append(t("gewijzigd: ", "changed: ") + ", ".join(str(v) for v in value))
        else:  # the words every service's audit page uses (retention, exports, ...)
            parts.append(audit_pages.details_text({key: value}))
    return ", ".join(p for p in parts if p)
