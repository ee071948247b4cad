"""Templates: one Jinja2 file per mail kind and language, with subject, text and HTML parts.

`templates/<kind>.<lang>.j2` defines the blocks `subject` and `text`, and
optionally `html`; without an `html` block the HTML part is the text part
as paragraphs. `_layout.<lang>.txt.j2` and `_layout.html.j2` add greeting,
sign-off and, for optional mail only, the unsubscribe link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from services.common.i18n import day_text
from services.notifications.domain import KINDS, LANGUAGES, language_of

TEMPLATES = Path(__file__).resolve().parent / "templates"
LOCAL_TZ = ZoneInfo("Europe/Amsterdam")

LABELS: dict[str, dict[str, str]] = {
    "nl": {"dialogue": "dialoogsessie", "intervision": "intervisiesessie", "workshop": "workshop",
           "kick_off": "kick-off", "closing": "slotbijeenkomst", "on_site": "op locatie bij een bedrijf",
           "regional_venue": "op een regionale locatie", "online": "online (Teams)",
           "incident_method": "incidentmethode", "liefdevol_roddelen": "liefdevol roddelen",
           "kitchen_table": "keukentafelgesprek",
           "director_attends_kickoff_and_closing": "u bent aanwezig bij de kick-off en de slotbijeenkomst",
           "staff_time_released": "medewerkers krijgen tijd vrij voor de sessies",
           "managers_delegated": "u vaardigt leidinggevenden af",
           "internal_follow_up_owner": "er is een interne eigenaar voor de borging",
           "no_show": "niet verschenen", "late_cancellation": "late afzegging"},
    "en": {"dialogue": "dialogue session", "intervision": "intervision session", "workshop": "workshop",
           "kick_off": "kick-off", "closing": "closing meeting", "on_site": "on site at a company",
           "regional_venue": "at a regional venue", "online": "online (Teams)",
           "incident_method": "incident method", "liefdevol_roddelen": "loving gossip",
           "kitchen_table": "kitchen-table conversation",
           "director_attends_kickoff_and_closing": "you attend the kick-off and the closing meeting",
           "staff_time_released": "staff are given time off for the sessions",
           "managers_delegated": "you delegate managers",
           "internal_follow_up_owner": "there is an internal owner for follow-up",
           "no_show": "did not show up", "late_cancellation": "late cancellation"},
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def when(value: datetime | str | None, language: str = "nl", with_time: bool = True) -> str:
    """A moment in Dutch or English, in Dutch local time: 'dinsdag 3 maart 2026, 14:00'."""
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is not None:
        moment = moment.astimezone(LOCAL_TZ)
    lang = language_of(language)
    text = day_text(moment, lang)
    return f"{text}, {moment:%H:%M}" if with_time else text


def hhmm(value: datetime | str | None) -> str:
    """Clock time in Dutch local time: '16:30'."""
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return f"{moment.astimezone(LOCAL_TZ) if moment.tzinfo else moment:%H:%M}"


def label(value: str | None, language: str = "nl") -> str:
    if value is None:
        return ""
    return LABELS[language_of(language)].get(value, value.replace("_", " "))


def paragraphs(text: str) -> Markup:
    """Plain text as HTML paragraphs with clickable links."""
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        html = str(escape(block)).replace("\n", "<br>\n")
        html = re.sub(r"(https?://[^\s<]+)", r'<a href="\1">\1</a>', html)
        out.append(f"<p>{html}</p>")
    return Markup("\n".join(out))


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    env.filters["when"] = when
    env.filters["label"] = label
    env.filters["hhmm"] = hhmm
    return env


def template_names() -> list[tuple[str, str]]:
    """Every (kind, language) that has a template file."""
    return [(k, lang) for k in KINDS for lang in LANGUAGES if (TEMPLATES / f"{k}.{lang}.j2").exists()]


def _block(template: Any, name: str, context: dict[str, Any]) -> str | None:
    render = template.blocks.get(name)
    if render is None:
        return None
    return "".join(render(template.new_context(context))).strip()


def render(kind: str, language: str, context: dict[str, Any]) -> Rendered:
    """Render one mail; `context` needs recipient, links and whatever the kind's template reads."""
    lang = language_of(language)
    env = environment()
    template = env.get_template(f"{kind}.{lang}.j2")
    context = {**context, "lang": lang}
    subject = " ".join((_block(template, "subject", context) or "").split())
    # Blank lines come out of conditional blocks unevenly; one empty line between paragraphs.
    text = re.sub(r"\n{3,}", "\n\n", _block(template, "text", context) or "")
    html = _block(template, "html", context)
    optional = KINDS[kind].optional
    layout_args = {**context, "optional": optional}
    full_text = env.get_template(f"_layout.{lang}.txt.j2").render(**layout_args, body=text)
    full_text = re.sub(r"\n{3,}", "\n\n", full_text).strip() + "\n"
    html_body = Markup(html) if html is not None else paragraphs(text)
    full_html = env.get_template("_layout.html.j2").render(**layout_args, body=html_body, subject=subject)
    return Rendered(subject=subject, text=full_text, html=full_html)
