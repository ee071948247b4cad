"""PostgreSQL access: one connection pool per process, plain SQL everywhere."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from services.common.config import Settings


def open_pool(settings: Settings, *, name: str | None = None) -> ConnectionPool:
    """Open a pool of dict-row connections to the service's own database."""
    pool = ConnectionPool(
        settings.database_url,
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        kwargs={"row_factory": dict_row},
        name=name or settings.service,
        # A request waits this long for a connection; with the database away it then answers 503.
        timeout=settings.db_acquire_timeout_s,
        open=False,
    )
    # wait=False: a service starts (and answers /livez) while the database is
    # still coming up; /readyz reports the database state.
    pool.open(wait=False)
    return pool


# A write request that carries an Idempotency-Key runs inside one transaction
# opened by the HTTP layer, so the stored response commits together with
# the state change and its events (see services.common.idempotency).
request_connection: ContextVar[psycopg.Connection[Any] | None] = ContextVar("request_connection", default=None)
# The HTTP layer also sets a savepoint right after its claim, in the same round trip (True while unused): the
# request's first unit of work takes it as its own instead of paying a round trip for SAVEPOINT and another
# for RELEASE (COMMIT releases it).
REQUEST_SAVEPOINT = "request_use_case"
request_savepoint: ContextVar[bool] = ContextVar("request_savepoint", default=False)
# The request's first unit may leave its last writes queued in an open pipeline (`trailing_writes`): the HTTP
# layer then sends its stored response and COMMIT behind them and reads all their results in one round trip.
_deferring: ContextVar[bool] = ContextVar("_deferring", default=False)
_pending: ContextVar[contextlib.ExitStack | None] = ContextVar("_pending", default=None)


def take_pending() -> contextlib.ExitStack | None:
    """The request connection's open pipeline, if a unit left its last writes in it; the caller closes it
    (closing sends everything queued and raises the first statement's error)."""
    pending = _pending.get()
    if pending is not None:
        _pending.set(None)
    return pending


def _settle() -> None:
    pending = take_pending()
    if pending is not None:
        pending.close()


@contextlib.contextmanager
def trailing_writes(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """A use case's last statements, whose results nothing reads: sent in one pipeline.

    Outside a request transaction (or in a later unit of one) this is `conn.pipeline()`: one round trip when
    the block ends. As the last writes of a request's first unit, the pipeline stays open when the block ends,
    so the stored response and COMMIT follow in the same round trip (issue 14, benchmark 1); their errors
    then surface there, before anything commits. Nothing may run on `conn` after this block inside the unit.
    """
    if not (_deferring.get() and conn is request_connection.get() and _pending.get() is None):
        with conn.pipeline():
            yield
        return
    stack = contextlib.ExitStack()
    stack.enter_context(conn.pipeline())
    try:
        yield
    except BaseException:
        with contextlib.suppress(psycopg.Error):
            stack.close()
        raise
    _pending.set(stack)


@contextlib.contextmanager
def unit_of_work(pool: ConnectionPool) -> Iterator[psycopg.Connection[Any]]:
    """One transaction for a use case: state change and outbox rows commit together.

    Inside a request-scoped transaction this is a savepoint of it, so a
    refused use case rolls back its own writes and nothing else.
    """
    outer = request_connection.get()
    if outer is None:
        with pool.connection() as conn, conn.transaction():
            yield conn
        return
    # The savepoint set after the claim covers exactly this unit's writes only if nothing was written on the
    # connection since: so only for the first unit, and not inside a savepoint someone else opened
    # (services.sessions.links wraps its own claim and the use case in one).
    _settle()  # an earlier unit's queued last writes first: this unit may read what they wrote
    if request_savepoint.get() and not outer._num_transactions:
        request_savepoint.set(False)
        deferring = _deferring.set(True)
        try:
            yield outer
        except BaseException:
            # A connection that cannot roll back fails the stored response's UPDATE too: a 500, nothing kept.
            with contextlib.suppress(psycopg.Error):
                _settle()
            with contextlib.suppress(psycopg.Error):
                outer.execute(f"ROLLBACK TO SAVEPOINT {REQUEST_SAVEPOINT}")
            raise
        finally:
            _deferring.reset(deferring)
        return
    with outer.transaction():
        yield outer
