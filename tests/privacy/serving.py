"""Serve in-process Flask apps over real HTTP, so enrolment's complete export can call them (tests only)."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

from flask import Flask
from werkzeug.serving import make_server


@contextlib.contextmanager
def served(apps: dict[str, Flask]) -> Iterator[dict[str, str]]:
    """Serve each app on a free local port and point `PROGADMIN_<SERVICE>_INTERNAL_URL` at it; undone after."""
    servers = {name: make_server("127.0.0.1", 0, app, threaded=True) for name, app in apps.items()}
    urls = {name: f"http://127.0.0.1:{server.server_port}" for name, server in servers.items()}
    saved = {name: os.environ.get(f"PROGADMIN_{name.upper()}_INTERNAL_URL") for name in apps}
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers.values()]
    for t in threads:
        t.start()
    os.environ.update({f"PROGADMIN_{name.upper()}_INTERNAL_URL": url for name, url in urls.items()})
    try:
        yield urls
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(f"PROGADMIN_{name.upper()}_INTERNAL_URL", None)
            else:
                os.environ[f"PROGADMIN_{name.upper()}_INTERNAL_URL"] = value
        for server in servers.values():
            server.shutdown()
            server.server_close()
