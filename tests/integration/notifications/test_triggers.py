"""Each trigger produces the right mail, in the right language, with the right attachments, over real SMTP."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import pytest
from icalendar import Calendar

from services.common import signed_links
from tests.integration.notifications.conftest import START, Notifier, SmtpServer
from tests.integration.notifications.programme import Person, Programme, admitted_with_delegate, staff

pytestmark = pytest.mark.integration


def ics_of(msg: EmailMessage) -> Calendar:
    parts = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [p.get_content_type() for p in msg.iter_attachments()]
    return Calendar.from_ical(parts[0].get_content())


def vevent(cal: Calendar) -> dict[str, object]:
    [event] = [c for c in cal.walk("VEVENT")]
    return {"uid": str(event["UID"]), "sequence": int(str(event["SEQUENCE"])), "start": event.decoded("DTSTART"),
            "status": str(event["STATUS"]), "method": str(cal["METHOD"]), "location": str(event.get("LOCATION"))}


def text_of(msg: EmailMessage) -> str:
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(msg: EmailMessage) -> str:
    body = msg.get_body(preferencelist=("html",))
    assert body is not None
    return str(body.get_content())


def one(smtp: SmtpServer, address: str, kind: str) -> EmailMessage:
    found = [m for m in smtp.to(address) if m["X-Progadmin-Kind"] == kind]
    assert len(found) == 1, (kind, smtp.kinds(address))
    return found[0]


def test_director_gets_intake_invitation_confirmation_and_admission_in_dutch(notifier: Notifier,
                                                                              smtp: SmtpServer) -> None:
    p = Programme(notifier)
    c = p.company("Betonbouw Noord BV", "Noord", Person("Els Bakker", "els@betonnoord.nl"))
    intake_at = START + timedelta(days=3)
    scheduled = p.intake(c, intake_at)
    p.intake_held(c)
    p.admit(c)
    assert notifier.send() == 3
    invitation = one(smtp, "els@betonnoord.nl", "intake_invitation")
    assert invitation["Subject"].startswith("Uitnodiging intakegesprek Vanzelfsprekend Gezond en Veilig")
    assert invitation["Content-Language"] == "nl"
    assert "Beste Els Bakker" in text_of(invitation) and "Kantoor Betonbouw Noord BV" in text_of(invitation)
    entry = vevent(ics_of(invitation))
    assert entry["uid"] == f"intake-{scheduled['data']['intake_id']}@progadmin"
    assert entry["start"] == intake_at and entry["sequence"] == 0 and entry["method"] == "REQUEST"
    confirmation = one(smtp, "els@betonnoord.nl", "intake_confirmation")
    assert "leidinggevenden af" in text_of(confirmation)
    admission = one(smtp, "els@betonnoord.nl", "admission")
    assert admission["Subject"] == "Betonbouw Noord BV is toegelaten tot Vanzelfsprekend Gezond en Veilig"
    assert "List-Unsubscribe" not in admission  # mandatory mail has no unsubscribe


def test_decline_letter_in_english_names_the_reason(notifier: Notifier, smtp: SmtpServer) -> None:
    p = Programme(notifier)
    c = p.company("Precast South", "Zuid", Person("John Smith", "john@precast.example", "en"))
    p.decline(c, "Commitment too non-binding")
    notifier.send()
    letter = one(smtp, "john@precast.example", "decline")
    assert letter["Subject"] == "Your application for Vanzelfsprekend Gezond en Veilig"
    assert "Dear John Smith" in text_of(letter) and "Commitment too non-binding" in text_of(letter)
    assert letter["Content-Language"] == "en"


def test_session_invitation_has_teaser_links_and_ics(notifier: Notifier, smtp: SmtpServer) -> None:
    p, c, anna = admitted_with_delegate(notifier)
    s = p.session("Noord", START + timedelta(days=14), ["fac-1"])
    p.invite(s, c, anna)
    notifier.send()
    msg = one(smtp, "anna@betonnoord.nl", "session_invitation")
    text = text_of(msg)
    assert msg["Subject"].startswith("Uitnodiging: dialoogsessie maandag 16 maart 2026, 09:00")
    assert "Wanneer sprak u voor het laatst een collega aan op onveilig gedrag?" in text
    assert "Betonweg 1, Zwolle" in text and "incidentmethode" in text
    assert "Wanneer sprak u" in html_of(msg)
    base = notifier.settings.public_urls["sessions"]
    for action in ("confirm", "cancel"):
        url = next(w for w in text.split() if w.startswith(f"{base}/api/v1/links/{action}?token="))
        claims = signed_links.verify(notifier.settings.link_secret, url.split("token=")[1], action,
                                     now=notifier.clock.now().timestamp())
        assert claims.subject == {"session_id": s.session_id, "person_id": anna.person_id}
        # Valid until the session starts (issue 15), whenever the mail went out.
        assert claims.expires_at == int((START + timedelta(days=14)).timestamp())
    entry = vevent(ics_of(msg))
    assert entry == {"uid": f"{s.session_id}@progadmin", "sequence": 1, "start": START + timedelta(days=14),
                     "status": "CONFIRMED", "method": "REQUEST", "location": "Betonweg 1, Zwolle"}


def test_online_session_carries_the_teams_link(notifier: Notifier, smtp: SmtpServer) -> None:
    p = Programme(notifier)
    c = p.company("Betonbouw Noord BV", "Noord", Person("Els Bakker", "els@betonnoord.nl"))
    p.admit(c)
    anna = Person("Anna de Jong", "anna@betonnoord.nl", "en")
    p.delegate(c, anna)
    s = p.session("Noord", START + timedelta(days=14), [], type_="intervision", format_="online", hours=1.5)
    p.invite(s, c, anna)
    notifier.send()
    msg = one(smtp, "anna@betonnoord.nl", "session_invitation")
    assert "online (Teams): https://teams.example/meet/1" in text_of(msg)
    assert msg["Subject"].startswith("Invitation: intervision session Monday 16 March 2026")
    assert vevent(ics_of(msg))["location"] == "https://teams.example/meet/1"


def test_facilitator_gets_assignment_and_reminder_from_the_staff_directory(notifier: Notifier,
                                                                          smtp: SmtpServer) -> None:
    staff(notifier, "fac-1", "facilitator", "Petra Visser", "petra@begeleiding.nl")
    p = Programme(notifier)
    s = p.session("Noord", START + timedelta(days=7), ["fac-1"])
    notifier.send()
    assignment = one(smtp, "petra@begeleiding.nl", "facilitator_assignment")
    assert "U begeleidt de volgende sessie" in text_of(assignment)
    assert vevent(ics_of(assignment))["uid"] == f"{s.session_id}@progadmin"
    notifier.clock.advance(timedelta(days=5))  # 48 h before
    notifier.send()
    assert smtp.kinds("petra@begeleiding.nl") == ["facilitator_assignment", "session_reminder"]


def test_reschedule_sends_update_with_same_uid_higher_sequence_and_moves_reminder(notifier: Notifier,
                                                                                 smtp: SmtpServer) -> None:
    p, c, anna = admitted_with_delegate(notifier, reminder_hours=24)
    first = START + timedelta(days=10)
    s = p.session("Noord", first, [])
    p.invite(s, c, anna)
    p.register(s, c, anna)
    notifier.send()
    [reminder] = notifier.rows("SELECT * FROM deliveries WHERE kind = 'session_reminder'")
    assert reminder["send_after"] == first - timedelta(hours=24)  # the programme's own lead time
    later = first + timedelta(days=7)
    p.reschedule(s, later)
    [moved] = notifier.rows("SELECT * FROM deliveries WHERE kind = 'session_reminder'")
    assert moved["id"] == reminder["id"] and moved["send_after"] == later - timedelta(hours=24)
    notifier.send()
    notice = one(smtp, "anna@betonnoord.nl", "session_rescheduled")
    entry = vevent(ics_of(notice))
    assert entry["uid"] == f"{s.session_id}@progadmin" and entry["sequence"] == 2
    assert entry["start"] == later and entry["method"] == "REQUEST"
    notifier.clock.set(first - timedelta(hours=23))  # the old reminder time has passed: nothing
    notifier.send()
    assert "session_reminder" not in smtp.kinds("anna@betonnoord.nl")
    notifier.clock.set(later - timedelta(hours=23))
    notifier.send()
    reminder_mail = one(smtp, "anna@betonnoord.nl", "session_reminder")
    assert "maandag 19 maart" not in text_of(reminder_mail) and "donderdag 19 maart 2026" in text_of(reminder_mail)


def test_cancellation_sends_ics_cancel_and_drops_queued_reminders(notifier: Notifier, smtp: SmtpServer) -> None:
    staff(notifier, "fac-1", "facilitator", "Petra Visser", "petra@begeleiding.nl")
    p, c, anna = admitted_with_delegate(notifier)
    s = p.session("Noord", START + timedelta(days=10), ["fac-1"])
    p.invite(s, c, anna)
    p.register(s, c, anna)
    notifier.send()
    p.cancel(s, "Te weinig aanmeldingen")
    notifier.send()
    for address in ("anna@betonnoord.nl", "petra@begeleiding.nl"):
        msg = one(smtp, address, "session_cancelled")
        entry = vevent(ics_of(msg))
        assert entry["method"] == "CANCEL" and entry["status"] == "CANCELLED" and entry["sequence"] == 2
        assert entry["uid"] == f"{s.session_id}@progadmin"
        assert "Te weinig aanmeldingen" in text_of(msg)
    reminders = notifier.rows("SELECT status FROM deliveries WHERE kind = 'session_reminder'")
    assert {r["status"] for r in reminders} == {"cancelled"}
    notifier.clock.advance(timedelta(days=10))
    notifier.send()
    assert "session_reminder" not in smtp.kinds()


def test_waitlist_promotion_and_evaluation_request_with_follow_up(notifier: Notifier, smtp: SmtpServer) -> None:
    p = Programme(notifier)
    c = p.company("Betonbouw Noord BV", "Noord", Person("Els Bakker", "els@betonnoord.nl"))
    p.admit(c)
    bram = Person("Bram Smit", "bram@betonnoord.nl")
    p.delegate(c, bram)
    s = p.session("Noord", START + timedelta(days=10), [])
    p.invite(s, c, bram)
    p.waitlist(s, c, bram)
    p.promote(s, c, bram)
    notifier.send()
    promotion = one(smtp, "bram@betonnoord.nl", "waitlist_promotion")
    assert promotion["Subject"].startswith("Er is een plek vrij")
    assert vevent(ics_of(promotion))["method"] == "REQUEST"
    notifier.clock.set(START + timedelta(days=10, hours=4))
    p.attendance(s, c, bram, "attended")
    p.attendance(s, c, bram, "attended")  # a corrected record: still one request
    p.held(s, attended=1)
    notifier.send()
    request = one(smtp, "bram@betonnoord.nl", "evaluation_request")
    text = text_of(request)
    assert "Tips en oefenopdrachten voor de whiteboard-methode." in text
    url = next(w for w in text.split() if "/api/v1/links/evaluate?token=" in w)
    claims = signed_links.verify(notifier.settings.link_secret, url.split("token=")[1], "evaluate",
                                 now=notifier.clock.now().timestamp())
    assert claims.subject == {"session_id": s.session_id, "person_id": bram.person_id}


def test_coordinator_alerts_go_to_the_region_only(notifier: Notifier, smtp: SmtpServer) -> None:
    staff(notifier, "coord-noord", "coordinator", "Karin Noord", "karin@fonds.nl", ["Noord"])
    staff(notifier, "coord-zuid", "coordinator", "Kees Zuid", "kees@fonds.nl", ["Zuid"], language="en")
    p, c, anna = admitted_with_delegate(notifier)
    s1 = p.session("Noord", START + timedelta(days=3), [])
    s2 = p.session("Noord", START + timedelta(days=10), [])
    p.below_minimum(s1, registered=2)
    for s in (s1, s2):
        p.register(s, c, anna)
        p.attendance(s, c, anna, "no_show")
    p.repeated_no_show(c, anna, [s1, s2])
    s3 = p.session("Noord", START + timedelta(days=17), [])
    p.register(s3, c, anna)
    p.unregister(s3, c, anna, late=True)  # third signal: the company is at risk
    notifier.send()
    assert sorted(smtp.kinds("karin@fonds.nl")) == [
        "alert_below_minimum", "alert_company_at_risk", "alert_repeated_no_show"]
    assert smtp.kinds("kees@fonds.nl") == []
    below = one(smtp, "karin@fonds.nl", "alert_below_minimum")
    assert "(2/4)" in below["Subject"]
    at_risk = one(smtp, "karin@fonds.nl", "alert_company_at_risk")
    assert at_risk["Subject"] == "Risico op uitval: Betonbouw Noord BV"
    p.attendance(s3, c, anna, "no_show")  # more signals: no second at-risk alert
    notifier.send()
    assert smtp.kinds("karin@fonds.nl").count("alert_company_at_risk") == 1


def test_progress_digest_every_period_with_the_company_figures(notifier: Notifier, smtp: SmtpServer) -> None:
    p = Programme(notifier)
    c = p.company("Betonbouw Noord BV", "Noord", Person("Els Bakker", "els@betonnoord.nl"))
    p.admit(c)
    anna, bram = Person("Anna de Jong", "anna@betonnoord.nl"), Person("Bram Smit", "bram@betonnoord.nl")
    p.delegate(c, anna)
    p.delegate(c, bram, "foreman")
    s = p.session("Noord", START + timedelta(days=3), [])
    p.register(s, c, anna)
    p.register(s, c, bram)
    p.attendance(s, c, anna, "attended")
    p.attendance(s, c, bram, "no_show")
    notifier.send()
    assert smtp.kinds("els@betonnoord.nl") == ["admission"]
    notifier.clock.advance(timedelta(days=notifier.settings.mail_digest_days))
    notifier.send()
    digest = one(smtp, "els@betonnoord.nl", "progress_digest")
    text = text_of(digest)
    assert "Afgevaardigde deelnemers: 2" in text and "Sessies bijgewoond: 1" in text and "Niet verschenen: 1" in text
    assert digest["List-Unsubscribe"].startswith("<" + notifier.settings.public_urls["notifications"])
    notifier.clock.advance(timedelta(days=notifier.settings.mail_digest_days))
    notifier.send()
    assert smtp.kinds("els@betonnoord.nl").count("progress_digest") == 2


def test_a_new_lead_time_moves_queued_reminders(notifier: Notifier, smtp: SmtpServer) -> None:
    p, c, anna = admitted_with_delegate(notifier, reminder_hours=48)
    s = p.session("Noord", START + timedelta(days=10), [])
    p.register(s, c, anna)
    [before] = notifier.rows("SELECT send_after FROM deliveries WHERE kind = 'session_reminder'")
    assert before["send_after"] == START + timedelta(days=8)
    notifier.feed("enrolment", "ProgrammeUpdated", p.programme_id, {
        "programme_id": p.programme_id, "name": "Vanzelfsprekend Gezond en Veilig", "regions": ["Noord"],
        "planned_sessions": {"dialogue": 9}, "max_delegates_per_company": 4,
        "session_rules": {"min_duration_minutes": 60, "max_duration_minutes": 210, "online_facilitators": 2},
        "reminder_hours_before": 24})
    [after] = notifier.rows("SELECT send_after FROM deliveries WHERE kind = 'session_reminder'")
    assert after["send_after"] == START + timedelta(days=9)
