"""Each service's OpenAPI document, loaded when pytest collects, and the app the fuzzer calls.

`@schema.parametrize()` needs the schema while tests are collected, before any
fixture has started PostgreSQL. The document does not depend on the data, so
it is read from an app built on an unreachable database; the schema's WSGI app
is a `Switchboard` that the `fuzz_apps` fixture later points at the real app
on a fresh test database. Every request through it is counted per service
(requests and 5xx answers) for the run's summary line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

import schemathesis
from flask import Flask

from services.common.config import SERVICES, Settings
from tests.fuzz.budget import budget
from tests.support import bearer

SPEC_PATH = "/api/v1/openapi.json"
NOWHERE = "postgresql://nobody:nothing@127.0.0.1:1/nothing"  # the document needs no database

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass
class Tally:
    requests: Counter[str] = field(default_factory=Counter)
    server_errors: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)


TALLY = Tally()


class Switchboard:
    """The WSGI app schemathesis calls: forwards to the service's current app and counts what it sends."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.target: Wsgi | None = None
        self.counting = False

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self.target is None:
            raise RuntimeError(f"no {self.service} app: use the fuzz_apps fixture")
        if not self.counting:
            return self.target(environ, start_response)
        TALLY.requests[self.service] += 1

        def counting_start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            if status.startswith("5"):
                TALLY.server_errors[self.service] += 1
                seen = TALLY.examples.setdefault(self.service, [])
                if len(seen) < 20:
                    seen.append(f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO')}"
                                f"?{environ.get('QUERY_STRING', '')} -> {status}")
            return start_response(status, headers, *args)

        return self.target(environ, counting_start)


SWITCHBOARDS = {name: Switchboard(name) for name in SERVICES}


def fuzz_config(headers: dict[str, str]) -> schemathesis.Config:
    """Examples, coverage, fuzzing and stateful phases, within the profile's budget."""
    plan = budget()
    return schemathesis.Config.from_dict({
        "seed": 20261202,
        "headers": headers,
        "generation": {"max-examples": plan.max_examples},
        # Rules across fields or against stored data (a company that exists, max >= min, directors' e-mail
        # addresses unique regardless of case) are beyond JSON Schema: a 422 for them is right, so schema-valid
        # data may be refused. Everything else runs: 5xx, status code, content type, body and header schemas,
        # refusing schema-invalid data, 405 with Allow, and ignoring no authentication.
        "checks": {"positive_data_acceptance": {"enabled": False}},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": True, "max-steps": plan.stateful_steps},
        },
    })


def load_schemas(service: str) -> tuple[Any, Any]:
    """The service's OpenAPI document as two schemathesis schemas whose app is the service's switchboard.

    The first calls every operation with a fund administrator's development token (test settings share the
    secret with the apps the fixture builds), set as the schema's headers so that schemathesis knows it as
    the caller's credentials (its ignored-auth check drops it on purpose). The second keeps only the
    operations without security (the signed-link routes) and calls them without a token, as people do.
    """
    settings = Settings.from_env(service, env="test", database_url=NOWHERE)
    app: Flask = import_module(f"services.{service}.app").create_app(settings)
    app.config["POOL"].close()
    document = app.test_client().get(SPEC_PATH).get_json()
    authenticated = schemathesis.openapi.from_dict(
        document, config=fuzz_config(bearer(settings, "fund_admin", sub="fuzz-admin")))
    public = schemathesis.openapi.from_dict(document, config=fuzz_config({})).include(
        func=lambda ctx: ctx.operation.definition.raw.get("security") == [])
    for schema in (authenticated, public):
        schema.app = SWITCHBOARDS[service]
        schema.location = SPEC_PATH
    return authenticated, public
