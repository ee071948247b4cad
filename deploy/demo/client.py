"""A small client for the platform's public HTTP APIs at the one origin (`<origin>/api/<service>/v1/...`).

Bearer tokens come from the identity provider (client-credentials grant of
the demo loader's client, a fund_admin service account) and are fetched
again before they expire; `dev_token` replaces that with a development
token minted locally (only where the services accept them).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from deploy.http_client import Answer, exchange
from services.common import signed_links


class DemoError(RuntimeError):
    """Loading stopped; the message says why and what to do."""


def client_credentials(issuer: str, client_id: str, secret: str) -> tuple[str, float]:
    """(access token, seconds it lives) from the provider's token endpoint (as deploy.identity does)."""
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client_id,
                                   "client_secret": secret}).encode()
    request = urllib.request.Request(f"{issuer.rstrip('/')}/protocol/openid-connect/token", data=form, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise DemoError(f"the identity provider refused the client `{client_id}` ({exc.code}: "
                        f"{exc.read()[:300]!r}); is PROGADMIN_DEMO_CONSUMER_SECRET right?") from exc
    except OSError as exc:
        raise DemoError(f"no identity provider at {issuer} ({exc}); start the stack (deploy/up) or set "
                        "PROGADMIN_OIDC_ISSUER") from exc
    return str(body["access_token"]), float(body.get("expires_in", 300))


@dataclass
class Api:
    origin: str
    token_source: Callable[[], tuple[str, float]]
    link_secret: str
    _token: str = ""
    _renew_at: float = 0.0
    calls: int = field(default=0)

    def token(self) -> str:
        if time.monotonic() >= self._renew_at:
            token, lives = self.token_source()
            self._token, self._renew_at = token, time.monotonic() + max(lives - 60, lives / 2)
        return self._token

    def call(self, method: str, service: str, path: str, body: Any = None, *, key: str | None = None,
             bearer: bool = True, query: dict[str, Any] | None = None) -> Answer:
        url = f"{self.origin}/api/{service}/v1{path}"
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        headers = {}
        if bearer:
            headers["Authorization"] = f"Bearer {self.token()}"
        if key:
            headers["Idempotency-Key"] = key
        # With a key (or a read), a retry is never a second write.
        may_retry = bool(key) or method == "GET"
        for attempt in (1, 2, 3):
            self.calls += 1
            try:
                answer = exchange(method, url, body, headers)
            except OSError as exc:
                if attempt < 3 and may_retry:
                    time.sleep(attempt)
                    continue
                raise DemoError(f"{method} {url} failed: {exc}; is the stack running at {self.origin}?") from exc
            # A 502/503 from nginx while a worker restarts: retry.
            if answer.status in (502, 503, 504) and attempt < 3 and may_retry:
                time.sleep(attempt)
                continue
            return answer
        raise AssertionError("unreachable")

    def must(self, method: str, service: str, path: str, body: Any = None, *, key: str | None = None,
             query: dict[str, Any] | None = None, bearer: bool = True) -> Any:
        """The call's body; anything but 2xx stops loading with the problem the service gave."""
        answer = self.call(method, service, path, body, key=key, query=query, bearer=bearer)
        if not answer.ok:
            raise DemoError(f"{method} /api/{service}/v1{path} answered {answer.status}: "
                            f"{json.dumps(answer.body, ensure_ascii=False)[:800]}")
        return answer.body

    def items(self, service: str, path: str, **query: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list."""
        page = 1
        while True:
            body = self.must("GET", service, path, query={**query, "page": page, "page_size": 100})
            yield from body["items"]
            if page * 100 >= int(body["total"]):
                return
            page += 1

    def link(self, action: str, session_id: str, person_id: str, body: dict[str, Any] | None = None) -> Any:
        """What a participant's link in a mail does: sign it as notifications does (letters.py), then POST it."""
        token = signed_links.sign(self.link_secret, action, {"session_id": session_id, "person_id": person_id},
                                  14 * 24 * 3600)
        return self.must("POST", "sessions", f"/links/{action}", body or {}, query={"token": token}, bearer=False)


def wait_for(check: Callable[[], bool], what: str, timeout: float = 90, every: float = 0.5) -> None:
    """Poll until `check()` holds (the services learn of each other's facts through Kafka, a moment later)."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if time.monotonic() > deadline:
            raise DemoError(f"waited {timeout:.0f}s for {what}; are the workers running (deploy.stack status)?")
        time.sleep(every)
