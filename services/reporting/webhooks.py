"""Webhook delivery: signing, the endpoint policy and the dispatcher.

Signature: the Standard Webhooks specification (standardwebhooks.com), exactly, so
any of its libraries verifies a delivery (`standardwebhooks.Webhook(secret).verify`):

- `webhook-id`: the public event's id (the CloudEvent `id`). It is the same on a
  retry, a redelivery and a replay, so a receiver dedupes on it;
- `webhook-timestamp`: unix seconds when this attempt was sent;
- `webhook-signature`: `v1,<base64 HMAC-SHA256>` over `<id>.<timestamp>.<raw body>`,
  keyed by the secret's bytes: a secret is `whsec_` + base64 of 32 random bytes.
  Several signatures are separated by spaces.

Secret rotation: a new secret signs at once; the previous one keeps signing beside
it (two signatures) until its overlap ends, so a receiver still holding the old
secret verifies every delivery while it switches. After the overlap only the new one.

Order and retries: per subscription the dispatcher delivers pending
deliveries in the order they were enqueued (external position order) and
stops at the first failure, so a consumer never receives event N+1 before
event N. A failing subscription is retried with exponential backoff
(`BACKOFF_BASE` doubling, at most `BACKOFF_CAP`); once it has been failing
for `reporting_webhook_retry_hours` (24 h) it is disabled. Its pending
deliveries wait; re-activating it delivers them, in order, without gaps.
The clock is injected, so tests move time instead of sleeping.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import http.client
import ipaddress
import logging
import secrets
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg_pool import ConnectionPool

from services.common.events import encode
from services.reporting import db
from services.reporting.settings import ReportingSettings

log = logging.getLogger(__name__)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
BATCH = 100
DEVELOPMENT_ENVS = ("development", "test")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


# -- signature (Standard Webhooks) -----------------------------------------------------------
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification asks for 24 to 64
DEFAULT_SECRET_OVERLAP = timedelta(hours=24)
MAX_SECRET_OVERLAP = timedelta(days=7)


def new_secret() -> str:
    """A fresh signing secret: `whsec_` + standard base64 of random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key: the bytes the base64 after `whsec_` stands for."""
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a webhook secret is whsec_ followed by base64") from exc
    if not key:
        raise ValueError("a webhook secret may not be empty")
    return key


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`."""
    mac = hmac.new(secret_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signing_secrets(sub: dict[str, Any], now: datetime) -> list[str]:
    """The subscription's secret, and the previous one while its overlap lasts (newest first)."""
    current = [sub["secret"]]
    until = sub.get("previous_secret_expires_at")
    if sub.get("previous_secret") and until is not None and now < until:
        return [*current, sub["previous_secret"]]
    return current


def signed_headers(keys: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The request headers: one signature per secret in `keys`, space-separated."""
    return {"Content-Type": "application/cloudevents+json; charset=utf-8", "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(signature(k, msg_id, timestamp, body) for k in keys),
            "User-Agent": "progadmin-reporting-webhooks/2"}


def backoff(failures: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 1 h: the wait after the n-th consecutive failure."""
    return min(BACKOFF_BASE * (2 ** min(max(failures - 1, 0), 16)), BACKOFF_CAP)


# -- endpoint policy -------------------------------------------------------------------------
class EndpointRefused(ValueError):
    """An endpoint reporting will not call; `reason` says why."""


Resolver = Callable[[str], list[str]]


def resolve(host: str) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})


def check_endpoint(url: str, env: str, resolver: Resolver = resolve) -> list[str]:
    """Only https to public addresses outside development; http and loopback are fine in development/test.

    Returns the vetted addresses (none in development): the sender connects to one of them instead of
    resolving the name again, so DNS cannot point it elsewhere between the check and the connection.
    """
    parts = urlsplit(url)
    development = env in DEVELOPMENT_ENVS
    if parts.scheme not in (("https", "http") if development else ("https",)):
        raise EndpointRefused("must be an https URL" if not development else "must be an http(s) URL")
    if not parts.hostname:
        raise EndpointRefused("has no host")
    if parts.username or parts.password:
        raise EndpointRefused("must not carry credentials")
    if development:
        return []
    try:
        addresses = [parts.hostname] if _is_ip(parts.hostname) else resolver(parts.hostname)
    except OSError as exc:
        raise EndpointRefused(f"host does not resolve ({exc})") from exc
    if not addresses:
        raise EndpointRefused("host does not resolve")
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
                or ip.is_unspecified or not ip.is_global):
            raise EndpointRefused(f"resolves to a private or loopback address ({address})")
    return addresses


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


