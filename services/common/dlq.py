"""Operate a dead-letter topic: list what is parked there, replay it.

    python -m services.common.dlq list <service>            # enrolment, sessions, ...
    python -m services.common.dlq replay <service> [--letter P:O ...]     # as `list` prints them

A dead letter is named by partition and offset (`P:O`): offsets repeat
across the dead-letter topic's partitions, so an offset alone may name
several letters. `--offset N` still works where it names exactly one; where
it names several, or a named letter is not there, replay refuses and
republishes nothing.

Replay republishes the original record (key, value, original headers) onto
the topic it came from. That is safe: every consumer dedupes on the event
id, so a consumer that had already applied the event skips it, and one that
had failed applies it now (after the bug that parked it was fixed).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from kafka import TopicPartition

from services.common import broker
from services.common.config import Settings


@dataclass
class DeadLetter:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]

    def header(self, name: str) -> str:
        return next((v.decode(errors="replace") for k, v in self.headers if k == name), "")


def read_dead_letters(settings: Settings, dlq_topic: str, timeout_s: float = 5) -> list[DeadLetter]:
    consumer = broker.reader(settings)
    try:
        partitions = consumer.partitions_for_topic(dlq_topic) or set()
        tps = [TopicPartition(dlq_topic, p) for p in sorted(partitions)]
        if not tps:
            return []
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        letters: list[DeadLetter] = []
        while any(consumer.position(tp) < end[tp] for tp in tps):
            batches = consumer.poll(timeout_ms=int(timeout_s * 1000))
            if not batches:
                break
            for records in batches.values():
                letters += [DeadLetter(r.partition, r.offset, r.key, r.value, list(r.headers or []))
                            for r in records]
        return sorted(letters, key=lambda d: (d.partition, d.offset))
    finally:
        consumer.close()


def replay(settings: Settings, letters: list[DeadLetter]) -> int:
    """Republish dead letters onto their origin topics; return how many."""
    producer = broker.producer(settings)
    try:
        for letter in letters:
            origin = letter.header("dlq.origin.topic")
            headers = [(k, v) for k, v in letter.headers if not k.startswith("dlq.")]
            headers.append(("dlq.replayed-from", f"{letter.partition}:{letter.offset}".encode()))
            producer.send(origin, key=letter.key, value=letter.value, headers=headers).get(timeout=30)
    finally:
        producer.close()
    return len(letters)


class Unmatched(ValueError):
    """A selection that names no letter, or more than one where one was meant."""


def choose(letters: list[DeadLetter], named: list[str] | None, offsets: list[int] | None) -> list[DeadLetter]:
    """The letters selected by `P:O` names and bare offsets; all of them when nothing is named.

    Raises Unmatched (and so nothing is replayed) when a name matches no letter or an offset matches
    letters in more than one partition.
    """
    if not named and not offsets:
        return letters
    by_name = {(d.partition, d.offset): d for d in letters}
    chosen: dict[tuple[int, int], DeadLetter] = {}
    for name in named or []:
        partition, sep, offset = name.partition(":")
        if not sep or not partition.isdigit() or not offset.isdigit():
            raise Unmatched(f"--letter {name}: expected PARTITION:OFFSET, as `list` prints it")
        key = (int(partition), int(offset))
        if key not in by_name:
            raise Unmatched(f"--letter {name}: no such dead letter")
        chosen[key] = by_name[key]
    for bare in offsets or []:
        matches = [d for d in letters if d.offset == bare]
        if not matches:
            raise Unmatched(f"--offset {bare}: no such dead letter")
        if len(matches) > 1:
            names = ", ".join(f"{d.partition}:{d.offset}" for d in matches)
            raise Unmatched(f"--offset {bare} names {len(matches)} dead letters ({names}); use --letter P:O")
        chosen[(matches[0].partition, bare)] = matches[0]
    return [chosen[key] for key in sorted(chosen)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.common.dlq")
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument("service", help="the producing service whose topic's DLQ to read")
    parser.add_argument("--letter", action="append", metavar="P:O",
                        help="replay only this dead letter (partition:offset, as `list` prints it)")
    parser.add_argument("--offset", type=int, action="append",
                        help="replay only the dead letter at this offset (refused if several partitions have one)")
    args = parser.parse_args(argv)
    settings = Settings.from_env(args.service)
    letters = read_dead_letters(settings, settings.dlq_topic(settings.topic(args.service)))
    if args.command == "list":
        for d in letters:
            print(f"{d.partition}:{d.offset}\tconsumer={d.header('dlq.consumer')}\tattempts={d.header('dlq.attempts')}"
                  f"\torigin={d.header('dlq.origin.topic')}[{d.header('dlq.origin.partition')}]"
                  f"@{d.header('dlq.origin.offset')}\t{d.header('dlq.error')}")
        print(f"{len(letters)} dead letter(s)")
        return 0
    try:
        chosen = choose(letters, args.letter, args.offset)
    except Unmatched as exc:
        print(f"replay refused, nothing republished: {exc}", file=sys.stderr)
        return 2
    print(f"replayed {replay(settings, chosen)} dead letter(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
