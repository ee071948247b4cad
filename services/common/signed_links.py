"""Signed, expiring links for people without a login (participants, directors).

A link token is `<payload>.<signature>`: the payload is URL-safe base64 of a
small JSON object (`act` action, `sub` subject ids, `exp` expiry, `jti`
unique id), the signature HMAC-SHA256 over the payload with
`PROGADMIN_LINK_SECRET`. Tampering breaks the signature; expiry is checked on
every use. Single use is the endpoint's job: it records `jti` in its own
database in the same transaction as the action (see `claim_jti` helpers in
the services), so a replayed link is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any


class InvalidLink(ValueError):
    """The link is malformed, forged, or expired; `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LinkClaims:
    action: str
    subject: dict[str, str]
    expires_at: int
    jti: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def sign(secret: str, action: str, subject: dict[str, str], ttl_seconds: int, now: float | None = None) -> str:
    """Make a token allowing `action` on `subject` until now + ttl."""
    claims = {"act": action, "sub": subject, "exp": int((now or time.time()) + ttl_seconds), "jti": uuid.uuid4().hex}
    payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_sign(secret, payload)}"


def verify(secret: str, token: str, action: str, now: float | None = None) -> LinkClaims:
    """Check signature, action and expiry; raise InvalidLink otherwise."""
    payload, dot, signature = token.partition(".")
    if not dot or not payload or not signature or not token.isascii():
        # A real token is URL-safe base64 only; anything else is refused before
        # compare_digest, which raises TypeError on non-ASCII text.
        raise InvalidLink("malformed")
    if not hmac.compare_digest(_sign(secret, payload).encode(), signature.encode()):
        raise InvalidLink("bad signature")
    try:
        claims: dict[str, Any] = json.loads(_unb64(payload))
    except ValueError as exc:
        raise InvalidLink("malformed") from exc
    if claims.get("act") != action:
        raise InvalidLink("wrong action")
    if int(claims.get("exp", 0)) < (now or time.time()):
        raise InvalidLink("expired")
    return LinkClaims(action=claims["act"], subject=dict(claims.get("sub") or {}), expires_at=int(claims["exp"]),
                      jti=str(claims["jti"]))


# The director's company report: reporting serves it at this path to whoever holds the link (no login);
# notifications puts the link in the periodic progress mail. One definition for both.
COMPANY_REPORT = "company-report"
COMPANY_REPORT_PATH = "/api/v1/company-reports/"


def company_report_url(secret: str, reporting_url: str, programme_id: str, company_id: str, ttl_seconds: int,
                       now: float | None = None) -> str:
    """A signed link to one company's report in one programme, at reporting's public URL."""
    token = sign(secret, COMPANY_REPORT, {"programme_id": str(programme_id), "company_id": str(company_id)},
                 ttl_seconds, now=now)
    return f"{reporting_url}{COMPANY_REPORT_PATH}{token}"
