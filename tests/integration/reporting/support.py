"""What reporting's tests share: feeding events through the real handlers (and the sequencer), the final
report of what was fed, a real webhook receiver, and the README's signature check."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from services.common.config import Settings
from services.common.events import Event
from services.reporting import figures
from services.reporting.handlers import handlers
from services.reporting.rebuild import apply_event
from services.reporting.sequencer import Sequencer
from tests.integration.reporting.scripted import PROGRAMME_ID

GROUP = "progadmin.reporting"  # the consumer group reporting's worker claims events under
README = Path(__file__).resolve().parents[3] / "services" / "reporting" / "README.md"


def apply_all(conn: psycopg.Connection[Any], settings: Settings, events: list[Event]) -> None:
    """Apply `events` in `conn`'s transaction as the consumer would (idempotently, by event id)."""
    table = handlers(settings)
    for event in events:
        apply_event(conn, GROUP, table, event)


def final_report(conn: psycopg.Connection[Any], settings: Settings) -> dict[str, Any]:
    """The scripted programme's final report as the projections in `conn` give it."""
    report = figures.final_report(conn, PROGRAMME_ID, None, settings.evaluation_min_group)  # type: ignore[arg-type]
    assert report is not None
    return report


def feed_all(settings: Settings, events: list[Event]) -> None:
    """Apply `events` as the consumer would and commit, then let the sequencer number what they published."""
    with psycopg.connect(settings.database_url, row_factory=dict_row) as conn, conn.transaction():
        apply_all(conn, settings, events)
    sequencer = Sequencer(settings)
    try:
        sequencer.drain()
    finally:
        sequencer.close()


def readme_verifier() -> Any:
    """The signature check exactly as documented in the README."""
    block = re.search(r"```python\n((?:(?!```).)*?def verify_webhook.*?)```", README.read_text(), re.S)
    assert block, "README has no verify_webhook snippet"
    namespace: dict[str, Any] = {}
    exec(block.group(1), namespace)  # noqa: S102 - our own documentation
    return namespace["verify_webhook"]


class Receiver:
    """A real HTTP endpoint on 127.0.0.1; `status` is its answer to each POST.

    `requests` holds every request (headers as received, raw body), `received` only those it accepted (2xx).
    """

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 204
        receiver = self

        class Handle(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                request = (dict(self.headers.items()), self.rfile.read(int(self.headers["Content-Length"])))
                receiver.requests.append(request)
                if receiver.status < 300:
                    receiver.received.append(request)
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/progadmin"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def positions(self) -> list[int]:
        """The stream positions of the accepted deliveries, in the order they came."""
        return [json.loads(body)["position"] for _, body in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
