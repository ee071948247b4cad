"""Invitations that get an answer (issue 15): a reminder to invitees who have not answered, a mail on a place on
the waiting list, a mail when a registration is cancelled, whoever cancelled it. Over real SMTP, with the
service's ManualClock (no sleeps); every new mail is shown to go out once when its event is delivered again."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import pytest

from services.common import signed_links
from services.common.events import Event
from services.notifications.handlers import RegistrationTriggers
from services.notifications.sender import Sender
from services.notifications.settings import NotificationsSettings
from tests.conftest import Platform
from tests.integration.notifications.conftest import START, Notifier, SmtpServer, make_notifier
from tests.integration.notifications.programme import Person, admitted_with_delegate, four_in_noord, staff, uid
from tests.integration.notifications.test_triggers import ics_of, one, text_of, vevent

pytestmark = pytest.mark.integration
ANNA = "anna@betonnoord.nl"


def redeliver(n: Notifier, event: Event, handler: str) -> None:
    """The same event again: through the consumer (its dedupe), then straight into the handler, as if the
    consumer's record of it were gone; the delivery row's key must hold on its own."""
    n.consumer.apply(event)
    with n.pool.connection() as conn, conn.transaction():
        getattr(RegistrationTriggers(n.settings, n.clock), handler)(conn, event)


def kinds_to(n: Notifier, person: Person, kind: str) -> list[str]:
    rows = n.rows("SELECT status FROM deliveries WHERE recipient_id = %s AND kind = %s ORDER BY created_at",
                  (person.person_id, kind))
    return [r["status"] for r in rows]


def test_an_invitee_who_does_not_answer_is_reminded_once_after_the_delay(notifier: Notifier,
                                                                         smtp: SmtpServer) -> None:
    staff(notifier, "fac-1", "facilitator", "Petra Visser", "petra@begeleiding.nl")
    p, c, anna = admitted_with_delegate(notifier)
    s = p.session("Noord", START + timedelta(days=10), ["fac-1"])
    invited = p.invite(s, c, anna)
    notifier.send()
    assert smtp.kinds(ANNA).count("session_invitation") == 1
    # The delay is the setting's (72 hours by default): nothing an hour before, the reminder an hour after.
    assert notifier.settings.mail_invitation_reminder_hours == 72
    notifier.clock.advance(timedelta(hours=71))
    notifier.send()
    assert "invitation_reminder" not in smtp.kinds(ANNA)
    redeliver(notifier, invited, "participant_invited")
    notifier.clock.advance(timedelta(hours=2))
    notifier.send()
    reminder = one(smtp, ANNA, "invitation_reminder")
    assert reminder["Subject"].startswith("Herinnering uitnodiging: dialoogsessie")
    text = text_of(reminder)
    assert "nog niets van u gehoord" in text and "De links werken tot de sessie begint" in text
    # The answer links work until the session starts, not for a fixed 14 days.
    for action in ("confirm", "cancel"):
        token = text.split(f"/api/v1/links/{action}?token=")[1].split()[0]
        claims = signed_links.verify(notifier.settings.link_secret, token, action, now=notifier.clock.now().timestamp())
        assert claims.expires_at == int((START + timedelta(days=10)).timestamp())
        assert claims.subject == {"session_id": s.session_id, "person_id": anna.person_id}
    # Never twice: the same invitation again, later, claims nothing new.
    redeliver(notifier, invited, "participant_invited")
    notifier.clock.advance(timedelta(days=3))
    notifier.send()
    assert smtp.kinds(ANNA).count("invitation_reminder") == 1
    assert kinds_to(notifier, anna, "invitation_reminder") == ["sent"]


def test_the_delay_is_a_setting(db_only: Platform, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for bad in ("0", "-3"):  # a nonsense delay is refused at start, naming the variable
        monkeypatch.setenv("PROGADMIN_MAIL_INVITATION_REMINDER_HOURS", bad)
        with pytest.raises(ValueError, match="PROGADMIN_MAIL_INVITATION_REMINDER_HOURS"):
            NotificationsSettings.from_env()
    monkeypatch.setenv("PROGADMIN_MAIL_INVITATION_REMINDER_HOURS", "24")
    assert NotificationsSettings.from_env().mail_invitation_reminder_hours == 24
    monkeypatch.delenv("PROGADMIN_MAIL_INVITATION_REMINDER_HOURS")
    n = make_notifier(db_only, smtp, mail_invitation_reminder_hours=24)
    try:
        p, c, anna = admitted_with_delegate(n)
        s = p.session("Noord", START + timedelta(days=10), [])
        p.invite(s, c, anna)
        n.send()
        n.clock.advance(timedelta(hours=23))
        n.send()
        assert "invitation_reminder" not in smtp.kinds(ANNA)
        n.clock.advance(timedelta(hours=2))
        n.send()
        assert smtp.kinds(ANNA).count("invitation_reminder") == 1
    finally:
        n.close()


def test_an_answer_cancels_the_reminder_and_a_queued_one_survives_a_restart(notifier: Notifier,
                                                                            smtp: SmtpServer) -> None:
    p, c, anna = admitted_with_delegate(notifier)
    bram, cor = Person("Bram Smit", "bram@betonnoord.nl"), Person("Cor Jansen", "cor@betonnoord.nl")
    p.delegate(c, bram)
    p.delegate(c, cor)
    s = p.session("Noord", START + timedelta(days=14), [])
    for person in (anna, bram, cor):
        p.invite(s, c, person)
    notifier.send()  # the invitations go out now; a reminder counts from then
    p.register(s, c, anna)
    p.waitlist(s, c, bram)
    assert kinds_to(notifier, anna, "invitation_reminder") == ["cancelled"]
    assert kinds_to(notifier, bram, "invitation_reminder") == ["cancelled"]
    assert kinds_to(notifier, cor, "invitation_reminder") == ["scheduled"]
    # The worker stops and a new one starts: the reminder is a row in the database, not a timer in a process.
    notifier.sender = Sender(notifier.settings, notifier.pool, notifier.clock)
    notifier.clock.advance(timedelta(days=3, minutes=1))
    notifier.send()
    assert smtp.kinds("cor@betonnoord.nl").count("invitation_reminder") == 1
    assert "invitation_reminder" not in smtp.kinds(ANNA) + smtp.kinds("bram@betonnoord.nl")


def test_an_answer_that_arrives_after_the_reminder_was_queued_still_stops_it(notifier: Notifier,
                                                                              smtp: SmtpServer) -> None:
    """The sender asks again when the reminder falls due: an answer the handler's cancel missed (a row taken
    back from a crashed sender, say) still keeps it from going out."""
    p, c, anna = admitted_with_delegate(notifier)
    s = p.session("Noord", START + timedelta(days=14), [])
    p.invite(s, c, anna)
    p.register(s, c, anna)
    with notifier.pool.connection() as conn:  # as if the cancel had not reached the row
        conn.execute("UPDATE deliveries SET status = 'scheduled' WHERE kind = 'invitation_reminder'")
    notifier.clock.advance(timedelta(days=4))
    notifier.send()
    assert "invitation_reminder" not in smtp.kinds(ANNA)
    [row] = notifier.rows("SELECT status, last_error FROM deliveries WHERE kind = 'invitation_reminder'")
    assert (row["status"], row["last_error"]) == ("cancelled", "invitee answered")


def test_a_declined_invitation_gets_no_reminder(notifier: Notifier, smtp: SmtpServer) -> None:
    """Declining (the cancel link while not registered) is an answer too: sessions says so with InvitationResponded."""
    p, c, anna = admitted_with_delegate(notifier)
    bram = Person("Bram Smit", "bram@betonnoord.nl")
    p.delegate(c, bram)
    s = p.session("Noord", START + timedelta(days=14), [])
    p.invite(s, c, anna)
    p.invite(s, c, bram)
    notifier.send()
    declined = p.respond(s, c, anna, "declined")
    redeliver(notifier, declined, "invitation_responded")
    notifier.clock.advance(timedelta(days=4))
    notifier.send()
    assert "invitation_reminder" not in smtp.kinds(ANNA)
    assert kinds_to(notifier, anna, "invitation_reminder") == ["cancelled"]
    assert smtp.kinds("bram@betonnoord.nl").count("invitation_reminder") == 1  # he did not answer


def test_no_reminder_at_or_after_the_start(notifier: Notifier, smtp: SmtpServer) -> None:
    p, c, anna = admitted_with_delegate(notifier)
    soon = p.session("Noord", START + timedelta(days=2), [])
    p.invite(soon, c, anna)  # three days from now is after the start: no reminder at all
    assert kinds_to(notifier, anna, "invitation_reminder") == []
    later = p.session("Noord", START + timedelta(days=10), [])
    p.invite(later, c, anna)
    p.reschedule(later, START + timedelta(days=1))  # moved before the reminder's time
    notifier.clock.advance(timedelta(days=4))
    notifier.send()
    assert "invitation_reminder" not in smtp.kinds(ANNA)
    assert notifier.rows("SELECT status, last_error FROM deliveries WHERE kind = 'invitation_reminder'") == [
        {"status": "cancelled", "last_error": "session started before the reminder"}]


def test_a_session_moved_later_makes_room_for_the_reminder_once(notifier: Notifier, smtp: SmtpServer) -> None:
    p, c, anna = admitted_with_delegate(notifier)
    s = p.session("Noord", START + timedelta(days=2), [])
    p.invite(s, c, anna)
    notifier.send()
    assert kinds_to(notifier, anna, "invitation_reminder") == []  # it would come after the start
    p.reschedule(s, START + timedelta(days=10))
    p.reschedule(s, START + timedelta(days=11))  # moved again: still the one reminder
    notifier.clock.advance(timedelta(hours=71))
    notifier.send()
    assert "invitation_reminder" not in smtp.kinds(ANNA)  # timed from when the invitation went out
    notifier.clock.advance(timedelta(hours=2))
    notifier.send()
    assert smtp.kinds(ANNA).count("invitation_reminder") == 1
    assert kinds_to(notifier, anna, "invitation_reminder") == ["sent"]


def test_a_place_on_the_waiting_list_is_confirmed_by_mail_once(notifier: Notifier, smtp: SmtpServer) -> None:
    p, c, anna = admitted_with_delegate(notifier)
    john = Person("John Smith", "john@betonnoord.nl", "en")
    p.delegate(c, john)
    s = p.session("Noord", START + timedelta(days=10), [])
    placed = p.waitlist(s, c, anna, position=3)
    redeliver(notifier, placed, "participant_waitlisted")
    p.waitlist(s, c, john, position=4)
    notifier.send()
    mail = one(smtp, ANNA, "waitlist_placement")
    assert mail["Subject"].startswith("Op de wachtlijst: dialoogsessie")
    assert "U staat op de wachtlijst, op plaats 3." in text_of(mail)
    assert "/api/v1/links/cancel?token=" in text_of(mail)
    english = one(smtp, "john@betonnoord.nl", "waitlist_placement")
    assert english["Subject"].startswith("On the waiting list: dialogue session")
    assert "at number 4" in text_of(english)
    redeliver(notifier, placed, "participant_waitlisted")
    notifier.send()
    assert smtp.kinds(ANNA).count("waitlist_placement") == 1


def _cancelled_mail(smtp: SmtpServer, address: str) -> EmailMessage:
    return one(smtp, address, "registration_cancelled")


def test_a_cancelled_registration_is_confirmed_whoever_cancelled_it(notifier: Notifier, smtp: SmtpServer) -> None:
    p, c, (anna, bram, cor, dirk), s = four_in_noord(notifier)
    for person in (anna, bram, dirk):
        p.register(s, c, person)
    p.waitlist(s, c, cor)
    by_anna = p.unregister(s, c, anna, cancelled_by="participant")
    p.unregister(s, c, bram, cancelled_by="staff")
    p.unregister(s, c, cor)  # an event from before `cancelled_by` existed
    redeliver(notifier, by_anna, "registration_cancelled")
    notifier.send()
    mail = _cancelled_mail(smtp, ANNA)
    assert mail["Subject"].startswith("Afgemeld: dialoogsessie")
    assert "U heeft uw aanmelding voor de dialoogsessie van Vanzelfsprekend" in text_of(mail)
    assert "Het programmabureau heeft uw aanmelding" in text_of(_cancelled_mail(smtp, "bram@betonnoord.nl"))
    assert "Uw plaats op de wachtlijst voor de dialoogsessie" in text_of(_cancelled_mail(smtp, "cor@betonnoord.nl"))
    # A session cancelled: its people get the session's notice (as before), not a second mail about their place.
    p.cancel(s)
    p.unregister(s, c, dirk, cause="session_cancelled", cancelled_by="staff")
    notifier.send()
    assert smtp.kinds("dirk@betonnoord.nl").count("session_cancelled") == 1
    assert "registration_cancelled" not in smtp.kinds("dirk@betonnoord.nl")
    redeliver(notifier, by_anna, "registration_cancelled")
    notifier.send()
    assert smtp.kinds(ANNA).count("registration_cancelled") == 1
    # Withdrawal, removal and erasure stop a person's mail: their cancellations say nothing.
    eva = Person("Eva Kok", "eva@betonnoord.nl")
    p.delegate(c, eva)
    other = p.session("Noord", START + timedelta(days=20), [])
    p.register(other, c, eva)
    p.unregister(other, c, eva, cause="person_removed", cancelled_by="system")
    notifier.send()
    assert "registration_cancelled" not in smtp.kinds("eva@betonnoord.nl")


def test_people_moved_by_a_merge_hear_where_they_go_once(notifier: Notifier, smtp: SmtpServer) -> None:
    """A go/no-go merge: the old session's notice says it is off, and a mail with the new session's .ics says where
    they are registered now (sessions: SessionCancelled, RegistrationCancelled, ParticipantRegistered with
    moved_from_session_id, in one transaction)."""
    p, c, anna = admitted_with_delegate(notifier)
    old = p.session("Noord", START + timedelta(days=10), [])
    new = p.session("Noord", START + timedelta(days=12), [])
    p.register(old, c, anna)
    p.cancel(old, "Samengevoegd met de sessie van 14 maart")
    p.unregister(old, c, anna, cause="session_cancelled", cancelled_by="staff")
    moved = p._person_event("ParticipantRegistered", new, c, anna, registration_id=uid(),
                            moved_from_session_id=old.session_id)
    redeliver(notifier, moved, "participant_registered")
    notifier.send()
    assert sorted(smtp.kinds(ANNA)) == ["session_cancelled", "session_transfer"]
    mail = one(smtp, ANNA, "session_transfer")
    assert mail["Subject"].startswith("Nieuwe sessie: dialoogsessie")
    assert "is samengevoegd met een andere sessie" in text_of(mail) and "/api/v1/links/cancel?token=" in text_of(mail)
    entry = vevent(ics_of(mail))
    assert entry["uid"] == f"{new.session_id}@progadmin" and entry["start"] == START + timedelta(days=12)
    redeliver(notifier, moved, "participant_registered")
    notifier.send()
    assert smtp.kinds(ANNA).count("session_transfer") == 1
