"""Forms -> the API's own schemas, and their errors -> messages at the fields, Dutch first.

A form posts flat fields (`address_postal_code`, `directors_0_email`); a view
builds the nested body the API takes and loads it with the same marshmallow
schema (after the same input policy). Every error lands on the form field
whose name matches the error's path (`directors.0.email` -> `directors_0_email`,
or the nearest shorter one), in the page's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time
from typing import Any

from flask import request
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import HTTPException

from services.common import inputs
from services.common.i18n import TIMEZONE, t
from services.common.pages import PAGE_SIZE, page_number
from services.common.problems import flatten_messages
from services.enrolment.pages.labels import label, missing_text

Errors = dict[str, str]
Body = dict[str, Any]
GENERAL = "form"  # errors that belong to no single field: shown at the top

# English reasons (marshmallow's, the API's) -> the page's words.
_EXACT: dict[str, tuple[str, str]] = {
    "Missing data for required field.": ("Vul dit veld in.", "Fill in this field."),
    "Field may not be null.": ("Vul dit veld in.", "Fill in this field."),
    "Not a valid email address.": ("Vul een geldig e-mailadres in, zoals naam@bedrijf.nl.",
                                   "Enter a valid e-mail address, like name@company.nl."),
    "Not a valid date.": ("Vul een geldige datum in.", "Enter a valid date."),
    "Not a valid datetime.": ("Vul een geldige datum en tijd in.", "Enter a valid date and time."),
    "Not a valid integer.": ("Vul een heel getal in.", "Enter a whole number."),
    "Not a valid boolean.": ("Kies ja of nee.", "Choose yes or no."),
    "Not a valid UUID.": ("Kies een van de mogelijkheden.", "Choose one of the options."),
    "must be a JSON integer": ("Vul een heel getal in.", "Enter a whole number."),
    "must be a whole number": ("Vul een heel getal in.", "Enter a whole number."),
    "must be exactly 8 digits": ("Een KvK-nummer heeft precies 8 cijfers, bijvoorbeeld 12345678.",
                                 "A KvK number has exactly 8 digits, for example 12345678."),
    "must be a Dutch postal code like 1234 AB": ("Vul een postcode in zoals 1234 AB.",
                                                 "Enter a postal code like 1234 AB."),
    "must be a phone number": ("Vul een telefoonnummer in, zoals 050 123 4567.",
                               "Enter a phone number, like 050 123 4567."),
    "must not contain control characters (one line of text)": ("Gebruik één regel tekst.", "Use one line of text."),
    "must not be before period_start": ("De einddatum ligt niet voor de begindatum.",
                                        "The end date is not before the start date."),
    "must not be below min_duration_minutes": ("Het maximum is niet kleiner dan het minimum.",
                                               "The maximum is not below the minimum."),
    "must be snake_case letters, digits and _": ("Gebruik kleine letters, cijfers en _, zoals veiligheidsladder.",
                                                 "Use lower-case letters, digits and _, like safety_ladder."),
    "regions must be unique": ("Noem elke regio één keer.", "Name each region once."),
    "required when reason_code is other": ("Licht de reden toe als u 'Andere reden' kiest.",
                                           "Explain the reason when you choose 'Other reason'."),
    "already registered": ("Er is al een bedrijf met dit KvK-nummer aangemeld.",
                           "A company with this KvK number is already registered."),
    "already delegated": ("Deze persoon is al afgevaardigd (zelfde e-mailadres).",
                          "This person is already delegated (same e-mail address)."),
    "not a current delegate of this enrolment": ("Kies een huidige deelnemer.", "Choose a current participant."),
    "must not contain the NUL character": ("Deze tekst bevat een teken dat niet kan.",
                                           "This text holds a character that is not allowed."),
}
_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], tuple[str, str]]]] = [
    (re.compile(r"Longer than maximum length (\d+)\."),
     lambda m: (f"Gebruik hoogstens {m[1]} tekens.", f"Use at most {m[1]} characters.")),
    (re.compile(r"Shorter than minimum length 1\."), lambda m: ("Vul dit veld in.", "Fill in this field.")),
    (re.compile(r"Length must be between 1 and (\d+)\."),
     lambda m: (f"Vul dit veld in (hoogstens {m[1]} tekens).", f"Fill in this field (at most {m[1]} characters).")),
    (re.compile(r"Must be greater than or equal to (-?\d+) and less than or equal to (-?\d+)\."),
     lambda m: (f"Vul een getal van {m[1]} tot en met {m[2]} in.", f"Enter a number from {m[1]} to {m[2]}.")),
    (re.compile(r"must be between (-?\d+) and (-?\d+)"),
     lambda m: (f"Vul een getal van {m[1]} tot en met {m[2]} in.", f"Enter a number from {m[1]} to {m[2]}.")),
    (re.compile(r"Must be one of: .*"), lambda m: ("Kies een van de mogelijkheden.", "Choose one of the options.")),
    (re.compile(r"must lie between (\S+) and (\S+)"),
     lambda m: ("Vul een datum tussen 1900 en 2199 in.", "Enter a date between 1900 and 2199.")),
    (re.compile(r"not a checklist item: (.*) \(add it to extra_commitments\)"),
     lambda m: (f"Geen punt van de checklist: {m[1]}.", f"Not a checklist item: {m[1]}.")),
    (re.compile(r"the company's region (.*) is not one of the programme's regions \((.*)\)"),
     lambda m: (f"De regio van het bedrijf ({m[1]}) hoort niet bij dit programma ({m[2]}).",
                f"The company's region ({m[1]}) is not one of this programme's regions ({m[2]}).")),
]


def message(reason: str) -> str:
    """An API or schema reason in the page's language (the English reason when nothing matches)."""
    if reason in _EXACT:
        return t(*_EXACT[reason])
    for pattern, texts in _PATTERNS:
        found = pattern.fullmatch(reason)
        if found:
            return t(*texts(found))
    return t(f"Controleer dit veld ({reason}).", f"Check this field ({reason}).")


