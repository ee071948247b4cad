"""The enrolment state machine and the commitment gate (no I/O), with property-based tests."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.enrolment import domain
from services.enrolment.domain import AdmissionRule, GateClosed, IllegalTransition, IntakeOutcome

CHECKLIST = (*domain.STANDARD_COMMITMENTS, "safety_officer_joins")

rules = st.builds(AdmissionRule,
                  st.lists(st.sampled_from(CHECKLIST), unique=True).map(tuple),
                  st.integers(min_value=1, max_value=5))
outcomes = st.builds(IntakeOutcome,
                     st.fixed_dictionaries({item: st.booleans() for item in CHECKLIST}),
                     st.integers(min_value=1, max_value=5))
actions = st.one_of(
    st.tuples(st.sampled_from(["schedule", "reschedule", "admit", "decline", "withdraw", "delegate",
                               "change_delegates", "complete", "follow_up"])),
    st.tuples(st.just("hold"), outcomes),
)


@dataclass
class Enrolment:
    """An in-memory enrolment that applies actions the way the service does."""

    rule: AdmissionRule
    state: str = "interested"
    latest_held: IntakeOutcome | None = None
    history: list[tuple[str, str, str]] = field(default_factory=list)

    def apply(self, action: tuple[object, ...]) -> bool:
        """Apply one action; False when the rules refused it (state unchanged)."""
        kind, before = action[0], self.state
        try:
            if kind == "hold":
                assert isinstance(action[1], IntakeOutcome)
                self.state = domain.hold_intake(self.state)
                self.latest_held = action[1]
            elif kind == "admit":
                self.state = domain.admit(self.state, self.rule, self.latest_held)
            else:
                step = {"schedule": domain.schedule_intake, "reschedule": domain.reschedule_intake,
                        "decline": domain.decline, "withdraw": domain.withdraw, "delegate": domain.delegate,
                        "change_delegates": domain.change_delegates, "complete": domain.complete,
                        "follow_up": domain.record_follow_up}[str(kind)]
                self.state = step(self.state)
        except (IllegalTransition, GateClosed):
            assert self.state == before
            return False
        self.history.append((before, str(kind), self.state))
        return True


def satisfies(rule: AdmissionRule, outcome: IntakeOutcome | None) -> bool:
    """The gate, written independently of the domain's own function."""
    return (outcome is not None and outcome.assessed_level >= rule.min_assessed_level
            and all(outcome.commitments.get(item) is True for item in rule.required_commitments))


@settings(max_examples=400, deadline=None)
@given(rules, st.lists(actions, max_size=30))
def test_no_sequence_reaches_admitted_without_a_qualifying_held_interview(rule: AdmissionRule,
                                                                         steps: list[tuple[object, ...]]) -> None:
    enrolment = Enrolment(rule)
    for action in steps:
        before = enrolment.state
        enrolment.apply(action)
        if enrolment.state == "admitted" and before != "admitted":
            assert before == "intake_held"
            assert satisfies(rule, enrolment.latest_held)


@settings(max_examples=300, deadline=None)
@given(rules, st.lists(actions, max_size=20), st.lists(actions, min_size=1, max_size=20))
def test_withdrawn_and_completed_are_final(rule: AdmissionRule, before: list[tuple[object, ...]],
                                           after: list[tuple[object, ...]]) -> None:
    enrolment = Enrolment(rule)
    for action in before:
        enrolment.apply(action)
    if enrolment.state not in domain.FINAL_STATES:
        assert enrolment.apply(("withdraw",)), "withdrawn must be reachable from every non-final state"
    final = enrolment.state
    for action in after:
        assert not enrolment.apply(action)
        assert enrolment.state == final


@settings(max_examples=300, deadline=None)
@given(rules, st.lists(actions, max_size=30))
def test_every_change_of_state_is_an_edge_of_the_machine(rule: AdmissionRule,
                                                         steps: list[tuple[object, ...]]) -> None:
    enrolment = Enrolment(rule)
    for action in steps:
        enrolment.apply(action)
    for before, _, after in enrolment.history:
        assert after == before or after in domain.NEXT_STATES[before]


