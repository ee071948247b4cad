"""Choosing dead letters to replay: a letter is named by partition and offset, because offsets repeat
across the dead-letter topic's partitions; a selection that is ambiguous or names nothing replays nothing."""

from __future__ import annotations

import pytest

from services.common.dlq import DeadLetter, Unmatched, choose, main


def letter(partition: int, offset: int) -> DeadLetter:
    return DeadLetter(partition, offset, b"k", b"v", [("dlq.origin.topic", b"t")])


LETTERS = [letter(0, 3), letter(0, 4), letter(2, 3), letter(5, 9)]


def test_nothing_named_means_every_letter() -> None:
    assert choose(LETTERS, None, None) == LETTERS


def test_letters_are_named_by_partition_and_offset() -> None:
    chosen = choose(LETTERS, ["2:3", "0:4"], None)
    assert [(d.partition, d.offset) for d in chosen] == [(0, 4), (2, 3)]


def test_a_bare_offset_works_where_it_names_one_letter() -> None:
    assert [(d.partition, d.offset) for d in choose(LETTERS, None, [9])] == [(5, 9)]


def test_a_bare_offset_in_several_partitions_is_refused_with_the_names_to_use() -> None:
    with pytest.raises(Unmatched, match=r"--offset 3 names 2 dead letters \(0:3, 2:3\); use --letter P:O"):
        choose(LETTERS, None, [3])


@pytest.mark.parametrize("named, reason", [
    (["1:3"], "no such dead letter"),
    (["3"], "expected PARTITION:OFFSET"),
    (["a:b"], "expected PARTITION:OFFSET"),
])
def test_a_letter_that_is_not_there_is_refused(named: list[str], reason: str) -> None:
    with pytest.raises(Unmatched, match=reason):
        choose(LETTERS, named, None)


def test_the_command_refuses_and_republishes_nothing(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import services.common.dlq as dlq

    replayed: list[DeadLetter] = []
    monkeypatch.setattr(dlq, "read_dead_letters", lambda settings, topic: LETTERS)
    monkeypatch.setattr(dlq, "replay", lambda settings, letters: replayed.extend(letters) or len(letters))
    assert main(["replay", "enrolment", "--offset", "3"]) == 2
    assert replayed == []
    assert "replay refused, nothing republished" in capsys.readouterr().err
    assert main(["replay", "enrolment", "--letter", "2:3"]) == 0
    assert [(d.partition, d.offset) for d in replayed] == [(2, 3)]
