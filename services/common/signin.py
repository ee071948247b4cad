"""Sign-in for the pages: OpenID Connect authorization-code flow with PKCE.

Every service installs the same `/auth/*` routes and reads the same session
cookie (signed with `PROGADMIN_SESSION_SECRET`), so one sign-in at the origin
serves the pages of all four services. The browser holds only that cookie:
HttpOnly, SameSite=Lax, Secure when the origin is https. The tokens the
provider gave stay inside it, out of reach of JavaScript; every page request
verifies the access token exactly as an API call would (services.common.auth),
refreshes it when it runs out, and sends the person to sign in again when the
provider's session has ended.

Forms are protected against CSRF (flask-wtf). Requests that carry a bearer
token are not cookie-authenticated, so they need no CSRF token.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, Response, abort, current_app, g, redirect, request, session
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import Unauthorized
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response as WerkzeugResponse

from services.common.auth import Principal, bearer_token, provider_keys, verify
from services.common.config import Settings

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SESSION_KEY = "auth"
REFRESH_MARGIN_S = 30  # refresh a little before the access token runs out

blueprint = Blueprint("signin", __name__)
csrf = CSRFProtect()


def install_signin(app: Flask, settings: Settings) -> None:
    """Session cookie, CSRF protection, the provider client and the /auth routes."""
    # Behind the one origin nginx (or an Ingress) says where the request came from and under which
    # prefix this service lives, so redirects and url_for point at the origin.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1)  # type: ignore[method-assign]
    app.config.update(
        SECRET_KEY=settings.session_secret,
        SESSION_COOKIE_NAME="progadmin_session",
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",  # Lax, not Strict: the provider's redirect back must carry it
        SESSION_COOKIE_SECURE=settings.origin.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=settings.session_hours * 3600,
        WTF_CSRF_SSL_STRICT=False,  # the origin check below replaces the Referer check behind a proxy
    )
    csrf.init_app(app)
    oauth = OAuth(app)
    if settings.oidc_issuer:
        oauth.register(
            "idp", client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret,
            server_metadata_url=settings.oidc_discovery_url
            or f"{settings.oidc_issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": settings.oidc_scopes, "code_challenge_method": "S256"},
        )
    app.extensions["progadmin.oauth"] = oauth
    app.before_request(_check_csrf)
    app.register_blueprint(blueprint)


def _check_csrf() -> None:
    if request.method not in UNSAFE_METHODS or bearer_token() is not None:
        return
    if request.path == "/api" or request.path.startswith("/api/"):
        return  # APIs take bearer tokens only; a cookie never authenticates them
    csrf.protect()


def _settings() -> Settings:
    return cast(Settings, current_app.config["SETTINGS"])


# -- who is signed in ----------------------------------------------------------------------------------


def signed_in() -> Principal:
    """The signed-in person on a page behind `require_page_roles` (which has made sure there is one)."""
    principal = page_principal()
    if principal is None:
        abort(401)
    return principal


def page_principal() -> Principal | None:
    """The signed-in person of this page request, or None (anonymous).

    A bearer token (scripts, tests) is checked like an API call; otherwise the
    session's access token is, refreshed first when it has run out.
    """
    if "page_principal" in g:
        return cast(Principal | None, g.page_principal)
    settings = _settings()
    principal: Principal | None = None
    token = bearer_token()
    if token is not None:
        principal = verify(settings, token)
    else:
        tokens = session.get(SESSION_KEY)
        if isinstance(tokens, dict):
            if float(tokens.get("exp", 0)) - time.time() < REFRESH_MARGIN_S:
                tokens = _refresh(settings, tokens)
            if tokens is not None:
                try:
                    principal = verify(settings, str(tokens["at"]))
                except Unauthorized:
                    log.info("session token refused; signing out")
            if principal is None:
                session.pop(SESSION_KEY, None)
    g.page_principal = principal
    return principal


def require_page_roles(*roles: str) -> Callable[[F], F]:
    """Page views for `roles`: anonymous people are sent to sign in, others without the role get 403."""
    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = page_principal()
            if principal is None:
                target = request.script_root + request.full_path.rstrip("?")
                return redirect(f"{request.script_root}/auth/login?" + urllib.parse.urlencode({"next": target}))
            if roles and not principal.has(*roles):
                abort(403)
            return view(*args, **kwargs)
        return cast(F, wrapper)
    return decorate


def _token_endpoint(settings: Settings) -> str:
    return str(provider_keys(settings).metadata()["token_endpoint"])


def _refresh(settings: Settings, tokens: dict[str, Any]) -> dict[str, Any] | None:
    """New tokens from the refresh token; None when the provider's session is over."""
    refresh_token = tokens.get("rt")
    if not refresh_token or not settings.oidc_issuer:
        return None
    form = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": refresh_token,
                                   "client_id": settings.oidc_client_id,
                                   "client_secret": settings.oidc_client_secret}).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(_token_endpoint(settings), data=form), timeout=10) as r:
            body = json.loads(r.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        log.info("token refresh refused: %s", exc)
        return None
    fresh = _session_tokens(body, previous=tokens)
    session[SESSION_KEY] = fresh
    return fresh


def _session_tokens(body: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the session keeps: access, refresh and ID token, and when the access token runs out."""
    previous = previous or {}
    expires_at = body.get("expires_at") or time.time() + float(body.get("expires_in", 60))
    return {"at": body["access_token"], "rt": body.get("refresh_token") or previous.get("rt"),
            "it": body.get("id_token") or previous.get("it"), "exp": float(expires_at)}


def _safe_target(target: str | None) -> str:
    """Only paths on this origin; never `//elsewhere` or a scheme (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urllib.parse.urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\r\n\t\\"):
        return "/"
    return target


# -- routes ----------------------------------------------------------------------------------------------


@blueprint.get("/auth/login")
def login() -> WerkzeugResponse:
    """Send the browser to the provider (authorization code + PKCE, state and nonce kept in the session)."""
    settings = _settings()
    oauth: OAuth = current_app.extensions["progadmin.oauth"]
    if not settings.oidc_issuer:
        abort(503, "Sign-in is not configured: set PROGADMIN_OIDC_ISSUER.")
    session["next"] = _safe_target(request.args.get("next"))
    client = oauth.create_client("idp")
    return cast(WerkzeugResponse, client.authorize_redirect(f"{settings.origin}/auth/callback"))


@blueprint.get("/auth/callback")
def callback() -> WerkzeugResponse:
    """The provider's answer: exchange the code, check the tokens, start the session."""
    settings = _settings()
    oauth: OAuth = current_app.extensions["progadmin.oauth"]
    if not settings.oidc_issuer:
        abort(503)
    if request.args.get("error"):
        log.info("sign-in refused by the provider: %s", request.args.get("error"))
        abort(401)
    try:
        body = oauth.create_client("idp").authorize_access_token()
    except Exception as exc:  # a stale or forged state, a used code: start over
        log.info("sign-in callback refused: %s", exc)
        abort(400)
    tokens = _session_tokens(dict(body))
    principal = verify(settings, tokens["at"])  # the same check every API call makes
    target = _safe_target(session.pop("next", None))
    session.clear()  # a new session id for the signed-in person (no fixation)
    session.permanent = True
    session[SESSION_KEY] = tokens
    log.info("signed in: %s (%s)", principal.subject, ", ".join(sorted(principal.roles)))
    return redirect(target)


@blueprint.post("/auth/logout")
def logout() -> WerkzeugResponse:
    """End our session and the provider's (RP-initiated logout), then say so."""
    settings = _settings()
    tokens = session.get(SESSION_KEY) or {}
    session.clear()
    signed_out = f"{settings.origin}/auth/signed-out"
    if not settings.oidc_issuer:
        return redirect(signed_out)
    try:
        end_session = provider_keys(settings).metadata().get("end_session_endpoint")
    except OSError:
        end_session = None
    if not end_session:
        return redirect(signed_out)
    query = {"client_id": settings.oidc_client_id, "post_logout_redirect_uri": signed_out}
    if tokens.get("it"):
        query["id_token_hint"] = tokens["it"]
    return redirect(f"{end_session}?{urllib.parse.urlencode(query)}")


@blueprint.get("/auth/signed-out")
def signed_out() -> Response:
    from services.common.pages import render_page

    g.page_principal = None
    return render_page("signed_out.html.j2")


@blueprint.get("/")
def home() -> WerkzeugResponse | Response:
    """The origin's front door: your own start page when signed in, else a sign-in button."""
    from services.common.nav import home_url
    from services.common.pages import render_page

    principal = page_principal()
    if principal is not None:
        return redirect(home_url(_settings(), sorted(principal.roles)))
    return render_page("welcome.html.j2", configured=bool(_settings().oidc_issuer))
