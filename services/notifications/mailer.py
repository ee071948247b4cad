"""Turning a Letter into a MIME message and handing it to an SMTP server.

The Message-ID is derived from the delivery id, so if a sender crashes after
the server accepted a mail but before the delivery was marked sent (the one
window where a mail can go out twice), the duplicate carries the same
Message-ID and mail systems and people can recognise it.
"""

from __future__ import annotations

import email.policy
import re
import smtplib
import ssl
import threading
import time
from datetime import datetime
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import Protocol

from services.notifications.letters import Letter
from services.notifications.settings import NotificationsSettings

MESSAGE_ID_DOMAIN = "progadmin.notifications"


class TemporaryFailure(Exception):
    """The server is unreachable or said 4xx: try again later."""


class PermanentFailure(Exception):
    """The server refused for good (5xx): retrying will not help."""


_ADDRESS = re.compile(r"[^\s<>()\[\]'\",;:@]+@[^\s<>()\[\]'\",;:]+")


def _redacted(text: str) -> str:
    """Server replies quote the recipient's address; the delivery log and NotificationFailed must not keep it."""
    return _ADDRESS.sub("<address>", text)


def message_id(delivery_id: str) -> str:
    return f"<{delivery_id}@{MESSAGE_ID_DOMAIN}>"


class _HeaderClasses(HeaderRegistry):
    """The standard registry builds a new header class for every header set (`type()` per call), a third
    of composing a mail; the same classes, built once per header name (issue 14)."""

    def __init__(self) -> None:
        super().__init__()
        self._built: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        built = self._built.get(name.lower())
        if built is None:
            built = self._built[name.lower()] = super().__getitem__(name)
        return built


POLICY = email.policy.default.clone(header_factory=_HeaderClasses())


def build_message(settings: NotificationsSettings, letter: Letter, now: datetime) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    msg["From"] = settings.mail_from
    name, address = letter.to_name, letter.to_address
    msg["To"] = formataddr((name, address)) if name else address
    msg["Subject"] = letter.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(letter.delivery_id)
    msg["X-Progadmin-Delivery"] = letter.delivery_id
    msg["X-Progadmin-Kind"] = letter.kind
    if letter.unsubscribe_url:
        # RFC 8058 one-click unsubscribe: mail clients POST to the link.
        msg["List-Unsubscribe"] = f"<{letter.unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    else:
        msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(letter.text)
    msg.add_alternative(letter.html, subtype="html")
    for att in letter.attachments:
        msg.add_attachment(att.content, maintype="text", subtype="calendar", filename=att.filename,
                           params={"method": att.method})
    # After the body: set_content() drops existing Content-* headers.
    msg["Content-Language"] = letter.language
    return msg


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class SmtpTransport:
    """Real SMTP: plain, STARTTLS or implicit TLS, with login when configured.

    The session is kept open between letters (issue 14: a new connection per
    letter, with its EHLO, TLS and QUIT, was most of a mail's latency); a
    session left `idle_s` without a letter is not reused but ended when the
    next letter comes (the server may have dropped it meanwhile; the sender
    QUITs it when it stops). A kept session is checked with a
    NOOP before it carries a letter: a server that dropped it meanwhile is
    found out before MAIL FROM, so the letter goes over a new session and can
    never be half-sent on a dead one. Everything after that check is as
    before: any failure is the letter's failure, and the session is dropped.
    """

    def __init__(self, settings: NotificationsSettings, timeout: float = 15.0, idle_s: float = 30.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self.idle_s = idle_s
        self._tls: ssl.SSLContext | None = None
        self._smtp: smtplib.SMTP | None = None
        self._last_used = 0.0
        self._lock = threading.Lock()  # one letter at a time on the one session

    def _tls_context(self) -> ssl.SSLContext:
        """Built once: loading the trusted CAs takes tens of milliseconds, a mail's whole budget (issue 14)."""
        if self._tls is None:
            self._tls = ssl.create_default_context(cafile=self.settings.smtp_ca_file or None)
        return self._tls

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        smtp: smtplib.SMTP
        if s.smtp_security == "tls":
            smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=self.timeout, context=self._tls_context())
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout)
        try:
            if s.smtp_security == "starttls":
                smtp.starttls(context=self._tls_context())
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password)
        except BaseException:
            _quit(smtp)
            raise
        return smtp

    def _session(self) -> smtplib.SMTP:
        """The kept session if it is fresh and still answers, else a new one."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            if time.monotonic() - self._last_used < self.idle_s:
                try:
                    if smtp.noop()[0] == 250:
                        return smtp
                except (smtplib.SMTPException, OSError):
                    pass
            _quit(smtp)
        return self._open()

    def _keep(self, smtp: smtplib.SMTP) -> None:
        self._smtp, self._last_used = smtp, time.monotonic()

    def close(self) -> None:
        with self._lock:
            smtp, self._smtp = self._smtp, None
            if smtp is not None:
                _quit(smtp)

    def send(self, message: EmailMessage) -> None:
        with self._lock:
            self._send(message)

    def _send(self, message: EmailMessage) -> None:
        s = self.settings
        try:
            smtp = self._session()
            try:
                smtp.send_message(message, from_addr=parseaddr(s.mail_from)[1])
            except smtplib.SMTPRecipientsRefused:
                # The server answered: the session is sound; smtplib has reset the transaction.
                self._keep(smtp)
                raise
            except BaseException:
                _quit(smtp)
                raise
            self._keep(smtp)
        except smtplib.SMTPRecipientsRefused as exc:
            replies = list(exc.recipients.values())
            codes = [code for code, _ in replies]
            text = "; ".join(f"{code} {_redacted(msg.decode(errors='replace') if isinstance(msg, bytes) else msg)}"
                             for code, msg in replies)
            raise (PermanentFailure if all(c >= 500 for c in codes) else TemporaryFailure)(
                f"recipient refused: {text}") from exc
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            raise (PermanentFailure if exc.smtp_code >= 500 else TemporaryFailure)(
                f"{exc.smtp_code} {_redacted(text)}") from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(_redacted(f"{type(exc).__name__}: {exc}")) from exc


def _quit(smtp: smtplib.SMTP) -> None:
    """End a session that may already be broken: QUIT if it answers, else just close the socket."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