@given(rules, outcomes)
def test_the_gate_names_exactly_what_is_missing(rule: AdmissionRule, outcome: IntakeOutcome) -> None:
    missing = domain.missing_for_admission(rule, outcome)
    assert (missing == []) == satisfies(rule, outcome)
    for item in rule.required_commitments:
        assert (f"commitment {item}" in missing) == (not outcome.commitments[item])


def test_admission_without_a_held_interview_names_it() -> None:
    rule = AdmissionRule(domain.STANDARD_COMMITMENTS, 3)
    with pytest.raises(GateClosed) as refused:
        domain.admit("intake_held", rule, None)
    assert refused.value.missing == ["a held intake interview"]
    low = IntakeOutcome(dict.fromkeys(domain.STANDARD_COMMITMENTS, True) | {"staff_time_released": False}, 2)
    with pytest.raises(GateClosed) as refused:
        domain.admit("intake_held", rule, low)
    assert refused.value.missing == ["commitment staff_time_released", "assessed level at least 3 (was 2)"]


STEPS = {
    "schedule": (domain.schedule_intake, {"interested", "intake_held", "declined"}),
    "hold": (domain.hold_intake, {"intake_scheduled"}),
    "decline": (domain.decline, {"intake_held"}),
    "withdraw": (domain.withdraw, set(domain.STATES) - domain.FINAL_STATES),
    "complete": (domain.complete, {"active"}),
    "delegate": (domain.delegate, {"admitted", "active"}),
    "reschedule": (domain.reschedule_intake, {"intake_scheduled"}),
    "follow_up": (domain.record_follow_up, {"active", "completed"}),
}


@pytest.mark.parametrize("state", domain.STATES)
@pytest.mark.parametrize("step", sorted(STEPS))
def test_each_step_is_allowed_exactly_in_its_states_and_refusals_name_the_way_out(state: str, step: str) -> None:
    function, allowed_in = STEPS[step]
    if state in allowed_in:
        function(state)
        return
    with pytest.raises(IllegalTransition) as refused:
        function(state)
    assert refused.value.current == state
    if step in ("schedule", "hold", "decline", "withdraw", "complete"):
        assert refused.value.allowed == list(domain.NEXT_STATES[state])


def test_first_delegate_activates_and_job_levels_below_manager_are_flagged() -> None:
    assert domain.delegate("admitted") == "active" and domain.delegate("active") == "active"
    assert [lvl for lvl in domain.JOB_LEVELS if domain.below_management(lvl)] == [
        "supervisor", "foreman", "employee", "other"]


def test_programme_lifecycle() -> None:
    assert domain.open_programme("draft") == "open" and domain.close_programme("open") == "closed"
    for function, state in ((domain.open_programme, "open"), (domain.close_programme, "draft"),
                            (domain.update_programme, "closed")):
        with pytest.raises(IllegalTransition):
            function(state)


@pytest.mark.parametrize(("kvk", "ok"), [("12345678", True), ("1234567", False), ("123456789", False),
                                         ("1234567a", False), ("１２３４５６７８", False)])
def test_kvk_numbers_are_eight_ascii_digits(kvk: str, ok: bool) -> None:
    assert (domain.kvk_number_problem(kvk) is None) == ok


def test_the_model_admits_after_a_qualifying_interview_and_re_interviews_after_a_decline() -> None:
    """Guards the properties above against vacuity: admission is reachable."""
    rule = AdmissionRule(domain.STANDARD_COMMITMENTS, 3)
    weak = IntakeOutcome(dict.fromkeys(domain.STANDARD_COMMITMENTS, False), 1)
    strong = IntakeOutcome(dict.fromkeys(domain.STANDARD_COMMITMENTS, True), 4)
    enrolment = Enrolment(rule)
    steps = [("schedule",), ("hold", weak), ("admit",), ("decline",), ("schedule",), ("hold", strong), ("admit",),
             ("delegate",), ("complete",)]
    assert [enrolment.apply(s) for s in steps] == [True, True, False, True, True, True, True, True, True]
    assert enrolment.state == "completed"
