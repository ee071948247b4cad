"""A lookup that found nothing is a 404, said once for every service's API and pages.

A use case answers None for what does not exist or is not the caller's to see
(the two look alike on purpose); the route turns that into 404. Pages whose path
takes an id as text read it with `uuid_or_404`, so a malformed id is simply not
found, as the API's `<uuid:...>` routes answer.
"""

from __future__ import annotations

import uuid
from typing import TypeVar

from werkzeug.exceptions import NotFound

T = TypeVar("T")


def found(value: T | None, description: str | None = None) -> T:
    """`value`, or 404 when the lookup found nothing (`description`: the problem's detail, e.g. "no such campaign")."""
    if value is None:
        raise NotFound(description)
    return value


def uuid_or_404(text: str) -> uuid.UUID:
    """An id from a page's path; 404 when it is not a UUID."""
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound() from None
