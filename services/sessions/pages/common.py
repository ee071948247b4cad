"""What every sessions page shares: the blueprint, labels in Dutch and English, and field errors.

Views stay thin: they parse a form, call the same use cases as the API
(`services.sessions.service.Sessions`) after the access checks of `services.sessions.access`, and
redirect, or show the form again with the errors at their fields.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from flask import Blueprint, current_app
from werkzeug.exceptions import HTTPException

from services.common.i18n import label, t
from services.common.pages import PAGE_SIZE as PAGE_SIZE  # the sessions pages take these from here
from services.common.pages import page_number as page_number
from services.common.pages import pages_of as pages_of
from services.common.problems import Problem
from services.common.signin import signed_in
from services.sessions import domain

# The API's role sets: who may use which page is the same as who may call the API behind it.
from services.sessions.api import ANYONE_ON_SESSIONS, STAFF
from services.sessions.service import Sessions
from services.sessions.settings import SessionsSettings

bp = Blueprint("session_pages", __name__)
__all__ = ["ANYONE_ON_SESSIONS", "STAFF", "bp"]

TYPES = {"dialogue": ("Dialoogsessie", "Dialogue session"), "intervision": ("Intervisie", "Intervision"),
         "workshop": ("Workshop", "Workshop"), "kick_off": ("Aftrap", "Kick-off"),
         "closing": ("Slotbijeenkomst", "Closing meeting")}
FORMATS = {"on_site": ("Op locatie bij een bedrijf", "On site at a company"),
           "regional_venue": ("Regionale locatie", "Regional venue"), "online": ("Online (Teams)", "Online (Teams)")}
STATUSES = {"planned": ("Gepland", "Planned", "neutral"), "confirmed": ("Bevestigd", "Confirmed", "success"),
            "held": ("Gehouden", "Held", "inactive"), "cancelled": ("Geannuleerd", "Cancelled", "danger")}
REG_STATUSES = {"registered": ("Aangemeld", "Registered", "success"),
                "waitlisted": ("Wachtlijst", "Waiting list", "warning"),
                "cancelled": ("Afgezegd", "Cancelled", "inactive")}
# "excused" is the domain's word for the source reports' "laat afgemeld" (cancelled late).
ATTENDANCE = {"attended": ("Aanwezig", "Attended"), "no_show": ("Niet verschenen", "No-show"),
              "excused": ("Laat afgemeld", "Cancelled late")}
DECISIONS = {"go": ("Doorgaan", "Go ahead"), "merge": ("Samengevoegd", "Merged"),
             "cancel": ("Niet doorgaan", "Cancelled")}
WORKING_METHODS = ("Incidentmethode", "Liefdevol roddelen", "Keukentafelgesprek")
JOB_LEVELS = {"director": ("Directie", "Director"), "manager": ("Leidinggevende", "Manager"),
              "supervisor": ("Uitvoerder", "Supervisor"), "foreman": ("Voorman", "Foreman"),
              "employee": ("Medewerker", "Employee")}


def service() -> Sessions:
    return cast(Sessions, current_app.extensions["sessions"])


def settings() -> SessionsSettings:
    return cast(SessionsSettings, current_app.config["SETTINGS"])


me = signed_in


def short_id(value: Any) -> str:
    """A readable reference to a pseudonymous id (for erased people and for companies)."""
    return str(value)[:8]


def person_name(delegates: dict[Any, dict[str, Any]], person_id: Any) -> str:
    """The delegate's name as enrolment sent it; after an erasure only a short reference is left."""
    delegate = delegates.get(person_id) or {}
    return str(delegate.get("name") or f"{t('deelnemer', 'participant')} {short_id(person_id)}")


def _kind(table: dict[str, tuple[str, str, str]], key: str) -> str:
    return table[key][2] if key in table else "neutral"


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"type_label": lambda k: label(TYPES, k), "format_label": lambda k: label(FORMATS, k),
            "status_label": lambda k: label(STATUSES, k), "status_kind": lambda k: _kind(STATUSES, k),
            "reg_label": lambda k: label(REG_STATUSES, k), "reg_kind": lambda k: _kind(REG_STATUSES, k),
            "attendance_label": lambda k: label(ATTENDANCE, k),
            "decision_label": lambda k: label(DECISIONS, k), "job_label": lambda k: label(JOB_LEVELS, k),
            "short_id": short_id, "person_name": person_name, "local": domain.local, "ends_at": domain.ends_at}


def hours(minutes: int) -> str:
    """150 -> '2,5 uur' / '2.5 hours'."""
    value = minutes / 60
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return t(f"{text.replace('.', ',')} uur", f"{text} hours")


def local_start(date_text: str, time_text: str) -> tuple[datetime | None, dict[str, str]]:
    """A form's date and time (Europe/Amsterdam wall clock) as an aware time, or the fields' errors."""
    errors: dict[str, str] = {}
    day: date | None = None
    moment: time | None = None
    if not date_text:
        errors["starts_on"] = t("Kies een datum.", "Choose a date.")
    else:
        try:
            day = date.fromisoformat(date_text)
        except ValueError:
            errors["starts_on"] = t("Vul een datum in als dd-mm-jjjj.", "Enter a date as dd-mm-yyyy.")
    if not time_text:
        errors["start_time"] = t("Kies een begintijd.", "Choose a start time.")
    else:
        try:
            moment = time.fromisoformat(time_text)
        except ValueError:
            errors["start_time"] = t("Vul een tijd in als uu:mm, bijvoorbeeld 14:30.",
                                     "Enter a time as hh:mm, for example 14:30.")
    if day is None or moment is None:
        return None, errors
    naive = datetime.combine(day, moment)
    try:
        utc = domain.to_utc(naive)
    except ValueError:
        return None, {"start_time": t("Deze tijd bestaat niet of komt twee keer voor door de zomertijd; "
                                      "kies een ander tijdstip.", "This time does not exist or occurs twice because "
                                      "of daylight saving time; choose another time.")}
    return domain.local(utc), {}


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


