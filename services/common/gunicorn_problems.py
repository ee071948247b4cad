"""gunicorn's own error answers (414 URI too long, 431 header too large, 400 malformed request) as
problem+json, like every answer the services give.

gunicorn refuses such requests before any application code runs and writes a small HTML page via
`gunicorn.util.write_error`; `install()` (called from deploy/gunicorn.conf.py in every worker)
replaces that writer. The limits themselves stay gunicorn's, documented in the README:
request line 4094 bytes, a header field 8190 bytes, at most 100 header fields.
"""

from __future__ import annotations

import json
import socket

from gunicorn import util

PROBLEM_TYPE = "urn:progadmin:problem:request-refused"


def problem_bytes(status: int, reason: str, message: str) -> bytes:
    """The whole HTTP/1.1 answer: status line, headers, RFC 9457 body (the detail is cut short, not echoed)."""
    body = json.dumps({"type": PROBLEM_TYPE if status < 500 else "about:blank", "title": reason,
                       "status": status, "detail": message[:200]}).encode()
    reason_line = reason.encode("latin-1", "replace").decode("latin-1")
    head = (f"HTTP/1.1 {status} {reason_line}\r\nConnection: close\r\n"
            f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


def write_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    util.write_nonblock(sock, problem_bytes(status_int, reason, mesg))


def install() -> None:
    util.write_error = write_error
