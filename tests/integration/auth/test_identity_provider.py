"""Every service accepts access tokens from the real Keycloak and refuses everything else with 401 problem+json.

The services run as Flask apps here (real PostgreSQL, the real provider's
JWKS over HTTP); tokens come from Keycloak's token endpoint. A key rotated in
Keycloak is picked up without a restart.
"""

from __future__ import annotations

import base64
import importlib
import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask

from deploy.identity import KeycloakServer
from services.common.auth import provider_keys
from tests.conftest import Platform, db_platform
from tests.identity import NO_AUDIENCE_CLIENT, SHORT_LIVED_CLIENT, bearer_of, user_token

pytestmark = pytest.mark.integration

# One route per service that a fund administrator may read.
READS = {
    "enrolment": "/api/v1/programmes",
    "sessions": "/api/v1/sessions",
    "notifications": "/api/v1/deliveries",
    "reporting": "/api/v1/programmes",
}


@pytest.fixture(scope="module")
def apps(db_only: Platform, keycloak: KeycloakServer) -> Iterator[dict[str, Flask]]:
    made = {}
    for service in READS:
        settings = db_only.settings(service, oidc_issuer=keycloak.issuer, oidc_jwks_min_refresh_s=1)
        made[service] = importlib.import_module(f"services.{service}.app").create_app(settings)
    yield made
    for app in made.values():
        app.config["POOL"].close()


@pytest.fixture(scope="module")
def db_only(pg_server: Any, db_templates: dict[str, str]) -> Platform:
    return db_platform(pg_server, db_templates)


def _status(app: Flask, path: str, token: str) -> tuple[int, dict[str, Any], str]:
    response = app.test_client().get(path, headers=bearer_of(token))
    return response.status_code, response.get_json(silent=True) or {}, response.mimetype


def _tampered(token: str, **header: Any) -> str:
    head = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    head.update(header)
    encoded = base64.urlsafe_b64encode(json.dumps(head).encode()).rstrip(b"=").decode()
    return ".".join([encoded, *token.split(".")[1:]])


@pytest.mark.parametrize("service", list(READS))
def test_a_keycloak_token_is_accepted_and_forgeries_are_refused(service: str, apps: dict[str, Flask],
                                                               keycloak: KeycloakServer) -> None:
    app = apps[service]
    token = user_token(keycloak, "beheerder")
    assert _status(app, READS[service], token)[0] == 200

    claims = jwt.decode(token, options={"verify_signature": False})
    kid = jwt.get_unverified_header(token)["kid"]
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forgeries = {
        # the same claims and key id, signed by a key that is not the provider's
        "another key": jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": kid}),
        # a token of this realm issued to a client without the progadmin audience
        "wrong audience": user_token(keycloak, "beheerder", NO_AUDIENCE_CLIENT),
        # the provider's own signature, but the header switched to "none" and the signature dropped
        "alg none": ".".join(_tampered(token, alg="none").split(".")[:2]) + ".",
        # a signed token from another issuer (Keycloak's master realm), with that realm's key
        "wrong issuer": keycloak.admin_token(),
        # the public key used as an HMAC secret (algorithm confusion)
        "HS256 confusion": _tampered(token, alg="HS256"),
        # a link token from a mail is not a bearer token
        "link token": "eyJhIjoiYiJ9.c2lnbmF0dXJl",
    }
    for what, forged in forgeries.items():
        status, body, mimetype = _status(app, READS[service], forged)
        assert (status, mimetype) == (401, "application/problem+json"), what
        assert body["status"] == 401, what


def test_wrong_issuer_and_expiry_are_checked_on_provider_keys(apps: dict[str, Flask], keycloak: KeycloakServer) -> None:
    """Signed by the provider's real key, but stale or claiming another issuer: still refused."""
    app = apps["enrolment"]
    token = user_token(keycloak, "beheerder")
    settings = app.config["SETTINGS"]
    keys = provider_keys(settings)
    keys.key(jwt.get_unverified_header(token)["kid"])  # cached from the provider
    # Keycloak signs only its own claims, so the claim checks are shown on the provider's metadata:
    # a settings object that expects another issuer refuses the genuine token.
    elsewhere = settings.with_(oidc_issuer=keycloak.issuer.replace("progadmin", "elsewhere"),
                               oidc_discovery_url=f"{keycloak.issuer}/.well-known/openid-configuration")
    from werkzeug.exceptions import Unauthorized

    from services.common.auth import verify
    with pytest.raises(Unauthorized, match="issuer"):
        verify(elsewhere, token)
    # A genuine token whose one-second life is over is refused (no clock skew allowed here).
    short = user_token(keycloak, "beheerder", SHORT_LIVED_CLIENT)
    assert verify(settings.with_(oidc_leeway_s=0), short).subject
    time.sleep(2.1)
    with pytest.raises(Unauthorized, match="expired"):
        verify(settings.with_(oidc_leeway_s=0), short)


def test_a_rotated_signing_key_is_picked_up_without_a_restart(apps: dict[str, Flask],
                                                              keycloak: KeycloakServer) -> None:
    app = apps["sessions"]
    before = user_token(keycloak, "coordinator-noord")
    assert _status(app, READS["sessions"], before)[0] == 200
    realm_id = keycloak.admin("GET", "")["id"]
    keycloak.admin("POST", "/components", {
        "name": f"rotated-{int(time.time())}", "providerId": "rsa-generated",
        "providerType": "org.keycloak.keys.KeyProvider", "parentId": realm_id,
        "config": {"priority": ["500"], "enabled": ["true"], "active": ["true"], "algorithm": ["RS256"]}})
    after = user_token(keycloak, "coordinator-noord")
    assert jwt.get_unverified_header(after)["kid"] != jwt.get_unverified_header(before)["kid"]
    deadline = time.monotonic() + 10  # at most one refetch per oidc_jwks_min_refresh_s (1 s here)
    while _status(app, READS["sessions"], after)[0] != 200:
        assert time.monotonic() < deadline, "the rotated key was never picked up"
        time.sleep(0.5)


def test_roles_and_regions_come_from_the_realm(apps: dict[str, Flask], keycloak: KeycloakServer) -> None:
    from services.common.auth import verify

    settings = apps["enrolment"].config["SETTINGS"]
    coordinator = verify(settings, user_token(keycloak, "coordinator-midden"))
    assert coordinator.roles == {"coordinator"} and coordinator.regions == {"Midden"}
    assert coordinator.name == "Mees Bakker"
    consumer = verify(settings, keycloak.client_credentials_token("reporting-board"))
    assert consumer.roles == {"reporting_consumer"} and consumer.client_id == "reporting-board"


def test_a_reporting_consumer_reads_the_feed_with_its_own_client_and_cannot_write(
        apps: dict[str, Flask], keycloak: KeycloakServer) -> None:
    token = keycloak.client_credentials_token("reporting-bi")
    reporting = apps["reporting"].test_client()
    feed = reporting.get("/api/v1/feed", headers=bearer_of(token))
    assert feed.status_code == 200 and "items" in feed.get_json()
    assert reporting.get("/api/v1/subscriptions", headers=bearer_of(token)).status_code == 200
    company = {"name": "Bouwbedrijf De Vries", "kvk_number": "12345678", "region": "Noord"}
    refused = apps["enrolment"].test_client().post("/api/v1/companies", json=company, headers=bearer_of(token))
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    schedule = apps["sessions"].test_client().post("/api/v1/sessions", json={}, headers=bearer_of(token))
    assert schedule.status_code == 403
