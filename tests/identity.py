"""Tokens from the real Keycloak for tests: users via a test-only password client, consumers by client credentials."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from deploy.identity import KeycloakServer

TEST_CLIENT = "progadmin-tests"
NO_AUDIENCE_CLIENT = "progadmin-tests-no-audience"
SHORT_LIVED_CLIENT = "progadmin-tests-short-lived"  # access tokens live 1 s


def ensure_password_client(kc: KeycloakServer, client_id: str, scopes: tuple[str, ...],
                           with_claims: bool, lifespan_s: int | None = None) -> None:
    """A public client with the password grant, for tests only (the demo realm has none).

    `with_claims` gives it the pages client's mappers (audience, roles, regions, name), as the realm does.
    """
    if kc.admin("GET", f"/clients?clientId={client_id}"):
        return
    web = kc.admin("GET", f"/clients?clientId={kc.client_id}")[0]
    mappers = [{k: v for k, v in m.items() if k != "id"} for m in web.get("protocolMappers", [])]
    kc.admin("POST", "/clients", {"clientId": client_id, "publicClient": True, "directAccessGrantsEnabled": True,
                                  "standardFlowEnabled": False, "fullScopeAllowed": True,
                                  "protocolMappers": mappers if with_claims else [],
                                  "attributes": {"access.token.lifespan": str(lifespan_s)} if lifespan_s else {}})
    internal = kc.admin("GET", f"/clients?clientId={client_id}")[0]["id"]
    by_name = {scope["name"]: scope["id"] for scope in kc.admin("GET", "/client-scopes")}
    current = {scope["name"]: scope["id"] for scope in kc.admin("GET", f"/clients/{internal}/default-client-scopes")}
    for name, scope_id in current.items():
        if name not in scopes:
            kc.admin("DELETE", f"/clients/{internal}/default-client-scopes/{scope_id}")
    for name in scopes:
        if name not in current:
            kc.admin("PUT", f"/clients/{internal}/default-client-scopes/{by_name[name]}")


def user_tokens(kc: KeycloakServer, username: str, client_id: str = TEST_CLIENT) -> dict[str, Any]:
    ensure_password_client(kc, client_id, ("basic", "profile"), with_claims=client_id != NO_AUDIENCE_CLIENT,
                           lifespan_s=1 if client_id == SHORT_LIVED_CLIENT else None)
    form = urllib.parse.urlencode({"grant_type": "password", "client_id": client_id, "username": username,
                                   "password": kc.demo_password}).encode()
    with urllib.request.urlopen(f"{kc.issuer}/protocol/openid-connect/token", data=form, timeout=10) as resp:
        return dict(json.loads(resp.read()))


def user_token(kc: KeycloakServer, username: str, client_id: str = TEST_CLIENT) -> str:
    return str(user_tokens(kc, username, client_id)["access_token"])


def bearer_of(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
