"""What every query module shares."""

from __future__ import annotations

from typing import Any

import psycopg

Conn = psycopg.Connection[Any]
Row = dict[str, Any]
