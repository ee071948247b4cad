"""Bearer tokens: who is calling, checked the same way in every service.

Staff and reporting consumers get access tokens from the fund's identity
provider over OpenID Connect (Keycloak locally; Entra ID or any provider by
configuration). A token is accepted when it is signed with RS256 or ES256 by
a key in the provider's JWKS (discovered from the issuer URL, cached, fetched
again when a token names an unknown `kid`), and its issuer, audience and
expiry hold, within a small clock skew.

Roles and regions come from claims the provider maps (claim names are
settings; a dotted name such as `realm_access.roles` reaches into an
object). Regions are data: whatever the caller's claim says.

Development mode (never in production): tokens signed with the shared
HS256 secret are accepted too, and can be minted on the command line:

    python -m services.common.auth mint --role coordinator --region Noord
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar, cast

import jwt
from flask import current_app, g, request
from werkzeug.exceptions import Forbidden, Unauthorized

from services.common.config import Settings

ROLES = ("fund_admin", "coordinator", "facilitator", "reporting_consumer")
DEV_ALGORITHM = "HS256"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]
    regions: frozenset[str] = field(default_factory=frozenset)
    name: str = ""
    # The OAuth client the token was issued to (`azp`): a reporting consumer's own client id.
    client_id: str = ""

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def may_see_region(self, region: str) -> bool:
        """fund_admin sees every region; a coordinator only their own."""
        return "fund_admin" in self.roles or region in self.regions


def mint(settings: Settings, subject: str, roles: list[str], regions: list[str] | None = None,
         name: str = "", ttl_seconds: int = 8 * 3600) -> str:
    """A development token (HS256, the shared secret); production refuses these."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    now = int(time.time())
    claims = {"sub": subject, "name": name or subject, "roles": roles, "regions": regions or [],
              "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, settings.jwt_secret, algorithm=DEV_ALGORITHM)


class ProviderKeys:
    """The identity provider's metadata and signing keys, fetched on demand and cached.

    An unknown `kid` makes the set be fetched again (the provider rotated its
    keys), but at most once per `min_refresh_s`, so a stream of made-up kids
    cannot turn every request into a call to the provider.
    """

    def __init__(self, issuer: str, discovery_url: str = "", min_refresh_s: float = 10.0,
                 max_age_s: float = 3600.0, timeout_s: float = 5.0) -> None:
        self.issuer = issuer.rstrip("/")
        self.discovery_url = discovery_url or f"{self.issuer}/.well-known/openid-configuration"
        self.min_refresh_s = min_refresh_s
        self.max_age_s = max_age_s
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")

    def _get_json(self, url: str) -> dict[str, Any]:
        req = urllib.request.Request(url, headers={"Accept": "application/json"})
        with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:  # noqa: S310 (configured URL)
            return cast(dict[str, Any], json.loads(resp.read()))

    def metadata(self) -> dict[str, Any]:
        """The provider's OpenID configuration (endpoints, jwks_uri)."""
        with self._lock:
            if self._metadata is None:
                self._metadata = self._get_json(self.discovery_url)
            return self._metadata

    def _refresh(self) -> None:
        jwks = self._get_json(self.metadata()["jwks_uri"])
        keys: dict[str, jwt.PyJWK] = {}
        for entry in jwks.get("keys", []):
            if entry.get("use", "sig") != "sig" or "kid" not in entry:
                continue
            try:
                keys[entry["kid"]] = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue  # a key type this library cannot use (e.g. an encryption-only key)
        self._keys = keys
        self._fetched_at = time.monotonic()

    def key(self, kid: str) -> jwt.PyJWK:
        age = time.monotonic() - self._fetched_at
        if kid in self._keys and age < self.max_age_s:
            return self._keys[kid]
        if kid not in self._keys and age < self.min_refresh_s:
            raise Unauthorized("invalid bearer token: unknown signing key")
        try:
            self._refresh()
        except OSError as exc:
            if kid in self._keys:
                return self._keys[kid]  # provider briefly away: keep trusting what it published
            raise Unauthorized(f"cannot reach the identity provider to check the token: {exc}") from exc
        if kid not in self._keys:
            raise Unauthorized("invalid bearer token: unknown signing key")
        return self._keys[kid]


_providers: dict[tuple[str, str], ProviderKeys] = {}
_providers_lock = threading.Lock()


def provider_keys(settings: Settings) -> ProviderKeys:
    """One cache of the provider's keys per process (shared by every request)."""
    key = (settings.oidc_issuer, settings.oidc_discovery_url)
    with _providers_lock:
        if key not in _providers:
            _providers[key] = ProviderKeys(settings.oidc_issuer, settings.oidc_discovery_url,
                                           settings.oidc_jwks_min_refresh_s)
        return _providers[key]


def claim(claims: dict[str, Any], name: str) -> Any:
    """A claim by name; `a.b` reaches into the object `a` (Keycloak's `realm_access.roles`).

    A claim whose own name holds a dot (Entra's `extn.regions`) is found as it is first.
    """
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _string_list(value: Any, what: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset({value})
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Unauthorized(f"invalid bearer token: {what} must be a list of strings")
    return frozenset(value)


def verify(settings: Settings, token: str) -> Principal:
    """Check signature, expiry, issuer and audience; 401 for anything else."""
    return _verify(settings, token)[0]


def _verify(settings: Settings, token: str) -> tuple[Principal, float]:
    """`verify`, and the token's expiry (a POSIX time)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid bearer token: {exc}") from exc
    alg = header.get("alg")
    options: Any = {"require": ["exp", "sub", "iss", "aud"]}
    try:
        if alg == DEV_ALGORITHM and settings.dev_tokens:
            claims = jwt.decode(token, settings.jwt_secret, algorithms=[DEV_ALGORITHM],
                                audience=settings.jwt_audience, issuer=settings.jwt_issuer,
                                leeway=settings.oidc_leeway_s, options=options)
            roles_claim, regions_claim = "roles", "regions"
        elif alg in settings.oidc_algorithms and settings.oidc_issuer:
            kid = header.get("kid")
            if not isinstance(kid, str):
                raise Unauthorized("invalid bearer token: no key id")
            signing_key = provider_keys(settings).key(kid)
            claims = jwt.decode(token, signing_key, algorithms=list(settings.oidc_algorithms),
                                audience=settings.oidc_audience, issuer=settings.oidc_issuer,
                                leeway=settings.oidc_leeway_s, options=options)
            roles_claim, regions_claim = settings.oidc_roles_claim, settings.oidc_regions_claim
        else:
            raise Unauthorized(f"invalid bearer token: algorithm {alg!r} is not accepted")
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid bearer token: {exc}") from exc
    roles = _string_list(claim(claims, roles_claim), "roles")
    return Principal(subject=str(claims["sub"]), roles=roles & set(ROLES),
                     regions=_string_list(claim(claims, regions_claim), "regions"),
                     name=str(claims.get("name") or claims.get("preferred_username") or ""),
                     client_id=str(claims.get("azp") or "")), float(claims["exp"])


def bearer_token() -> str | None:
    """The bearer token of this request, if it carries one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class VerifiedTokens:
    """Tokens this process verified lately, with their principal: a client sends one token for many requests.

    Checking a token (header, signature, claims) costs about half a millisecond per request
    (issue 14's profile of a write). An entry is used only while the token's own expiry holds and for at
    most `max_age_s` after it was checked, so a signing key the provider withdraws stops being trusted
    within that time; only tokens that passed `verify` are kept, so a refusal is always checked anew.
    """

    def __init__(self, max_age_s: float = 60.0, max_entries: int = 4096) -> None:
        self.max_age_s = max_age_s
        self.max_entries = max_entries
        self._entries: dict[str, tuple[Principal, float]] = {}

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if time.time() >= entry[1]:
            self._entries.pop(token, None)
            return None
        return entry[0]

    def put(self, token: str, principal: Principal, expires_at: float) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # many distinct tokens at once: start over rather than grow
        self._entries[token] = (principal, min(expires_at, time.time() + self.max_age_s))


def current_principal() -> Principal:
    """The caller of this request; 401 without a valid bearer token."""
    cached = g.get("principal")
    if cached is not None:
        return cast(Principal, cached)
    token = bearer_token()
    if token is None:
        raise Unauthorized("a bearer token is required")
    tokens: VerifiedTokens = current_app.extensions.setdefault("progadmin_verified_tokens", VerifiedTokens())
    principal = tokens.get(token)
    if principal is None:
        principal, expires_at = _verify(current_app.config["SETTINGS"], token)
        tokens.put(token, principal, expires_at)
    g.principal = principal
    return principal


def require_roles(*roles: str) -> Callable[[F], F]:
    """Allow the view only to callers holding one of `roles` (403 otherwise)."""
    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if not principal.has(*roles):
                raise Forbidden(f"requires one of the roles: {', '.join(roles)}")
            return view(*args, **kwargs)
        return cast(F, wrapper)
    return decorate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.common.auth")
    sub = parser.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("mint", help="mint a development bearer token (refused in production)")
    m.add_argument("--role", action="append", required=True, choices=ROLES)
    m.add_argument("--region", action="append", default=[], help="a region the coordinator covers (any name)")
    m.add_argument("--sub", default="local-user")
    m.add_argument("--name", default="")
    m.add_argument("--ttl", type=int, default=8 * 3600, help="lifetime in seconds")
    args = parser.parse_args(argv)
    settings = Settings.from_env("enrolment")
    if not settings.dev_tokens:
        parser.error("development tokens are switched off (PROGADMIN_DEV_TOKENS=0 or PROGADMIN_ENV=production)")
    print(mint(settings, args.sub, args.role, args.region, args.name, args.ttl))
    return 0


if __name__ == "__main__":
    sys.exit(main())
