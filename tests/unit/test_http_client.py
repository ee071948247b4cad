"""The one JSON exchange the demo loader, benchmarks, fault suite and e2e tests share, and the retry policies
built on it, against a small local HTTP server (no platform needed)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bench.faults.client import Api as FaultApi
from deploy.demo.client import Api as DemoApi
from deploy.http_client import TEXT_KEPT, exchange
from services.common.config import Settings


class Scripted(BaseHTTPRequestHandler):
    """Answers each path with the next (status, content type, body) of its script; records what it got."""

    scripts: dict[str, list[tuple[int, str, bytes]]] = {}
    seen: list[dict[str, Any]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                          "body": self.rfile.read(length) if length else None})
        script = self.scripts[self.path.split("?")[0]]
        status, kind, body = script.pop(0) if len(script) > 1 else script[0]
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:  # keep the test output clean
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Scripted.scripts, Scripted.seen = {}, []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


JSON = "application/json"


def test_json_in_and_out(server: str) -> None:
    Scripted.scripts["/x"] = [(201, JSON, b'{"id": 7}')]
    answer = exchange("POST", f"{server}/x", {"name": "Bouw"}, {"Idempotency-Key": "k1"})
    assert (answer.status, answer.body, answer.ok) == (201, {"id": 7}, True)
    got = Scripted.seen[0]
    assert json.loads(got["body"]) == {"name": "Bouw"}
    assert got["headers"]["Content-Type"] == JSON and got["headers"]["Accept"] == JSON
    assert got["headers"]["Idempotency-Key"] == "k1"


def test_an_error_status_is_an_answer_with_its_problem_or_its_text(server: str) -> None:
    Scripted.scripts["/problem"] = [(422, "application/problem+json", b'{"title": "Invalid"}')]
    Scripted.scripts["/proxy"] = [(502, "text/html", b"<html>" + b"x" * 2000)]
    Scripted.scripts["/empty"] = [(404, JSON, b"")]
    problem = exchange("GET", f"{server}/problem")
    assert (problem.status, problem.body, problem.ok) == (422, {"title": "Invalid"}, False)
    proxy = exchange("GET", f"{server}/proxy")
    assert proxy.status == 502 and proxy.body.startswith("<html>") and len(proxy.body) == TEXT_KEPT
    assert exchange("GET", f"{server}/empty").body is None
    assert Scripted.seen[0]["body"] is None and "Content-Type" not in Scripted.seen[0]["headers"]


def test_no_server_raises_for_the_caller_to_decide(server: str) -> None:
    with pytest.raises(OSError):
        exchange("GET", "http://127.0.0.1:9/", timeout=2)


def test_the_fault_suite_sends_a_write_again_with_the_same_key_after_a_5xx(server: str) -> None:
    Scripted.scripts["/api/v1/companies"] = [(503, JSON, b'{"title": "Database restarting"}'),
                                             (201, JSON, b'{"id": "c1"}')]
    api = FaultApi({"enrolment": server}, Settings.from_env("enrolment", env="test"), retry_for=20)
    assert api.must("POST", "enrolment", "/companies", {"name": "Bouw"}) == {"id": "c1"}
    keys = [s["headers"]["Idempotency-Key"] for s in Scripted.seen]
    assert len(keys) == 2 and keys[0] == keys[1]
    assert (api.writes, api.retries, [status for _, status in api.attempts]) == (1, 1, [503, 201])


def test_the_demo_loader_retries_a_keyed_write_through_a_proxy_error_but_not_an_unkeyed_one(server: str) -> None:
    Scripted.scripts["/api/enrolment/v1/companies"] = [(502, "text/html", b"<html>bad gateway</html>"),
                                                       (201, JSON, b'{"id": "c1"}')]
    api = DemoApi(server, lambda: ("token", 300.0), "secret")
    assert api.must("POST", "enrolment", "/companies", {"name": "Bouw"}, key="demo-1") == {"id": "c1"}
    assert api.calls == 2 and Scripted.seen[0]["headers"]["Authorization"] == "Bearer token"
    Scripted.scripts["/api/enrolment/v1/companies"] = [(502, "text/html", b"<html>bad gateway</html>"),
                                                       (201, JSON, b'{"id": "c2"}')]
    answer = api.call("POST", "enrolment", "/companies", {"name": "Bouw"})
    assert (answer.status, answer.body) == (502, "<html>bad gateway</html>")
