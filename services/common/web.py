"""The HTTP kit: one app factory shape for every service.

`create_service_app` returns a Flask app and a flask-smorest `Api` with:
problem+json errors, correlation ids, health (`/livez`, `/readyz`),
Prometheus `/metrics`, `Idempotency-Key` on POSTs, OpenAPI at
`/api/v1/openapi.json` and a browsable page at `/api/v1/docs`.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from typing import Any

import psycopg
from flask import Flask, Response, g, jsonify, request
from flask_smorest import Api
from flask_smorest.arguments import ArgumentsMixin
from marshmallow import Schema
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from psycopg_pool import ConnectionPool, PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from services.common import context, idempotency, inputs, logs
from services.common.config import Settings
from services.common.db import open_pool
from services.common.lag import KafkaHealth
from services.common.pages import install_pages
from services.common.problems import problem_response
from services.common.signin import install_signin

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"
CORRELATION_HEADER = "X-Correlation-ID"


class ProblemApi(Api):
    """flask-smorest's Api with RFC 9457 error bodies instead of its own shape."""

    def handle_http_exception(self, error: HTTPException) -> Any:
        return problem_response(error, request.path)


def _metrics(app: Flask, settings: Settings) -> None:
    service = settings.service
    registry = CollectorRegistry()
    # Kafka's reachability and the service's consumer lag: figures of this scrape's process, refreshed in the
    # background every few seconds, so a scrape never waits on a broker that does not answer.
    kafka_health = KafkaHealth(settings)
    app.config["KAFKA_HEALTH"] = kafka_health
    registry.register(kafka_health)
    requests = Counter("http_requests_total", "HTTP requests", ["service", "method", "endpoint", "status"],
                       registry=registry)
    latency = Histogram("http_request_duration_seconds", "HTTP request latency", ["service", "endpoint"],
                        registry=registry)

    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def observe(response: Response) -> Response:
        endpoint = request.endpoint or "unmatched"
        requests.labels(service, request.method, endpoint, str(response.status_code)).inc()
        if "started" in g:
            latency.labels(service, endpoint).observe(time.perf_counter() - g.started)
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        # Under gunicorn every worker process counts for itself; with
        # PROMETHEUS_MULTIPROC_DIR set the scrape adds all workers up.
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            combined = CollectorRegistry()
            multiprocess.MultiProcessCollector(combined)
            combined.register(kafka_health)
            return Response(generate_latest(combined), content_type=CONTENT_TYPE_LATEST)
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def _health(app: Flask, settings: Settings) -> None:
    @app.get("/livez")
    def livez() -> Response:
        return jsonify(status="ok", service=settings.service)

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        """The database only: with Kafka away writes still succeed (the outbox keeps their events), so a web
        process stays in its Service. Kafka's state is in /metrics (progadmin_kafka_reachable)."""
        checks: dict[str, str] = {}
        pool: ConnectionPool = app.config["POOL"]
        try:
            with pool.connection(timeout=2) as conn:
                conn.execute("SELECT 1")
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unavailable: {type(exc).__name__}"
        ready = all(v == "ok" for v in checks.values())
        return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


def _correlation(app: Flask) -> None:
    @app.before_request
    def take_correlation_id() -> None:
        incoming = request.headers.get(CORRELATION_HEADER, "")
        value = incoming if 0 < len(incoming) <= 100 else str(uuid.uuid4())
        g.correlation_token = context.correlation_id.set(value)
        g.causation_token = context.causation_id.set(None)

    @app.after_request
    def echo_correlation_id(response: Response) -> Response:
        value = context.correlation_id.get()
        if value:
            response.headers[CORRELATION_HEADER] = value
        return response

    @app.teardown_request
    def reset_context(exc: BaseException | None) -> None:
        token = g.pop("correlation_token", None)
        if token is not None:
            context.correlation_id.reset(token)
            context.causation_id.reset(g.pop("causation_token"))


