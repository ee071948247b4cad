"""Enrolment rules, free of I/O: the enrolment state machine, the commitment gate,
programme lifecycle and delegation rules.

The service layer loads rows, asks these functions what the next state is,
and stores it; every refusal is an exception that names the current state and
the allowed next states (or what is missing for admission).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from services.common import adoption

LANGUAGES = ("nl", "en")
COMPANY_SIZES = ("micro", "small", "medium", "large")
INTERVIEWEE_ROLES = ("director", "director_owner")
JOB_LEVELS = ("manager", "supervisor", "foreman", "employee", "other")
# The final report: impact was largest where companies sent managers ("het kader").
MANAGEMENT_LEVELS = frozenset({"manager"})
WITHDRAWAL_REASONS = ("understaffing", "no_director_support", "other")
FOLLOW_UP_ACTIVITIES = ("whiteboard_meetings", "own_intervision", "internal_dialogues", "rollout_all_managers",
                        "other")
ADOPTION_LEVELS = adoption.LEVELS

# The checklist every intake interview covers (lesson D/E of the final report).
STANDARD_COMMITMENTS = ("director_attends_kickoff_and_closing", "staff_time_released", "managers_delegated",
                        "internal_follow_up_owner")

# -- enrolment state machine ---------------------------------------------------
STATES = ("interested", "intake_scheduled", "intake_held", "admitted", "declined", "active", "completed",
          "withdrawn")
FINAL_STATES = frozenset({"completed", "withdrawn"})
NEXT_STATES: Mapping[str, tuple[str, ...]] = {
    "interested": ("intake_scheduled", "withdrawn"),
    "intake_scheduled": ("intake_held", "withdrawn"),
    # A held interview may be redone (re-scheduled) before a decision.
    "intake_held": ("admitted", "declined", "intake_scheduled", "withdrawn"),
    # Re-interview after a decline is allowed.
    "declined": ("intake_scheduled", "withdrawn"),
    "admitted": ("active", "withdrawn"),
    "active": ("completed", "withdrawn"),
    "completed": (),
    "withdrawn": (),
}


class IllegalTransition(Exception):
    """The current state does not allow this step.

    `allowed` lists the allowed next states of the machine; `allowed_in`,
    for steps that are not a change of state (delegating, follow-up), the
    states in which the step is possible.
    """

    def __init__(self, current: str, action: str, allowed: tuple[str, ...] | None = None,
                 allowed_in: tuple[str, ...] | None = None) -> None:
        self.current = current
        self.action = action
        self.allowed = list(allowed if allowed is not None else NEXT_STATES[current])
        self.allowed_in = list(allowed_in) if allowed_in is not None else None
        super().__init__(f"cannot {action} in state {current}")


class GateClosed(Exception):
    """Admission refused: the held interview does not satisfy the programme's rule."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__("admission requires: " + "; ".join(missing))


def allowed_next(state: str) -> list[str]:
    return list(NEXT_STATES[state])


def transition(state: str, target: str, action: str) -> str:
    """Return `target` when the machine allows state -> target, else raise IllegalTransition."""
    if target not in NEXT_STATES[state]:
        raise IllegalTransition(state, action)
    return target


@dataclass(frozen=True)
class AdmissionRule:
    """What a programme requires of a held intake before admission."""

    required_commitments: tuple[str, ...]
    min_assessed_level: int


@dataclass(frozen=True)
class IntakeOutcome:
    commitments: Mapping[str, bool]
    assessed_level: int


def missing_for_admission(rule: AdmissionRule, outcome: IntakeOutcome | None) -> list[str]:
    """Everything that keeps `outcome` from passing the gate; empty when it passes."""
    if outcome is None:
        return ["a held intake interview"]
    missing = [f"commitment {item}" for item in rule.required_commitments if not outcome.commitments.get(item)]
    if outcome.assessed_level < rule.min_assessed_level:
        missing.append(f"assessed level at least {rule.min_assessed_level} (was {outcome.assessed_level})")
    return missing


def schedule_intake(state: str) -> str:
    return transition(state, "intake_scheduled", "schedule an intake")


def reschedule_intake(state: str) -> str:
    if state != "intake_scheduled":
        raise IllegalTransition(state, "reschedule the intake", allowed_in=("intake_scheduled",))
    return state


def hold_intake(state: str) -> str:
    return transition(state, "intake_held", "record an intake outcome")


def admit(state: str, rule: AdmissionRule, latest_held: IntakeOutcome | None) -> str:
    """The gate: admitted only from a held intake that satisfies the programme's rule."""
    target = transition(state, "admitted", "admit")
    missing = missing_for_admission(rule, latest_held)
    if missing:
        raise GateClosed(missing)
    return target


def decline(state: str) -> str:
    return transition(state, "declined", "decline")


def withdraw(state: str) -> str:
    return transition(state, "withdrawn", "withdraw")


def complete(state: str) -> str:
    return transition(state, "completed", "complete")


def delegate(state: str) -> str:
    """Delegating needs an admitted company; the first delegate makes it active."""
    if state == "admitted":
        return "active"
    if state == "active":
        return state
    raise IllegalTransition(state, "delegate participants", allowed_in=("admitted", "active"))


def change_delegates(state: str) -> str:
    """Removing or replacing a delegate: only while the company takes part."""
    if state not in ("admitted", "active"):
        raise IllegalTransition(state, "change the delegates", allowed_in=("admitted", "active"))
    return state


def record_follow_up(state: str) -> str:
    """Follow-up ("borging") is what a participating company did after the sessions."""
    if state not in ("active", "completed"):
        raise IllegalTransition(state, "record follow-up", allowed_in=("active", "completed"))
    return state


def adoption_level(follow_ups: Iterable[Mapping[str, object]]) -> str | None:
    """The enrolment's adoption level from its follow-ups in recording order: the latest one's (one rule with
    reporting, `services.common.adoption`), not the highest ever recorded."""
    return adoption.latest_level(follow_ups)


def below_management(job_level: str) -> bool:
    return job_level not in MANAGEMENT_LEVELS


# -- programme lifecycle ------------------------------------------------------
PROGRAMME_NEXT: Mapping[str, tuple[str, ...]] = {"draft": ("open",), "open": ("closed",), "closed": ()}


def open_programme(status: str) -> str:
    if status != "draft":
        raise IllegalTransition(status, "open the programme", PROGRAMME_NEXT[status])
    return "open"


def close_programme(status: str) -> str:
    if status != "open":
        raise IllegalTransition(status, "close the programme", PROGRAMME_NEXT[status])
    return "closed"


def update_programme(status: str) -> str:
    if status == "closed":
        raise IllegalTransition(status, "change the programme", PROGRAMME_NEXT[status])
    return status


def kvk_number_problem(kvk: str) -> str | None:
    """A KvK number is exactly 8 digits; return why not, or None when valid."""
    if len(kvk) != 8 or not kvk.isascii() or not kvk.isdigit():
        return "must be exactly 8 digits"
    return None
