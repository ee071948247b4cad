"""How hard the fuzzer tries: a bounded budget in CI, a longer one by a flag.

`PROGADMIN_FUZZ_PROFILE=ci` (the default) keeps the whole fuzz suite to a few
minutes on two cores; `PROGADMIN_FUZZ_PROFILE=long` is for a night run or
before a release.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    name: str
    max_examples: int  # generated cases per operation in the fuzzing phase
    stateful_examples: int  # state-machine runs per service
    stateful_steps: int  # calls per state-machine run


PROFILES = {
    "ci": Budget("ci", max_examples=3, stateful_examples=5, stateful_steps=5),
    "long": Budget("long", max_examples=200, stateful_examples=200, stateful_steps=20),
}


def budget() -> Budget:
    name = os.environ.get("PROGADMIN_FUZZ_PROFILE", "ci")
    if name not in PROFILES:
        raise ValueError(f"PROGADMIN_FUZZ_PROFILE must be one of {sorted(PROFILES)}, not {name!r}")
    return PROFILES[name]