def create_service_app(settings: Settings, title: str, description: str = "",
                       pool: ConnectionPool | None = None) -> tuple[Flask, Api]:
    """Build the common part of a service's app; the service registers its blueprints."""
    logs.configure(settings.service, settings.log_level)
    app = Flask(f"progadmin.{settings.service}")
    pool = pool or open_pool(settings)
    app.config.update(
        SETTINGS=settings,
        POOL=pool,
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": description},
            "components": {"securitySchemes": _security_schemes(settings)},
            "security": [{"bearer": []}],
        },
        JSON_SORT_KEYS=False,
    )

    @app.before_request
    def bind_pool() -> None:
        g.pool = pool

    _correlation(app)
    _metrics(app, settings)
    idempotency.install(app)
    _reuse_argument_schemas()
    api = ProblemApi(app)
    inputs.install(app, api)  # one input policy (size, JSON, text, numbers, dates) and problem+json docs
    _health(app, settings)
    _docs_page(app, title)

    @app.get(API_PREFIX)
    def index() -> Response:
        """Where to start: the API description and the browsable page."""
        return jsonify(service=settings.service, title=title, openapi=f"{API_PREFIX}/openapi.json",
                       docs=f"{API_PREFIX}/docs", health={"live": "/livez", "ready": "/readyz"}, metrics="/metrics")

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return problem_response(error, request.path)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(InternalServerError("An unexpected error occurred; it has been logged."),
                                request.path)

    # Pages: shared layout, assets, language switch, HTML errors outside /api/ (after the API handlers).
    install_pages(app, settings)
    install_signin(app, settings)
    _database_unavailable(app)
    return app, api


_argument_schemas: dict[type[Schema], Schema] = {}


def _reuse_argument_schemas() -> None:
    """One instance per request-arguments schema class for the process, instead of one per request.

    flask-smorest hands webargs the schema class each route declares, and webargs instantiates it on every
    request (with its nested schemas and every field copied: a third of a millisecond per write in issue 14's
    profile). A schema instance keeps no state between loads, so one per class serves every request and
    thread. Patched on flask-smorest's one parser, as services.common.inputs hooks its pre_load.
    """
    parser = ArgumentsMixin.ARGUMENTS_PARSER
    if getattr(parser, "_progadmin_reuses_schemas", False):
        return
    build = parser._get_schema

    def get_schema(argmap: Any, req: Any) -> Schema:
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            schema = _argument_schemas.get(argmap)
            if schema is None:
                schema = _argument_schemas.setdefault(argmap, argmap())
            return schema
        return build(argmap, req)

    setattr(parser, "_get_schema", get_schema)  # noqa: B010
    setattr(parser, "_progadmin_reuses_schemas", True)  # noqa: B010


DB_RETRY_AFTER_S = 5


def _database_unavailable(app: Flask) -> None:
    """The database away (restarting, failing over) is a 503 with Retry-After, not a 500: try again soon.

    Nothing was written (the transaction never committed), so a client may retry with the same
    Idempotency-Key. More specific than the catch-all handler, so Flask picks this one.
    """
    from services.common.pages import error_page, is_api_request

    def unavailable(error: Exception) -> Response:
        log.warning("database unavailable on %s %s: %s", request.method, request.path, error)
        problem = ServiceUnavailable("The database is not reachable right now; nothing was changed. "
                                     f"Try again in {DB_RETRY_AFTER_S} seconds.")
        response = problem_response(problem, request.path) if is_api_request() else error_page(problem)
        response.headers["Retry-After"] = str(DB_RETRY_AFTER_S)
        return response

    app.register_error_handler(psycopg.OperationalError, unavailable)
    app.register_error_handler(PoolTimeout, unavailable)


def _security_schemes(settings: Settings) -> dict[str, Any]:
    """Bearer tokens from the identity provider: where to get one, for people (pages) and for machines."""
    schemes: dict[str, Any] = {"bearer": {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "An access token from the fund's identity provider (RS256/ES256, audience "
                       f"`{settings.oidc_audience}`). Reporting consumers use the client-credentials grant "
                       "with their own client."}}
    if settings.oidc_issuer:
        schemes["oidc"] = {"type": "openIdConnect",
                           "openIdConnectUrl": f"{settings.oidc_issuer}/.well-known/openid-configuration"}
    return schemes


def _docs_page(app: Flask, title: str) -> None:
    """A browsable API page that needs nothing from the internet."""
    from services.common.apidocs import register

    register(app, title, f"{API_PREFIX}/openapi.json", f"{API_PREFIX}/docs")