# -- sending ---------------------------------------------------------------------------------
@dataclass
class Outcome:
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is a failure: it could point anywhere (e.g. inside the network)


_opener = urllib.request.build_opener(_NoRedirects)
# url, body, headers, timeout, the vetted address to connect to (None: resolve the host as usual)
Sender = Callable[[str, bytes, dict[str, str], float, str | None], Outcome]


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to a vetted address; the Host header still names the host."""

    def __init__(self, host: str, port: int | None, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """TLS to a vetted address; SNI and certificate checks still use the host name."""

    def __init__(self, host: str, port: int | None, address: str, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def _pinned_post(url: str, body: bytes, headers: dict[str, str], timeout: float, address: str) -> int:
    parts = urlsplit(url)
    if parts.hostname is None or parts.scheme not in ("http", "https"):
        raise ValueError(f"cannot post to {url!r}")
    kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    conn = kind(parts.hostname, parts.port, address, timeout)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("POST", path, body=body, headers=headers)
        return conn.getresponse().status  # 3xx is not followed: a redirect is a failure
    finally:
        conn.close()


def http_post(url: str, body: bytes, headers: dict[str, str], timeout: float,
              connect_to: str | None = None) -> Outcome:
    """POST; any 2xx is success, everything else (3xx included) a failure."""
    started = time.monotonic()
    try:
        if connect_to is not None:
            status = _pinned_post(url, body, headers, timeout, connect_to)
        else:
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")
            with _opener.open(request, timeout=timeout) as response:
                status = response.status
        error = None if 200 <= status < 300 else f"HTTP {status}"
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except (OSError, ValueError, http.client.HTTPException) as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"[:500]
    return Outcome(ok=error is None, status_code=status, error=error,
                   duration_ms=int((time.monotonic() - started) * 1000))


# -- the dispatcher --------------------------------------------------------------------------
class Dispatcher:
    """Turns new external events into deliveries and delivers them (one pass per `tick`)."""

    def __init__(self, settings: ReportingSettings, pool: ConnectionPool, clock: Clock = utc_now,
                 send: Sender = http_post, resolver: Resolver = resolve) -> None:
        self.settings = settings
        self.pool = pool
        self.clock = clock
        self.send = send
        self.resolver = resolver
        self.retry_window = timedelta(hours=settings.reporting_webhook_retry_hours)
        # Set by `run`: a stop ends a batch after the delivery in hand, so what was delivered is committed.
        self._stop = threading.Event()

    def enqueue(self, conn: psycopg.Connection[Any]) -> int:
        """Give every active subscription a delivery for each new matching external event."""
        rows = conn.execute(
            "WITH subs AS (SELECT id, cursor, event_types FROM subscriptions WHERE status = 'active'"
            "   FOR UPDATE SKIP LOCKED),"
            " new AS (INSERT INTO deliveries (id, subscription_id, position, event_type)"
            "   SELECT gen_random_uuid(), subs.id, x.position, x.event_type FROM subs"
            "   JOIN external_events x ON x.position > subs.cursor"
            "    AND (cardinality(subs.event_types) = 0 OR x.event_type = ANY(subs.event_types))"
            "   ORDER BY subs.id, x.position RETURNING 1),"
            # Positions become visible in order (see public_events), so the current max is a safe cursor.
            " moved AS (UPDATE subscriptions s SET cursor = (SELECT COALESCE(max(position), 0) FROM external_events)"
            "   FROM subs WHERE s.id = subs.id AND s.cursor < (SELECT COALESCE(max(position), 0) FROM external_events)"
            "   RETURNING 1)"
            " SELECT (SELECT count(*) FROM new) AS n").fetchone()
        return int(rows["n"]) if rows else 0

    def tick(self) -> int:
        """Enqueue, then deliver what is due; return how many deliveries succeeded."""
        with db.connect(self.pool) as conn, conn.transaction():
            self.enqueue(conn)
        now = self.clock()
        with db.connect(self.pool) as conn:
            due = conn.execute(
                "SELECT id FROM subscriptions WHERE status = 'active'"
                " AND (next_attempt_at IS NULL OR next_attempt_at <= %s)"
                " AND EXISTS (SELECT 1 FROM deliveries d WHERE d.subscription_id = subscriptions.id"
                "             AND d.status = 'pending') ORDER BY id", (now,)).fetchall()
        return sum(self.deliver(row["id"]) for row in due if not self._stop.is_set())

    def deliver(self, subscription_id: Any) -> int:
        """Deliver one subscription's pending deliveries in order, stopping at the first failure."""
        delivered = 0
        with db.connect(self.pool) as conn, conn.transaction():
            # SKIP LOCKED: a second dispatcher (another worker replica) leaves this subscription alone.
            sub = conn.execute("SELECT * FROM subscriptions WHERE id = %s AND status = 'active'"
                               " FOR UPDATE SKIP LOCKED", (subscription_id,)).fetchone()
            if sub is None:
                return 0
            pending = conn.execute(
                "SELECT d.id, d.position, x.event_id, x.payload FROM deliveries d"
                " JOIN external_events x USING (position) WHERE d.subscription_id = %s AND d.status = 'pending'"
                " ORDER BY d.seq LIMIT %s",
                (subscription_id, BATCH)).fetchall()
            for row in pending:
                if self._stop.is_set():
                    break
                now = self.clock()
                outcome = self._attempt(sub, str(row["event_id"]), encode(row["payload"]), now)
                conn.execute(
                    "INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code, error, duration_ms)"
                    " VALUES (%s, %s, %s, %s, %s)",
                    (row["id"], now, outcome.status_code, outcome.error, outcome.duration_ms))
                conn.execute(
                    "UPDATE deliveries SET attempts = attempts + 1, last_status_code = %s, last_error = %s,"
                    " last_attempt_at = %s, status = CASE WHEN %s THEN 'delivered' ELSE status END,"
                    " delivered_at = CASE WHEN %s THEN %s END WHERE id = %s",
                    (outcome.status_code, outcome.error, now, outcome.ok, outcome.ok, now, row["id"]))
                if outcome.ok:
                    delivered += 1
                    conn.execute("UPDATE subscriptions SET failing_since = NULL, consecutive_failures = 0,"
                                 " next_attempt_at = NULL, updated_at = %s WHERE id = %s", (now, subscription_id))
                    continue
                self._failed(conn, sub, now)
                break
        return delivered

    def _attempt(self, sub: dict[str, Any], msg_id: str, body: bytes, now: datetime) -> Outcome:
        try:  # checked again at send time: DNS may have changed since registration
            addresses = check_endpoint(sub["url"], self.settings.env, self.resolver)
        except EndpointRefused as exc:
            return Outcome(ok=False, status_code=None, error=f"endpoint refused: {exc}", duration_ms=0)
        headers = signed_headers(signing_secrets(sub, now), msg_id, int(now.timestamp()), body)
        # Connect to the address just checked, not to whatever the name resolves to a moment later.
        return self.send(sub["url"], body, headers, float(self.settings.reporting_webhook_timeout_s),
                         addresses[0] if addresses else None)

    def _failed(self, conn: psycopg.Connection[Any], sub: dict[str, Any], now: datetime) -> None:
        failing_since = sub["failing_since"] or now
        failures = int(sub["consecutive_failures"]) + 1
        if now - failing_since >= self.retry_window:
            conn.execute(
                "UPDATE subscriptions SET status = 'disabled', disabled_reason = %s, consecutive_failures = %s,"
                " failing_since = %s, next_attempt_at = NULL, updated_at = %s WHERE id = %s",
                (f"failing since {failing_since.isoformat()} ({failures} attempts); re-activate to resume",
                 failures, failing_since, now, sub["id"]))
            log.warning("webhooks: subscription %s disabled after %d failures", sub["id"], failures)
            return
        conn.execute(
            "UPDATE subscriptions SET failing_since = %s, consecutive_failures = %s, next_attempt_at = %s,"
            " updated_at = %s WHERE id = %s",
            (failing_since, failures, min(now + backoff(failures), failing_since + self.retry_window), now,
             sub["id"]))

    def run(self, stop: threading.Event) -> None:
        self._stop = stop
        poll = self.settings.reporting_webhook_poll_ms / 1000
        while not stop.is_set():
            try:
                self.tick()
            except Exception as exc:  # database down: try again on the next tick
                log.warning("webhooks: dispatch failed: %s", exc)
            stop.wait(poll)
