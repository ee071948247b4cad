"""Language and Dutch formats for pages: Dutch first, English second.

The language is a cookie (`lang`, set by `/auth/lang`), read once per
request; anything else than `en` means Dutch. Dates, times and numbers are
always formatted the Dutch way and in Europe/Amsterdam, also in English
pages: the fund and its people work in the Netherlands.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal, format_percent
from flask import g, has_request_context, request

LANG_COOKIE = "lang"
LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
TIMEZONE = ZoneInfo("Europe/Amsterdam")
# Locale per language: English pages keep Dutch number formats but English month names.
_LOCALES = {"nl": "nl_NL", "en": "en_GB"}


def current_language() -> str:
    """`nl` or `en` for this request (Dutch outside a request)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if "lang" not in g:
        wanted = request.cookies.get(LANG_COOKIE, DEFAULT_LANGUAGE)
        g.lang = wanted if wanted in LANGUAGES else DEFAULT_LANGUAGE
    return str(g.lang)


def t(nl: str, en: str | None = None) -> str:
    """The text in the current language; the Dutch text when there is no English one."""
    return en if en is not None and current_language() == "en" else nl


def label(table: Mapping[str, tuple[str, ...]], key: str | None) -> str:
    """A code's words from a table of (Dutch, English, ...) entries, in the page's language; the code itself
    when the table does not know it (and "" for none)."""
    entry = table.get(key or "")
    return t(entry[0], entry[1]) if entry else (key or "")


def _local(value: datetime) -> datetime:
    # A naive datetime from the database is UTC (timestamptz is read aware; this is a safety net).
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(TIMEZONE)


def _parse(value: Any) -> Any:
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
        except ValueError:
            return value
    return value


def date_nl(value: Any, fmt: str = "medium") -> str:
    """`3 dec. 2026` (medium), `03-12-2026` (short), `donderdag 3 december 2026` (full); '' for None."""
    value = _parse(value)
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = _local(value).date()
    if not isinstance(value, date):
        return str(value)
    pattern = {"short": "dd-MM-yyyy"}.get(fmt, fmt)
    return format_date(value, format=pattern, locale=_LOCALES[current_language()])


def time_nl(value: Any) -> str:
    """`14:30` in Amsterdam time."""
    value = _parse(value)
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = _local(value)
        return format_time(value, format="HH:mm", tzinfo=TIMEZONE, locale="nl_NL")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


def day_text(value: date, language: str) -> str:
    """`woensdag 2 december 2026` / `Wednesday 2 December 2026`: the day as mail and link pages write it."""
    return format_date(value, format="EEEE d MMMM y", locale=_LOCALES.get(language, "nl_NL"))


def datetime_nl(value: Any, fmt: str = "medium") -> str:
    """`3 dec. 2026 14:30` (medium) or `03-12-2026 14:30` (short), Amsterdam time."""
    value = _parse(value)
    if value is None or value == "":
        return ""
    if not isinstance(value, datetime):
        return date_nl(value, fmt)
    local = _local(value)
    day = "dd-MM-yyyy" if fmt == "short" else {"medium": "d MMM yyyy", "full": "EEEE d MMMM yyyy"}.get(fmt, fmt)
    return format_datetime(local, format=f"{day} HH:mm", tzinfo=TIMEZONE, locale=_LOCALES[current_language()])


def number_nl(value: Any, decimals: int | None = None) -> str:
    """`1.234,5`; `decimals` fixes the digits after the comma; '' for None."""
    if value is None or value == "":
        return ""
    if not isinstance(value, int | float | Decimal):
        return str(value)
    fmt = "#,##0" + (("." + "0" * decimals) if decimals else "") if decimals is not None else None
    return format_decimal(value, format=fmt, locale="nl_NL")


def percent_nl(value: Any, decimals: int = 0) -> str:
    """`42%` from 0.42 (a fraction)."""
    if value is None or value == "":
        return ""
    fmt = "#,##0" + ("." + "0" * decimals if decimals else "") + "%"
    return format_percent(value, format=fmt, locale="nl_NL")
