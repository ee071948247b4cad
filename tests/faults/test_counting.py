"""The fault suite's counting can fail: a missing, a doubled and a redelivered mail, a doubled public record, a
company's records out of order in the external log."""

from __future__ import annotations

from bench.faults import check
from bench.faults.programme import Sent


def cohort() -> Sent:
    sent = Sent(phase="0", run="r", programme_id="p", company_ids=["c"], directors=["d@x"],
                delegates={"a": "a@x", "b": "b@x"}, company_of={"a": "c", "b": "c"}, session_id="s",
                facilitator="f@x", registrations={"a": "ra", "b": "rb"}, attendance={"a": "no_show", "b": "attended"},
                evaluations={"b": 8}, held=True)
    return sent


def mails_of(sent: Sent) -> list[tuple[str, str, str]]:
    return [(kind, address, f"<{n}@x>") for n, (kind, address) in enumerate(sent.mails().elements())]


def test_every_mail_once_counts_clean() -> None:
    sent, tally = cohort(), check.Tally()
    check.check_mails(mails_of(sent), sent, "@x", tally)
    assert (tally.lost, tally.doubled, tally.redelivered, tally.counted) == (0, 0, 0, 7)


def test_a_missing_a_doubled_and_a_redelivered_mail_are_told_apart() -> None:
    sent, tally = cohort(), check.Tally()
    mails = mails_of(sent)
    missing = mails.pop(0)
    mails += [("evaluation_request", "b@x", "<other>"), mails[0]]  # a second logical mail; the same mail again
    check.check_mails(mails, sent, "@x", tally)
    assert (tally.lost, tally.doubled, tally.redelivered) == (1, 1, 1), tally.problems
    assert any(missing[0] in p for p in tally.problems)


def test_a_public_record_twice_or_missing_counts() -> None:
    sent = cohort()
    feed = [{"id": f"{name}-{n}", "type": f"progadmin.reporting.{name}.v1", "data": {"programme_id": "p"}}
            for name, count in check.public_expectations(sent).items() for n in range(count)]
    tally = check.Tally()
    check.check_feed(feed, sent, tally)
    assert (tally.lost, tally.doubled) == (0, 0), tally.problems
    tally = check.Tally()
    check.check_feed([*feed[1:], feed[-1]], sent, tally)
    assert (tally.lost, tally.doubled) == (1, 1), tally.problems


def test_a_company_record_before_an_earlier_one_counts_as_reordered() -> None:
    sent = cohort()

    def record(name: str, enrolment: str) -> dict[str, object]:
        return {"id": f"{name}-{enrolment}", "type": f"progadmin.reporting.{name}.v1",
                "data": {"programme_id": "p", "enrolment_id": enrolment}}
    in_order = [record(n, e) for e in ("e1", "e2") for n in (
        "PublicCompanyShowedInterest", "PublicIntakeHeld", "PublicCompanyAdmitted", "PublicParticipantDelegated",
        "PublicCompanyActivated", "PublicParticipantDelegated")]
    tally = check.Tally()
    check.check_order(in_order, sent, tally)
    assert tally.reordered == 0, tally.problems
    swapped = [in_order[1], in_order[0], *in_order[2:]]  # e1's intake before its interest
    check.check_order(swapped, sent, tally)
    assert tally.reordered == 1, tally.problems
