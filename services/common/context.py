"""Request and event context carried through a process: the correlation chain.

An HTTP request sets the correlation id (from `X-Correlation-ID` or a new
one); a consumer sets it from the event it handles and makes that event the
cause of whatever it emits. Logs and new events read it from here, so a
report row can be traced back to the HTTP request that started it.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
causation_id: ContextVar[str | None] = ContextVar("causation_id", default=None)


def current_correlation_id() -> str:
    value = correlation_id.get()
    if value is None:
        value = str(uuid.uuid4())
        correlation_id.set(value)
    return value


@contextlib.contextmanager
def caused_by(correlation: str | None, causation: str | None) -> Iterator[None]:
    """Run a block as the consequence of an event (or request)."""
    t1 = correlation_id.set(correlation or str(uuid.uuid4()))
    t2 = causation_id.set(causation)
    try:
        yield
    finally:
        correlation_id.reset(t1)
        causation_id.reset(t2)
