"""Operate a dead-letter topic: list what is parked there, replay it.

    python -m services.common.dlq list <service>            # enrolment, sessions, ...
    python -m services.common.dlq replay <service> [--offset N ...]

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.common.dlq")
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument("service", help="the producing service whose topic's DLQ to read")
    parser.add_argument("--offset", type=int, action="append", help="replay only these DLQ offsets")
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
    chosen = [d for d in letters if not args.offset or d.offset in args.offset]
    print(f"replayed {replay(settings, chosen)} dead letter(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
