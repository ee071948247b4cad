"""`Idempotency-Key` for HTTP writes.

A POST with the header runs inside one database transaction that first
claims `(caller, key)` and at the end stores the response. Because the
claim, the use case's writes (via `db.unit_of_work`) and the stored response
commit together, a retry either replays the stored response or, if the first
attempt rolled back, runs again: never twice. A concurrent duplicate waits
on the claim row's lock and then replays. Reusing a key for a different
request is refused with 422.

Round trips (issue 14, benchmark 1): the transaction's start, the claim and a
savepoint for the use case go to PostgreSQL as one pipeline, and so do the
stored response and the commit: two round trips of overhead per write, where
one statement at a time took six (BEGIN, claim, SAVEPOINT, RELEASE, UPDATE,
COMMIT). A use case's last writes (`db.trailing_writes`) join that second
round trip.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from typing import Any

import psycopg
from flask import Flask, Response, current_app, g, request
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from services.common.db import REQUEST_SAVEPOINT, request_connection, request_savepoint, take_pending
from services.common.problems import Problem

log = logging.getLogger(__name__)
HEADER = "Idempotency-Key"
_REPLAYED_HEADERS = ("Location", "Content-Type")
_CLAIM = ("INSERT INTO idempotency_keys (principal, idem_key, method, path, request_hash)"
          " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING")
_STORE = ("UPDATE idempotency_keys SET status_code = %s, response_body = %s, response_headers = %s"
          " WHERE principal = %s AND idem_key = %s")


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
    g.idem = (conn, caller, key)
    g.idem_token = request_connection.set(conn)
    g.idem_savepoint = request_savepoint.set(True)
    # One round trip: psycopg queues the implicit BEGIN before the claim; the savepoint lets the use case
    # (db.unit_of_work) roll back its own writes and keep the claim, without a round trip of its own.
    with conn.pipeline():
        claim = conn.execute(_CLAIM, (caller, key, request.method, request.path, digest))
        conn.execute(f"SAVEPOINT {REQUEST_SAVEPOINT}")
    if claim.rowcount:
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


def _finish(*, commit: bool, store: tuple[Any, ...] | None = None) -> None:
    """End the request's transaction (with the stored response: one round trip) and return the connection."""
    state = g.pop("idem", None)
    if state is None:
        return
    conn: psycopg.Connection[Any] = state[0]
    request_connection.reset(g.pop("idem_token"))
    request_savepoint.reset(g.pop("idem_savepoint"))
    # The use case's last writes may still be queued in an open pipeline (db.trailing_writes).
    pending = take_pending()
    try:
        if commit:
            # COMMIT as a statement of the pipeline: conn.commit() would sync once more on leaving it. Behind
            # the use case's queued writes when there are any: all of it is one round trip, and an error in
            # any of them raises here, before the COMMIT is carried out.
            with pending if pending is not None else conn.pipeline():
                if store is not None:
                    conn.execute(_STORE, store)
                conn.execute("COMMIT", prepare=False)
        else:
            if pending is not None:
                with contextlib.suppress(psycopg.Error):
                    pending.close()
            conn.rollback()
    except BaseException:
        # A connection whose pipeline or transaction failed half-way is not handed to the next request.
        with contextlib.suppress(Exception):
            conn.close()
        raise
    finally:
        g.pool.putconn(conn)


def _complete(response: Response) -> Response:
    state = g.get("idem")
    if state is None:
        return response
    _, caller, key = state
    if response.status_code >= 500:
        _finish(commit=False)  # nothing was done; a retry may run again
        return response
    headers: dict[str, Any] = {h: response.headers[h] for h in _REPLAYED_HEADERS if h in response.headers}
    try:
        _finish(commit=True, store=(response.status_code, response.get_data(), Jsonb(headers), caller, key))
    except (psycopg.OperationalError, PoolTimeout) as exc:
        # The database went away before the commit was confirmed: the same 503 + Retry-After as anywhere else
        # (an exception here would become a 500). A retry with this key replays or runs again, never twice.
        return current_app.make_response(current_app.handle_user_exception(exc))
    return response


def _teardown(exc: BaseException | None) -> None:
    # An exception that escaped every handler: roll back, return the connection.
    try:
        _finish(commit=False)
    except Exception:  # the connection was closed and dropped; the request's own error is what counts
        log.warning("idempotency: rollback failed after an unhandled error", exc_info=True)


def install(app: Flask) -> None:
    app.before_request(_begin)
    app.after_request(_complete)
    app.teardown_request(_teardown)
