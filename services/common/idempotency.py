"""`Idempotency-Key` for HTTP writes.

A POST with the header runs inside one database transaction that first
claims `(caller, key)` and at the end stores the response. Because the
claim, the use case's writes (via `db.unit_of_work`) and the stored response
commit together, a retry either replays the stored response or, if the first
attempt rolled back, runs again: never twice. A concurrent duplicate waits
on the claim row's lock and then replays. Reusing a key for a different
request is refused with 422.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask, Response, g, request
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from services.common.db import request_connection
from services.common.problems import Problem

HEADER = "Idempotency-Key"
_REPLAYED_HEADERS = ("Location", "Content-Type")


def _caller() -> str:
    from services.common.auth import current_principal

    # Signed-link endpoints have no bearer token; they share one namespace.
    if request.headers.get("Authorization"):
        return current_principal().subject
    return "anonymous"


def _begin() -> Response | None:
    key = request.headers.get(HEADER)
    if request.method != "POST" or not key:
        return None
    if len(key) > 255:
        raise Problem(400, "Bad Request", f"{HEADER} must be at most 255 characters")
    caller = _caller()
    digest = hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n"
                            + request.get_data()).hexdigest()
    pool: ConnectionPool = g.pool
    conn = pool.getconn()
    tx = conn.transaction()
    tx.__enter__()
    g.idem = (conn, tx, caller, key)
    g.idem_token = request_connection.set(conn)
    claimed = conn.execute(
        "INSERT INTO idempotency_keys (principal, idem_key, method, path, request_hash)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING", (caller, key, request.method, request.path, digest),
    ).rowcount
    if claimed:
        return None
    row: dict[str, Any] | None = conn.execute(  # type: ignore[assignment]  # dict_row pool
        "SELECT request_hash, status_code, response_body, response_headers FROM idempotency_keys"
        " WHERE principal = %s AND idem_key = %s", (caller, key)).fetchone()
    _finish(commit=False)
    if row is None:  # claimed and released meanwhile; let the client retry
        raise Problem(409, "Conflict", f"a request with this {HEADER} is in progress; retry")
    if row["request_hash"] != digest:
        raise Problem(422, "Unprocessable Content",
                      f"this {HEADER} was used for a different request", kind="idempotency-key-reused")
    response = Response(bytes(row["response_body"] or b""), status=row["status_code"])
    for name, value in (row["response_headers"] or {}).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _finish(*, commit: bool) -> None:
    state = g.pop("idem", None)
    if state is None:
        return
    conn, tx, _, _ = state
    request_connection.reset(g.pop("idem_token"))
    try:
        if commit:
            tx.__exit__(None, None, None)
        else:
            tx.__exit__(RuntimeError, RuntimeError("rolled back"), None)
    finally:
        g.pool.putconn(conn)


def _complete(response: Response) -> Response:
    state = g.get("idem")
    if state is None:
        return response
    conn, _, caller, key = state
    if response.status_code >= 500:
        _finish(commit=False)  # nothing was done; a retry may run again
        return response
    headers: dict[str, Any] = {h: response.headers[h] for h in _REPLAYED_HEADERS if h in response.headers}
    conn.execute(
        "UPDATE idempotency_keys SET status_code = %s, response_body = %s, response_headers = %s"
        " WHERE principal = %s AND idem_key = %s",
        (response.status_code, response.get_data(), Jsonb(headers), caller, key))
    _finish(commit=True)
    return response


def install(app: Flask) -> None:
    app.before_request(_begin)
    app.after_request(_complete)
    # An exception that escaped every handler: roll back, return the connection.
    app.teardown_request(lambda exc: _finish(commit=False))
