"""Bearer tokens: JWT with OIDC-shaped claims, verified by every service.

Claims: `sub`, `name`, `roles` (fund_admin, coordinator, facilitator,
reporting_consumer), `regions` (for coordinators), `iss`, `aud`, `exp`.
Locally tokens are HS256 with `PROGADMIN_JWT_SECRET`; mint one with

    python -m services.common.auth mint --role coordinator --region Noord
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar, cast

import jwt
from flask import current_app, g, request
from werkzeug.exceptions import Forbidden, Unauthorized

from services.common.config import Settings

ROLES = ("fund_admin", "coordinator", "facilitator", "reporting_consumer")
REGIONS = ("Noord", "Midden", "Zuid")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]
    regions: frozenset[str] = field(default_factory=frozenset)
    name: str = ""

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def may_see_region(self, region: str) -> bool:
        """fund_admin sees every region; a coordinator only their own."""
        return "fund_admin" in self.roles or region in self.regions


def mint(settings: Settings, subject: str, roles: list[str], regions: list[str] | None = None,
         name: str = "", ttl_seconds: int = 8 * 3600) -> str:
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    now = int(time.time())
    claims = {"sub": subject, "name": name or subject, "roles": roles, "regions": regions or [],
              "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def verify(settings: Settings, token: str) -> Principal:
    """Decode and check signature, expiry, issuer and audience."""
    try:
        claims = jwt.decode(token, settings.jwt_secret, algorithms=["HS256"], audience=settings.jwt_audience,
                            issuer=settings.jwt_issuer, options={"require": ["exp", "sub", "iss", "aud"]})
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid bearer token: {exc}") from exc
    roles = claims.get("roles") or []
    regions = claims.get("regions") or []
    if not isinstance(roles, list) or not isinstance(regions, list):
        raise Unauthorized("invalid bearer token: roles and regions must be lists")
    return Principal(subject=str(claims["sub"]), roles=frozenset(map(str, roles)),
                     regions=frozenset(map(str, regions)), name=str(claims.get("name", "")))


def current_principal() -> Principal:
    """The caller of this request; 401 without a valid bearer token."""
    cached = g.get("principal")
    if cached is not None:
        return cast(Principal, cached)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("a bearer token is required")
    principal = verify(current_app.config["SETTINGS"], token.strip())
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
    m = sub.add_parser("mint", help="mint a local bearer token")
    m.add_argument("--role", action="append", required=True, choices=ROLES)
    m.add_argument("--region", action="append", default=[], choices=REGIONS)
    m.add_argument("--sub", default="local-user")
    m.add_argument("--name", default="")
    m.add_argument("--ttl", type=int, default=8 * 3600, help="lifetime in seconds")
    args = parser.parse_args(argv)
    print(mint(Settings.from_env("enrolment"), args.sub, args.role, args.region, args.name, args.ttl))
    return 0


if __name__ == "__main__":
    sys.exit(main())
