"""One JSON request to a running service, for what drives the platform from outside.

The demo loader, the benchmarks, the fault suite and the end-to-end tests
all call the services' APIs the same way: JSON in, JSON out, and an error
status is an answer to look at, not an exception. Each caller keeps its own
policy around it (tokens, retries, what counts as failure); this is the one
exchange underneath. It lives in deploy because the demo loader ships there
and bench and tests already build on deploy.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

# An error body that is not JSON (a proxy's HTML page) is kept as text, this long, for the message.
TEXT_KEPT = 500


@dataclass
class Answer:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def exchange(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None,
             timeout: float = 30) -> Answer:
    """Send `body` as JSON (none: no body) and parse the answer.

    An HTTP error status comes back as an Answer; a connection error, a
    timeout or a success body that is not JSON raises (OSError, ValueError),
    so the caller decides whether to try again.
    """
    data = json.dumps(body).encode() if body is not None else None
    sent = {"Accept": "application/json", **(headers or {})}
    if data is not None:
        sent.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return Answer(response.status, json.loads(raw) if raw else None)
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return Answer(exc.code, json.loads(raw) if raw else None)
        except ValueError:
            return Answer(exc.code, raw.decode(errors="replace")[:TEXT_KEPT])
