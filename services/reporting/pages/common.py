"""What the reporting pages share: the service, the signed-in person and Dutch-first labels."""

from __future__ import annotations

from flask import current_app

from services.common import session_types
from services.common.i18n import date_nl
from services.common.i18n import label as label  # the report pages take it from here
from services.common.signin import signed_in
from services.reporting.service import Reporting

TYPE_LABELS = {**session_types.NAMES, "onbekend": session_types.UNKNOWN}
FUNNEL_LABELS = {
    "interested": ("Aangemeld", "Registered"), "intake_held": ("Intakegesprek gehouden", "Intake held"),
    "admitted": ("Toegelaten", "Admitted"), "declined": ("Afgewezen", "Declined"),
    "started": ("Gestart", "Started"), "withdrawn": ("Gestopt", "Withdrawn"), "completed": ("Afgerond", "Completed"),
}
SESSION_STATUS = {"held": ("gehouden", "held"), "cancelled": ("geannuleerd", "cancelled"),
                  "planned": ("gepland", "planned"), "confirmed": ("bevestigd", "confirmed")}
REASONS = {"understaffing": ("Onderbezetting", "Understaffing"),
           "no_director_support": ("Geen steun van de directie", "No support from the director"),
           "other": ("Andere reden", "Other reason"), "unknown": ("Onbekend", "Unknown")}
ADOPTION = {"structural": ("Structureel", "Structural"), "occasional": ("Af en toe", "Occasionally"),
            "none": ("Niet", "Not"), "unknown": ("Niet vastgelegd", "Not recorded")}
FORMATS = {"regional_venue": ("Op locatie in de regio", "At a regional venue"), "online": ("Online", "Online"),
           "on_site": ("Op locatie bij een bedrijf", "On site at a company")}


def service() -> Reporting:
    found: Reporting = current_app.extensions["reporting"]
    return found


principal = signed_in


def month_label(month: str) -> str:
    """'2021-03' as 'mrt 2021' (or 'Mar 2021' in English)."""
    try:
        return date_nl(f"{month}-01", "MMM yyyy")
    except ValueError:
        return month