# -- field errors: the schemas' and the rules' messages, Dutch first ------------------------------

FIELD_OF = {"starts_at": "starts_on", "ends_at": "duration_minutes", "records": "attendance"}
_NUMBERS = re.compile(r"\d+")


def _dutch(field: str, english: str) -> str:
    """A Dutch text for a known message; the English original when none fits."""
    numbers = _NUMBERS.findall(english)
    missing = "Missing data" in english or "may not be null" in english
    fixed: dict[str, str] = {
        "programme_id": "Kies een programma." if missing else "Dit programma is (nog) niet bekend bij sessies.",
        "type": "Kies een soort sessie.",
        "region": ("Kies een regio." if missing else "Het programma loopt niet in deze regio."),
        "format": "Kies een vorm: op locatie, regionale locatie of online.",
        "venue_address": "Vul het adres in van de locatie.",
        "online_url": ("Vul de link naar de online vergadering in." if "needs" in english or missing
                       else "Vul een geldige link in die begint met https://."),
        "capacity_min": ("Het minimum mag niet groter zijn dan het maximum." if "greater" in english
                         else "Vul een heel getal van 0 tot 1000 in."),
        "capacity_max": (f"Er zijn al {numbers[0]} mensen aangemeld; zeg eerst aanmeldingen af."
                         if "registered" in english and numbers else "Vul een heel getal van 1 tot 1000 in."),
        "facilitator_ids": ("Een begeleider staat er twee keer in." if "twice" in english else
                            f"Een online sessie heeft minstens {numbers[0]} begeleiders nodig." if
                            "online" in english and numbers else
                            "Deze begeleider heeft op dat moment al een andere sessie." if "overlap" in english
                            else "Geef maximaal 10 begeleiders op."),
        "starts_on": ("Kies een moment in de toekomst." if "future" in english else "Kies een datum."),
        "duration_minutes": (f"De duur moet tussen {numbers[0]} en {numbers[1]} minuten liggen "
                             f"({int(numbers[0]) / 60:g} tot {int(numbers[1]) / 60:g} uur)".replace(".", ",") + "."
                             if "between" in english and len(numbers) >= 2 else
                             "De sessie moet eindigen na het begin." if "end after" in english
                             else "Vul de duur in minuten in."),
        "working_method": "Gebruik hooguit 200 tekens.",
        "sequence_number": "Vul een volgnummer van 1 tot 1000 in.",
        # One schema message covers an empty and an over-long reason ("between 1 and 1000"): say both.
        "reason": "Vul een reden in van hooguit 1000 tekens: de deelnemers krijgen die te lezen.",
        # A series (pages/series.py): a date-specific reason keeps its date (dd-mm-yyyy) in front.
        "start_date": (f"{english.split(':')[0]}: die dag ligt niet in de toekomst; kies een latere eerste datum."
                       if "future" in english else "Vul een datum in als dd-mm-jjjj."),
        "start_time": ("Deze tijd bestaat niet of komt twee keer voor door de zomertijd; kies een ander tijdstip."
                       if "daylight" in english else "Vul een tijd in als uu:mm, bijvoorbeeld 14:00."),
        "end_time": ("De eindtijd moet na de begintijd liggen, op dezelfde dag." if "after" in english else
                     f"De duur moet tussen {numbers[0]} en {numbers[1]} minuten liggen." if "between" in english
                     and len(numbers) >= 2 else "Vul een tijd in als uu:mm, bijvoorbeeld 16:30."),
        "interval_weeks": "Kies hoe vaak: elke 1 tot 52 weken.",
        "count": "Vul een aantal van 2 tot 52 keer in.",
        "scope": "Deze sessie hoort niet bij een reeks; kies 'alleen deze sessie'.",
        "decision": "Kies een besluit: doorgaan, samenvoegen of niet doorgaan.",
        "merge_into_session_id": ("Kies de sessie om mee samen te voegen." if "give" in english or missing else
                                  "Samenvoegen kan alleen met een sessie van hetzelfde programma en dezelfde soort "
                                  "die nog niet begonnen is."),
        "score": "Kies een cijfer van 1 tot en met 10.",
        "comment": "Gebruik hooguit 2000 tekens.",
    }
    return t(fixed.get(field, english), english)


def field_errors(problems: Any) -> dict[str, str]:
    """marshmallow's messages or a use case's invalid_params as {form field: message}."""
    pairs: list[tuple[str, str]] = []
    if isinstance(problems, dict):
        for name, value in problems.items():
            messages = value if isinstance(value, list) else [value]
            text = "; ".join(str(m) for m in messages if isinstance(m, str)) or str(value)
            pairs.append((str(name), text))
    else:
        pairs = [(str(p.get("name", "")), str(p.get("reason", ""))) for p in problems or []]
    errors: dict[str, str] = {}
    for name, english in pairs:
        top = name.split(".")[0]
        field = FIELD_OF.get(top, top)
        errors.setdefault(field, _dutch(field, english))
    return errors


def problem_errors(error: HTTPException) -> dict[str, str] | None:
    """Field errors carried by a use case's 422 or 409 (e.g. a facilitator's clash), else None."""
    params = error.extra.get("invalid_params") if isinstance(error, Problem) else None
    return field_errors(params) if params else None


def conflict_text(error: HTTPException) -> str:
    """A refusal (409) to show as a flash message: Dutch summary first, the rule's own words after."""
    return t("Dit kan nu niet: ", "Not possible now: ") + str(error.description or "")
