"""The SMTP transport keeps its session between letters, and a session the server dropped costs no letter.

Against the real SMTP server of the tests (aiosmtpd), stopped and started again on the same port.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from services.notifications.mailer import SmtpTransport, TemporaryFailure
from tests.conftest import Platform
from tests.integration.notifications.conftest import SmtpServer


def letter(n: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "fonds@progadmin.example"
    msg["To"] = f"anna{n}@bedrijf.example"
    msg["Subject"] = f"Brief {n}"
    msg.set_content("Goedemorgen")
    return msg


def subjects(smtp: SmtpServer) -> list[str]:
    return [str(m["Subject"]) for m in smtp.messages()]


def test_letters_share_one_session_and_a_dropped_one_is_replaced(db_only: Platform, smtp: SmtpServer) -> None:
    settings = db_only.settings("notifications", smtp_host="127.0.0.1", smtp_port=smtp.port)
    transport = SmtpTransport(settings)
    try:
        transport.send(letter(1))
        kept = transport._smtp
        assert kept is not None
        transport.send(letter(2))
        assert transport._smtp is kept, "the second letter opened a new session"

        # The server goes away and comes back: the kept session is dead, found by its NOOP before MAIL FROM.
        smtp.stop()
        smtp.start()
        transport.send(letter(3))
        assert transport._smtp is not kept
        assert subjects(smtp) == ["Brief 1", "Brief 2", "Brief 3"]

        # Down: the letter fails as a temporary failure (retried later by the sender), nothing is kept.
        smtp.stop()
        with pytest.raises(TemporaryFailure):
            transport.send(letter(4))
        assert transport._smtp is None
        smtp.start()
        transport.send(letter(4))
        assert subjects(smtp).count("Brief 4") == 1
    finally:
        transport.close()
    assert transport._smtp is None


def test_a_session_idle_too_long_is_not_reused(db_only: Platform, smtp: SmtpServer) -> None:
    settings = db_only.settings("notifications", smtp_host="127.0.0.1", smtp_port=smtp.port)
    transport = SmtpTransport(settings, idle_s=0.0)
    try:
        transport.send(letter(1))
        first = transport._smtp
        transport.send(letter(2))
        assert transport._smtp is not first
        assert subjects(smtp) == ["Brief 1", "Brief 2"]
    finally:
        transport.close()
