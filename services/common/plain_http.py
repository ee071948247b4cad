"""The base of a process's small side servers on http.server (a worker's /livez, /readyz and /metrics, the local
SMTP sink's page): one way to answer, and no access log (they are polled every few seconds)."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from typing import Any


class PlainHandler(BaseHTTPRequestHandler):
    def answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass
