"""The pages' session: the access token inside it is refreshed when it runs out, and a refused refresh signs out.

Real Keycloak, the enrolment app through Flask's test client. The session
is filled as the sign-in callback fills it (tokens from the provider's
token endpoint, here through the test-only password client).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from deploy.identity import KeycloakServer
from services.common.auth import verify
from services.common.signin import SESSION_KEY
from services.enrolment.app import create_app
from tests.conftest import db_platform
from tests.identity import TEST_CLIENT, user_tokens

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app(pg_server: Any, db_templates: dict[str, str], keycloak: KeycloakServer) -> Iterator[Flask]:
    platform = db_platform(pg_server, db_templates)
    # The test client is public: it refreshes without a secret, as the pages' client does with one.
    settings = platform.settings("enrolment", oidc_issuer=keycloak.issuer, oidc_client_id=TEST_CLIENT,
                                 oidc_client_secret="")
    app = create_app(settings)
    yield app
    app.config["POOL"].close()


def _signed_in(app: Flask, tokens: dict[str, Any], expires_at: float) -> Any:
    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_KEY] = {"at": tokens["access_token"], "rt": tokens["refresh_token"], "it": None,
                                "exp": expires_at}
    return client


def test_a_run_out_access_token_is_refreshed_and_the_page_served(app: Flask, keycloak: KeycloakServer) -> None:
    tokens = user_tokens(keycloak, "beheerder")
    client = _signed_in(app, tokens, expires_at=time.time() - 1)  # the session says: run out
    page = client.get("/companies")
    assert page.status_code == 200 and "Fleur de Beheerder" in page.get_data(as_text=True)
    with client.session_transaction() as session:
        refreshed = session[SESSION_KEY]
    assert refreshed["at"] != tokens["access_token"] and refreshed["exp"] > time.time()
    assert verify(app.config["SETTINGS"], refreshed["at"]).subject == verify(
        app.config["SETTINGS"], tokens["access_token"]).subject


def test_a_refused_refresh_ends_the_session_and_asks_to_sign_in_again(app: Flask,
                                                                       keycloak: KeycloakServer) -> None:
    tokens = {**user_tokens(keycloak, "beheerder"), "refresh_token": "not-a-refresh-token"}
    client = _signed_in(app, tokens, expires_at=time.time() - 1)
    page = client.get("/companies")
    assert page.status_code == 302 and "/auth/login?next=" in page.headers["Location"]
    with client.session_transaction() as session:
        assert SESSION_KEY not in session


def test_a_session_token_that_fails_verification_signs_out(app: Flask, keycloak: KeycloakServer) -> None:
    tokens = user_tokens(keycloak, "beheerder")
    forged = tokens["access_token"][:-4] + ("AAAA" if not tokens["access_token"].endswith("AAAA") else "BBBB")
    client = _signed_in(app, {**tokens, "access_token": forged}, expires_at=time.time() + 300)
    assert client.get("/companies").status_code == 302
