"""Templates, calendar files and MIME messages, on sample data."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from services.common.config import Settings
from services.notifications.calendar import intake_ics, session_ics, session_uid
from services.notifications.domain import KINDS, LANGUAGES
from services.notifications.letters import Attachment, Letter
from services.notifications.mailer import build_message, message_id
from services.notifications.rendering import hhmm, paragraphs, render, template_names, when
from services.notifications.samples import sample_context

ALL = [(k, lang) for k in KINDS for lang in LANGUAGES]


def test_every_kind_has_a_template_in_dutch_and_english() -> None:
    assert sorted(template_names()) == sorted(ALL)


@pytest.mark.parametrize(("kind", "lang"), ALL)
def test_every_template_renders_subject_text_and_html(kind: str, lang: str) -> None:
    rendered = render(kind, lang, sample_context(kind))
    assert rendered.subject and "\n" not in rendered.subject
    greeting = "Beste Jan de Vries," if lang == "nl" else "Dear Jan de Vries,"
    assert rendered.text.startswith(greeting)
    assert "\n\n\n" not in rendered.text
    assert f'<html lang="{lang}">' in rendered.html and greeting.rstrip(",") in rendered.html
    has_unsubscribe = "/api/v1/unsubscribe?token=" in rendered.text
    assert has_unsubscribe == KINDS[kind].optional  # mandatory mail never offers unsubscribing


def test_html_escapes_what_people_typed() -> None:
    context = sample_context("session_invitation")
    context["programme"] = {**context["programme"], "teaser_question": "<script>x</script> & meer?"}
    rendered = render("session_invitation", "nl", context)
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "<script>x</script> & meer?" in rendered.text
    decline = render("decline", "nl", {**sample_context("decline"),
                                       "ctx": {"reason": "<b>nee</b>", "declined_on": "2026-03-01"}})
    assert "<b>nee</b>" not in decline.html


def test_dutch_and_english_dates_in_dutch_local_time() -> None:
    winter = datetime(2026, 3, 3, 13, 0, tzinfo=UTC)
    summer = datetime(2026, 6, 2, 13, 0, tzinfo=UTC)
    assert when(winter, "nl") == "dinsdag 3 maart 2026, 14:00"
    assert when(summer, "en") == "Tuesday 2 June 2026, 15:00"
    assert when(winter.isoformat(), "nl", with_time=False) == "dinsdag 3 maart 2026"
    assert hhmm(summer) == "15:00"
    assert str(paragraphs("a\n\nsee https://x.nl/a?b=1")) == (
        '<p>a</p>\n<p>see <a href="https://x.nl/a?b=1">https://x.nl/a?b=1</a></p>')


def test_session_ics_request_and_cancel_share_the_uid() -> None:
    session = sample_context("session_invitation")["session"]
    request = Calendar.from_ical(session_ics(session, "Programma", "nl", cancel=False,
                                             mail_from="Bureau <b@x.nl>", attendee=("Jan", "jan@x.nl")))
    cancel = Calendar.from_ical(session_ics({**session, "version": 2}, "Programma", "nl", cancel=True,
                                            mail_from="Bureau <b@x.nl>", attendee=None))
    [r], [c] = request.walk("VEVENT"), cancel.walk("VEVENT")
    assert str(request["METHOD"]) == "REQUEST" and str(cancel["METHOD"]) == "CANCEL"
    assert str(r["UID"]) == str(c["UID"]) == session_uid(session["session_id"])
    assert (int(str(r["SEQUENCE"])), int(str(c["SEQUENCE"]))) == (1, 2)
    assert str(c["STATUS"]) == "CANCELLED" and str(r["SUMMARY"]) == "Dialoogsessie - Programma"
    assert r.decoded("DTEND") - r.decoded("DTSTART") == timedelta(hours=3)
    assert str(r["ORGANIZER"]) == "mailto:b@x.nl" and str(r["ATTENDEE"]) == "mailto:jan@x.nl"


def test_intake_ics() -> None:
    at = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    cal = Calendar.from_ical(intake_ics("i-1", at, 2, "Zwolle", "Intakegesprek", "b@x.nl", None))
    [e] = cal.walk("VEVENT")
    assert str(e["UID"]) == "intake-i-1@progadmin" and int(str(e["SEQUENCE"])) == 2 and e.decoded("DTSTART") == at


def test_mime_message_has_text_html_ics_and_a_delivery_derived_message_id() -> None:
    settings = Settings.from_env("notifications")
    letter = Letter(delivery_id="d-1", kind="drip", recipient_id="p-1", to_name="Anna de Jong",
                    to_address="anna@x.nl", language="nl", subject="Onderwerp é", text="Tekst", html="<p>Tekst</p>",
                    attachments=[Attachment("sessie.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "REQUEST")],
                    unsubscribe_url="https://n.example/api/v1/unsubscribe?token=t")
    msg = build_message(settings, letter, datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert parsed["Message-ID"] == message_id("d-1") == "<d-1@progadmin.notifications>"
    assert parsed["To"] == "Anna de Jong <anna@x.nl>" and parsed["Subject"] == "Onderwerp é"
    assert parsed["Content-Language"] == "nl"
    assert parsed["List-Unsubscribe"] == "<https://n.example/api/v1/unsubscribe?token=t>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    types = [part.get_content_type() for part in parsed.walk()]
    assert {"text/plain", "text/html", "text/calendar"} <= set(types)
    [ics] = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert ics.get_param("method") == "REQUEST" and ics.get_filename() == "sessie.ics"
    mandatory = build_message(settings, Letter("d-2", "admission", "p", "A", "a@x.nl", "nl", "S", "T", "<p>T</p>"),
                              datetime(2026, 3, 2, tzinfo=UTC))
    assert "List-Unsubscribe" not in mandatory and mandatory["Auto-Submitted"] == "auto-generated"
