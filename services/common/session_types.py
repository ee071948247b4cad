"""The session types' names, Dutch first and English second: one list for every service's calendar
feeds, links, pages and reports, so a session is called the same wherever a person meets it."""

from __future__ import annotations

NAMES: dict[str, tuple[str, str]] = {
    "kick_off": ("Aftrap", "Kick-off"),
    "dialogue": ("Dialoogsessie", "Dialogue session"),
    "intervision": ("Intervisiesessie", "Intervision session"),
    "workshop": ("Workshop", "Workshop"),
    "closing": ("Slotbijeenkomst", "Closing meeting"),
}
# A figure whose session type never arrived (reporting counts it under "onbekend").
UNKNOWN = ("Onbekend", "Unknown")
TYPE_NL = {code: nl for code, (nl, _) in NAMES.items()}
TYPE_EN = {code: en for code, (_, en) in NAMES.items()}
