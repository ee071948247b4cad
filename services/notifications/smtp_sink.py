"""A local SMTP server that keeps every mail it receives, and a page to read them.

    python -m services.notifications.smtp_sink

SMTP on PROGADMIN_SMTP_PORT (default 8025), the page on
PROGADMIN_SMTP_WEB_PORT (default 8026), mails stored as .eml files in
PROGADMIN_SMTP_SINK_DIR (default .local/mail). For the local stack and tests
only: it accepts anything and delivers nothing onwards.
"""

from __future__ import annotations

import email
import email.policy
import html
import json
import os
import signal
import threading
import time
import uuid
from email.message import EmailMessage
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.common.plain_http import PlainHandler

ROOT = Path(__file__).resolve().parents[2]


class MailStore:
    """aiosmtpd handler: keeps received messages in memory and, optionally, as .eml files."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self.raw: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        with self._lock:
            self.raw.append(content)
            self.envelopes.append((str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos]))
            if self.folder is not None:
                name = f"{time.strftime('%Y%m%dT%H%M%S')}-{len(self.raw):05d}-{uuid.uuid4().hex[:6]}.eml"
                (self.folder / name).write_bytes(content)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            raw = list(self.raw)
        return [email.message_from_bytes(r, policy=email.policy.default) for r in raw]

    def stored_files(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml")) if self.folder else []


def start_smtp(store: MailStore, host: str = "127.0.0.1", port: int = 8025, **options: Any) -> Controller:
    """Run an SMTP server in a thread; `options` go to aiosmtpd's SMTP (authenticator, auth_required, ...)."""
    controller = Controller(store, hostname=host, port=port, **options)
    controller.start()
    return controller


def _summaries(folder: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted(folder.glob("*.eml"), reverse=True):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        out.append({"file": path.name, "date": msg.get("Date", ""), "to": msg.get("To", ""),
                    "subject": msg.get("Subject", ""), "kind": msg.get("X-Progadmin-Kind", ""),
                    "language": msg.get("Content-Language", "")})
    return out


def page_server(folder: Path, host: str, port: int) -> ThreadingHTTPServer:
    """`/` lists mails (newest first), `/messages` as JSON, `/messages/<file>` the raw .eml."""

    class Page(PlainHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path == "/messages":
                self.answer(200, json.dumps(_summaries(folder)).encode(), "application/json")
            elif self.path.startswith("/messages/"):
                path = folder / Path(self.path[len("/messages/"):]).name
                if path.suffix == ".eml" and path.exists():
                    self.answer(200, path.read_bytes(), "message/rfc822")
                else:
                    self.answer(404, b"not found", "text/plain")
            elif self.path == "/":
                rows = "".join(
                    f"<tr><td>{html.escape(m['date'])}</td><td>{html.escape(m['to'])}</td>"
                    f"<td>{html.escape(m['kind'])}</td><td>{html.escape(m['language'])}</td>"
                    f"<td><a href='/messages/{html.escape(m['file'])}'>{html.escape(m['subject'])}</a></td></tr>"
                    for m in _summaries(folder))
                body = ("<!DOCTYPE html><html lang='nl'><head><meta charset='utf-8'><title>Ontvangen mail</title>"
                        "</head><body style='font-family: Arial, sans-serif'><h1>Ontvangen mail / Received mail</h1>"
                        "<table border='1' cellpadding='4'><tr><th>Datum</th><th>Aan</th><th>Soort</th>"
                        f"<th>Taal</th><th>Onderwerp</th></tr>{rows}</table></body></html>")
                self.answer(200, body.encode(), "text/html; charset=utf-8")
            else:
                self.answer(404, b"not found", "text/plain")

    return ThreadingHTTPServer((host, port), Page)


def main() -> None:
    host = os.environ.get("PROGADMIN_SMTP_HOST", "127.0.0.1")
    smtp_port = int(os.environ.get("PROGADMIN_SMTP_PORT") or 8025)
    web_port = int(os.environ.get("PROGADMIN_SMTP_WEB_PORT") or 8026)
    folder = Path(os.environ.get("PROGADMIN_SMTP_SINK_DIR") or ROOT / ".local" / "mail")
    controller = start_smtp(MailStore(folder), host, smtp_port)
    web = page_server(folder, host, web_port)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    threading.Thread(target=web.serve_forever, daemon=True).start()
    print(f"smtp sink: SMTP on {host}:{smtp_port}, mail at http://{host}:{web_port}/ (files in {folder})",
          flush=True)
    stop.wait()
    web.shutdown()
    controller.stop()


if __name__ == "__main__":
    main()
