"""Rows -> the shapes the API returns, and the API's programme shape -> columns."""

from __future__ import annotations

from typing import Any

from services.enrolment import domain

Row = dict[str, Any]


def person_view(p: Row) -> Row:
    return {"person_id": p["id"], "name": p["name"], "email": p["email"], "phone": p["phone"],
            "language": p["language"], "erased": p["erased_on"] is not None}


def programme_view(p: Row) -> Row:
    return {**p, "allowed_next": list(domain.PROGRAMME_NEXT[p["status"]]),
            "admission_rule": {"required_commitments": list(p["required_commitments"]),
                               "min_assessed_level": p["min_assessed_level"]}}


def enrolment_view(e: Row) -> Row:
    withdrawal = None
    if e["withdrawn_on"] is not None:
        withdrawal = {"reason_code": e["withdrawal_reason"], "reason_text": e["withdrawal_text"],
                      "withdrawn_on": e["withdrawn_on"]}
    return {**e, "allowed_next": domain.allowed_next(e["state"]), "withdrawal": withdrawal}


def rule_of(programme: Row) -> domain.AdmissionRule:
    return domain.AdmissionRule(tuple(programme["required_commitments"]), programme["min_assessed_level"])


def outcome_of(intake: Row | None) -> domain.IntakeOutcome | None:
    if intake is None:
        return None
    return domain.IntakeOutcome(intake["commitments"] or {}, intake["assessed_level"])


def intake_view(intake: Row, programme: Row) -> Row:
    missing = (domain.missing_for_admission(rule_of(programme), outcome_of(intake))
               if intake["status"] == "held" else ["a held intake interview"])
    return {**intake, "missing_for_admission": missing}


def delegate_view(d: Row, warnings: list[str] | None = None) -> Row:
    return {**d, "warnings": warnings or []}


def below_management_warning(job_level: str) -> str:
    return (f"Afgevaardigd onder managementniveau ({job_level}): de impact is het grootst als het bedrijf "
            f"leidinggevenden afvaardigt. / Delegated below management level ({job_level}): impact is largest "
            "when a company delegates managers.")


_PROGRAMME_COLUMNS = ("name", "fund", "theme", "period_start", "period_end", "regions", "planned_sessions",
                      "extra_commitments", "max_delegates_per_company", "session_rules", "teaser_question",
                      "reminder_hours_before", "follow_up_info")


def programme_columns(data: Row) -> Row:
    """HTTP shape -> columns (the admission rule is stored flat)."""
    columns = {k: data[k] for k in _PROGRAMME_COLUMNS if k in data}
    rule = data.get("admission_rule")
    if rule is not None:
        columns.update({k: rule[k] for k in ("required_commitments", "min_assessed_level") if k in rule})
    return columns