def field_errors(messages: Any, fields: Iterable[str]) -> Errors:
    """Nested marshmallow messages (or a problem's invalid_params) -> {form field: message}."""
    known = set(fields)
    items = messages if isinstance(messages, list) and all(isinstance(m, dict) for m in messages) \
        else flatten_messages(messages)
    errors: Errors = {}
    for item in items:
        parts = str(item["name"]).split(".")
        target = GENERAL
        for n in range(len(parts), 0, -1):
            candidate = "_".join(parts[:n])
            if candidate in known:
                target = candidate
                break
        errors.setdefault(target, message(str(item["reason"])))
    return errors


def load(schema: Schema, body: Body, fields: Iterable[str], **kwargs: Any) -> tuple[Body, Errors]:
    """Load `body` as the API would (input policy, then the schema); (data, {}) or ({}, errors)."""
    errors: Errors = {}
    try:
        inputs.pre_load(body, schema=schema, req=request, location="json")
    except ValidationError as exc:
        errors = field_errors(exc.messages, fields)
    try:
        data = schema.load(body, **kwargs)
    except ValidationError as exc:  # every field's problem at once, the policy's first
        return {}, {**field_errors(exc.messages, fields), **errors}
    return ({}, errors) if errors else (data, {})


def list_query(schema: Schema, filters: dict[str, str]) -> tuple[Body, str | None]:
    """A list page's filters and page, loaded as the API loads its query; when the schema refuses a filter, the
    list is shown unfiltered and the second value says why."""
    paging = {"page": str(page_number()), "page_size": str(PAGE_SIZE)}
    try:
        return schema.load({**filters, **paging}), None
    except ValidationError as exc:
        return schema.load(paging), "; ".join(field_errors(exc.messages, filters).values())


def problem_errors(exc: HTTPException, fields: Iterable[str]) -> Errors:
    """A use case's 422 (or a 409 naming fields) -> errors at the fields."""
    params = getattr(exc, "extra", {}).get("invalid_params")
    if params:
        return field_errors(params, fields)
    return {GENERAL: conflict_message(exc)}


def refusal(exc: HTTPException, fields: Iterable[str]) -> Errors:
    """A use case's refusal (409, 422) as errors at the fields; any other error (403, 404 ...) goes on up."""
    if exc.code not in (409, 422):
        raise exc
    return problem_errors(exc, fields)


def conflict_message(exc: HTTPException) -> str:
    """A refused step (409) in words: what is missing, why not now, what is possible."""
    extra: Mapping[str, Any] = getattr(exc, "extra", {})
    if extra.get("missing"):
        return t("Dit kan nog niet. Nog nodig: ", "Not possible yet. Still needed: ") + \
            "; ".join(missing_text(m) for m in extra["missing"]) + "."
    if extra.get("programme_status"):
        status = label("programme_status", extra["programme_status"])
        return t(f"Het programma is {status.lower()}: dit kan niet meer.",
                 f"The programme is {status.lower()}: this is no longer possible.")
    if "max_delegates_per_company" in extra:
        n = extra["max_delegates_per_company"]
        return t(f"Dit programma staat hoogstens {n} deelnemers per bedrijf toe. Meld eerst iemand af of "
                 "vervang een deelnemer.", f"This programme allows at most {n} participants per company. "
                 "Remove or replace a participant first.")
    if extra.get("current_state"):
        state = extra["current_state"]
        kind = "programme_status" if state in ("draft", "open", "closed") else "state"
        return t(f"Dit kan niet in de status '{label(kind, state)}'. Vernieuw de pagina en kies een andere stap.",
                 f"Not possible in the state '{label(kind, state)}'. Reload the page and choose another step.")
    return t("Dit kan nu niet: ", "Not possible now: ") + str(exc.description or "")


# -- reading form values ----------------------------------------------------------------------
def text(name: str) -> str:
    return request.form.get(name, "").strip()


def optional(name: str) -> str | None:
    """The trimmed value, or None when left empty (so the schema's default applies)."""
    return text(name) or None


def number(name: str) -> Any:
    """An integer when the field holds one, else the text as typed (the schema then says what is wrong)."""
    value = text(name)
    return int(value) if re.fullmatch(r"-?\d{1,9}", value) else (value or None)


def local_datetime(day: str, clock: str) -> tuple[str | None, Errors]:
    """A date field and a time field (Amsterdam time) -> an ISO date-time with its UTC offset."""
    errors: Errors = {}
    try:
        parsed_day = date.fromisoformat(day)
    except ValueError:
        errors["day"] = t("Vul een datum in, zoals 03-12-2026.", "Enter a date, like 03-12-2026.")
    try:
        parsed_time = time.fromisoformat(clock)
    except ValueError:
        errors["time"] = t("Vul een tijd in, zoals 14:30.", "Enter a time, like 14:30.")
    if errors:
        return None, errors
    return datetime.combine(parsed_day, parsed_time, tzinfo=TIMEZONE).isoformat(), {}
