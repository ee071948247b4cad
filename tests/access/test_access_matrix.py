"""The access matrix (tests/access/matrix.py) tried cell by cell on the four services, in-process.

Every route of every service's url_map (health, metrics, static files and API
docs aside) must be in the table: a new route without a row fails
`test_every_route_is_in_the_matrix`. The run ends with a summary line:
`access matrix: N cells, 0 unauthorised successes`.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from deploy.infra import KafkaBroker, PostgresServer
from services.common.config import SERVICES
from tests.access.matrix import EXCLUDED_EXACT, EXCLUDED_PREFIXES, MATRIX, cells
from tests.access.world import WORLDS, World, credentials
from tests.conftest import Platform
from tests.privacy.serving import served

pytestmark = pytest.mark.integration

ALLOWED_REFUSALS = (400, 405, 409, 410, 413, 415, 422)  # about the input or the state, not the caller
TALLY: Counter[str] = Counter()


@dataclass
class Site:
    app: Flask
    world: World
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def sites(pg_server: PostgresServer, db_templates: dict[str, str]) -> Iterator[dict[str, Site]]:
    platform = Platform(pg_server, KafkaBroker(Path("/nonexistent"), port=1, controller_port=1), db_templates)
    apps = {name: import_module(f"services.{name}.app").create_app(platform.settings(name)) for name in SERVICES}
    # Enrolment's complete export calls the other three over HTTP: they answer from these same apps.
    with served({name: app for name, app in apps.items() if name != "enrolment"}):
        sites = {name: Site(app, WORLDS[name](app), credentials(app.config["SETTINGS"])) for name, app in apps.items()}
        for site in sites.values():  # every service exports a person: one it never heard of has empty tables
            site.world.params.setdefault("person_id", str(uuid.uuid4()))
        yield sites
    for app in apps.values():
        app.config["POOL"].close()


def routes_of(app: Flask) -> set[str]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule in EXCLUDED_EXACT or rule.rule.startswith(EXCLUDED_PREFIXES):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.add(f"{method} {rule.rule}")
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_is_in_the_matrix(sites: dict[str, Site], service: str) -> None:
    listed, served = set(MATRIX[service]), routes_of(sites[service].app)
    assert not served - listed, f"routes without a row in tests/access/matrix.py: {sorted(served - listed)}"
    assert not listed - served, f"rows for routes {service} does not serve: {sorted(listed - served)}"


def call(site: Site, route: str, principal: str, expected: str) -> Any:
    method, template = route.split(" ", 1)
    overrides = site.world.fresh[route]() if expected == "ok" and route in site.world.fresh else None
    body = site.world.body(route) if method in ("POST", "PUT", "PATCH") else None
    kwargs: dict[str, Any] = {"query_string": site.world.query.get(route), "headers": dict(site.headers[principal])}
    if template.startswith("/api/") and method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = body or {}
    elif body is not None:
        kwargs["data"] = body  # a page's form
    return site.app.test_client().open(site.world.path(template, overrides), method=method, **kwargs)


def outcome_holds(expected: str, status: int, location: str, may_be_absent: bool) -> bool:
    if expected == "signin":
        return status != 500
    if status >= 500:
        return False
    if expected == "public":
        return True
    if expected == "csrf":
        return status == 400
    if expected == "login":
        return status in (302, 303) and "/auth/login" in location
    if expected in ("401", "403", "404"):
        return status == int(expected)
    return status < 400 or status in ALLOWED_REFUSALS or (status == 404 and may_be_absent)


@pytest.mark.parametrize(("service", "route", "principal"), cells())
def test_access(sites: dict[str, Site], service: str, route: str, principal: str) -> None:
    site = sites[service]
    expected = MATRIX[service][route].expect(principal, route.split(" ", 1)[0])
    response = call(site, route, principal, expected)
    TALLY["cells"] += 1
    if 200 <= response.status_code < 300 and expected not in ("ok", "public", "signin"):
        TALLY["unauthorised successes"] += 1
    may_be_absent = any(f":{name}>" in route or f"<{name}>" in route for name in site.world.absent)
    assert outcome_holds(expected, response.status_code, response.headers.get("Location", ""), may_be_absent), (
        f"{principal} on {route}: expected {expected}, got {response.status_code} "
        f"{response.get_data(as_text=True)[:300]}")


def test_no_unauthorised_success() -> None:
    """Runs after the cells (pytest keeps file order): no refused principal got a 2xx anywhere."""
    assert TALLY["unauthorised successes"] == 0, TALLY
