"""Enrolment rules, free of I/O."""

from __future__ import annotations

REGIONS = ("Noord", "Midden", "Zuid")


def kvk_number_problem(kvk: str) -> str | None:
    """A KvK number is exactly 8 digits; return why not, or None when valid."""
    if len(kvk) != 8 or not kvk.isascii() or not kvk.isdigit():
        return "must be exactly 8 digits"
    return None
