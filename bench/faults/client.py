"""HTTP to the services' own ports, as a script or an integration would call them.

Every write carries an `Idempotency-Key`. A write that meets a connection
error, a timeout or a 5xx (a database restarting under the web process) is
sent again with the same key until it gets an answer or the deadline passes:
the service either replays the stored answer or runs it for the first time,
so a retried write is never doubled. One client per cohort counts its writes.
"""

from __future__ import annotations

import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deploy.http_client import Answer, exchange
from services.common.auth import mint
from services.common.config import Settings


class DriverError(RuntimeError):
    """A call that kept failing past its deadline, or answered what the programme did not expect."""


@dataclass
class Api:
    urls: dict[str, str]  # service -> http://127.0.0.1:<port>
    settings: Settings  # for development tokens (HS256)
    retry_for: float = 120.0
    writes: int = 0  # writes issued (first attempts)
    retries: int = 0  # writes sent again with the same key
    retry_reasons: set[str] = field(default_factory=set)  # why, in short
    # Every attempt of a write: (monotonic start, HTTP status or 0 when no answer), so a fault can tell
    # which writes met it and what they got.
    attempts: list[tuple[float, int]] = field(default_factory=list)
    _tokens: dict[tuple[str, ...], str] = field(default_factory=dict)

    def token(self, role: str, *regions: str) -> str:
        key = (role, *regions)
        if key not in self._tokens:
            self._tokens[key] = mint(self.settings, f"fault-suite-{role}", [role], list(regions), ttl_seconds=6 * 3600)
        return self._tokens[key]

    def call(self, method: str, service: str, path: str, body: Any = None, *, role: str = "fund_admin",
             key: str | None = None, query: dict[str, Any] | None = None) -> Answer:
        url = f"{self.urls[service]}/api/v1{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = {"Authorization": f"Bearer {self.token(role, 'Noord')}" if role == "coordinator"
                   else f"Bearer {self.token(role)}"}
        write = method != "GET"
        if write and method == "POST":
            headers["Idempotency-Key"] = key or f"fault-suite-{uuid.uuid4()}"
        self.writes += write
        deadline = time.monotonic() + self.retry_for
        last = ""
        while True:
            at = time.monotonic()
            try:
                answer = exchange(method, url, body, headers)
                if write:
                    self.attempts.append((at, answer.status))
                if answer.status < 500:
                    return answer
                title = answer.body.get("title") if isinstance(answer.body, dict) else None
                last = f"{answer.status} {title}: {str(answer.body)[:300]}"
            except (OSError, ValueError) as exc:  # refused, reset, timed out, cut short
                if write:
                    self.attempts.append((at, 0))
                last = f"{type(exc).__name__}: {exc}"
            if time.monotonic() > deadline:
                raise DriverError(f"{method} {url}: no answer within {self.retry_for:.0f}s, last: {last}")
            self.retries += write
            self.retry_reasons.add(last.split(":")[0][:60])
            time.sleep(0.5)

    def must(self, method: str, service: str, path: str, body: Any = None, **kw: Any) -> Any:
        answer = self.call(method, service, path, body, **kw)
        if not answer.ok:
            raise DriverError(f"{method} {service} {path} -> {answer.status}: {str(answer.body)[:600]}")
        return answer.body

    def items(self, service: str, path: str, role: str = "fund_admin", **query: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self.must("GET", service, path, role=role, query={**query, "page": page, "page_size": 100})
            out += body["items"]
            if page * 100 >= int(body["total"]):
                return out
            page += 1


def wait_for(check: Callable[[], bool], what: str, timeout: float, every: float = 0.5) -> float:
    """Poll until `check()` holds; the seconds it took. DriverError after `timeout`."""
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise DriverError(f"waited {timeout:.0f}s for {what}")
        time.sleep(every)
