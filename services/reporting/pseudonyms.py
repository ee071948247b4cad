"""Pseudonymous ids for the external event stream.

An internal id (a person, a company, an enrolment, ...) becomes a stable,
UUID-shaped pseudonym: HMAC-SHA256 with `PROGADMIN_REPORTING_PSEUDONYM_SECRET`
over `<kind>:<id>`, truncated to 128 bits and stamped as a version-8 UUID
(RFC 9562 "custom"). The same id always maps to the same pseudonym, so
consumers can count and join; without the secret nobody can map it back,
and ids that leak elsewhere (a link in a mail) cannot be matched to it.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid


def pseudonym(secret: str, kind: str, value: str) -> str:
    """The pseudonymous UUID for `value` of `kind` (person, company, ...)."""
    digest = bytearray(hmac.new(secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80  # version 8
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122/9562 variant
    return str(uuid.UUID(bytes=bytes(digest)))
