"""Across the real services: enrolment and sessions act over HTTP, notifications mails over SMTP.

Enrolment, sessions and notifications run as gunicorn and worker processes,
with the SMTP sink as the local stack runs it. A fund administrator enrols a
company through the commitment gate and delegates a manager; a coordinator
schedules a session and invites; the participant registers through the
confirm link in the invitation mail. The sink then holds the director's,
facilitator's and participant's mails, and the reminder waits in the log.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Platform
from tests.e2e.processes import Processes, must
from tests.support import bearer, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def running(platform: Platform, tmp_path: Path) -> Iterator[tuple[Processes, Path]]:
    platform.create_topics()
    mail = tmp_path / "mail"
    procs = Processes(platform.env(), tmp_path)
    try:
        procs.mail_sink(mail)
        for service in ("enrolment", "sessions", "notifications"):
            procs.web(service)
        procs.share_public_urls()  # the workers put links in mails
        for service in ("enrolment", "sessions", "notifications"):
            procs.worker(service)
        yield procs, mail
    finally:
        procs.stop()


def mails(folder: Path) -> list[EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(folder.glob("*.eml"))]


def kinds_for(folder: Path, address: str) -> list[str]:
    return sorted(str(m["X-Progadmin-Kind"]) for m in mails(folder) if address in str(m["To"]))


def test_a_company_through_the_gate_to_a_registration_by_mail_link(platform: Platform,
                                                                  running: tuple[Processes, Path]) -> None:
    procs, mail = running
    e, s, n = (procs.urls[x] + "/api/v1" for x in ("enrolment", "sessions", "notifications"))
    admin = bearer(platform.settings("enrolment"), "fund_admin")
    must("PUT", f"{n}/staff/fac-1", admin, {"role": "facilitator", "name": "Petra Visser",
                                            "email": "petra@begeleiding.nl"})
    programme = must("POST", f"{e}/programmes", admin, {
        "name": "Vanzelfsprekend Gezond en Veilig", "regions": ["Noord"], "max_delegates_per_company": 4,
        "planned_sessions": {"dialogue": 9, "intervision": 6}, "reminder_hours_before": 48,
        "teaser_question": "Wanneer sprak u voor het laatst een collega aan op onveilig gedrag?",
        "follow_up_info": "Tips voor de whiteboard-methode."})
    must("POST", f"{e}/programmes/{programme['id']}/opening", admin, {})
    company = must("POST", f"{e}/companies", admin, {
        "name": "Betonbouw Noord BV", "kvk_number": "12345678", "region": "Noord",
        "directors": [{"name": "Els Bakker", "email": "els@betonnoord.nl", "language": "nl"}]})
    enrolment = must("POST", f"{e}/enrolments", admin, {"company_id": company["id"],
                                                        "programme_id": programme["id"]})
    intake = must("POST", f"{e}/enrolments/{enrolment['id']}/intakes", admin, {
        "scheduled_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(), "location": "Zwolle"})
    must("POST", f"{e}/enrolments/{enrolment['id']}/intakes/{intake['id']}/outcome", admin, {
        "held_on": date.today().isoformat(), "interviewee_role": "director", "interviewer": "Projectleider",
        "commitments": {"director_attends_kickoff_and_closing": True, "staff_time_released": True,
                        "managers_delegated": True, "internal_follow_up_owner": True}, "assessed_level": 4})
    must("POST", f"{e}/enrolments/{enrolment['id']}/admission", admin, {})
    delegate = must("POST", f"{e}/enrolments/{enrolment['id']}/delegates", admin, {
        "name": "Anna de Jong", "email": "anna@betonnoord.nl", "job_level": "manager"})
    person_id = str(delegate.get("person_id") or delegate.get("id"))

    wait_until(lambda: kinds_for(mail, "els@betonnoord.nl") == ["admission", "intake_confirmation",
                                                                 "intake_invitation"], 60,
               what="the director's intake invitation, confirmation and admission")
    coordinator = bearer(platform.settings("sessions"), "coordinator", regions=["Noord"])
    wait_until(lambda: any(d.get("person_id") == person_id for d in must(
        "GET", f"{s}/delegates?programme_id={programme['id']}&region=Noord", coordinator)["items"]), 60,
        what="sessions to know the delegate")
    starts = (datetime.now(UTC) + timedelta(days=10)).replace(hour=8, minute=0, second=0, microsecond=0)
    session = must("POST", f"{s}/sessions", coordinator, {
        "programme_id": programme["id"], "type": "dialogue", "region": "Noord", "format": "regional_venue",
        "venue_address": "Betonweg 1, Zwolle", "starts_at": starts.isoformat(), "duration_minutes": 180,
        "capacity_min": 1, "capacity_max": 12, "facilitator_ids": ["fac-1"]})
    must("POST", f"{s}/sessions/{session['id']}/invitations", coordinator, {})

    wait_until(lambda: kinds_for(mail, "anna@betonnoord.nl") == ["session_invitation"], 60,
               what="the participant's invitation")
    wait_until(lambda: kinds_for(mail, "petra@begeleiding.nl") == ["facilitator_assignment"], 60,
               what="the facilitator's assignment")
    [invitation] = [m for m in mails(mail) if "anna@betonnoord.nl" in str(m["To"])]
    text = str(invitation.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    assert "Wanneer sprak u voor het laatst een collega aan op onveilig gedrag?" in text
    confirm = re.search(r"(https?://\S+/api/v1/links/confirm\?token=\S+)", text)
    assert confirm is not None and confirm.group(1).startswith(procs.urls["sessions"])
    result = must("POST", confirm.group(1), {}, {})
    assert result["action"] == "confirm"

    def reminder() -> list[dict[str, Any]]:
        log = must("GET", f"{n}/deliveries?recipient_id={person_id}&kind=session_reminder", admin)
        return list(log["items"])
    [planned] = wait_until(reminder, 60, what="the reminder planned from the registration")
    assert planned["status"] == "scheduled"
    assert datetime.fromisoformat(planned["send_after"]) == starts - timedelta(hours=48)

    def answered() -> list[dict[str, Any]]:
        log = must("GET", f"{n}/deliveries?recipient_id={person_id}&kind=invitation_reminder", admin)
        return [i for i in log["items"] if i["status"] == "cancelled"]
    # The reminder to answer, planned with the invitation, is void once she answered through the link.
    [void] = wait_until(answered, 60, what="the reminder to answer cancelled by her answer")
    assert void["last_error"] == "invitee answered"

    def sent() -> list[str]:
        # A mail reaches the sink just before its delivery is marked sent.
        return sorted(i["kind"] for i in must("GET", f"{n}/deliveries?status=sent&page_size=100", admin)["items"])

    expected = ["admission", "facilitator_assignment", "intake_confirmation", "intake_invitation",
                "session_invitation"]
    assert wait_until(lambda: sent() == expected, 30, what="every delivery marked sent")
