"""A real gunicorn with the deployed config: its own refusals (414, 431) and the app's body limit
(413, also for a chunked body without Content-Length) all answer problem+json."""

from __future__ import annotations

import http.client
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.webs import DEPLOYED_CONFIG, ROOT, gunicorn_argv, wait_live
from deploy.infra import free_port
from tests.conftest import Platform

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@pytest.fixture
def server(db_only: Platform, tmp_path: Path) -> Iterator[tuple[str, int]]:
    db_only.settings("enrolment")
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(gunicorn_argv("enrolment", port, tmp_path / "ctl", "--config", str(DEPLOYED_CONFIG),
                                              "--workers", "1"),
                                cwd=ROOT, env=db_only.env(), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        wait_live(f"http://127.0.0.1:{port}", proc, log, 60)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        proc.wait(20)


def ask(server: tuple[str, int], method: str, path: str, headers: dict[str, str] | None = None,
        body: bytes | None = None, chunked: bool = False) -> tuple[int, str, dict[str, object]]:
    conn = http.client.HTTPConnection(*server, timeout=20)
    try:
        conn.request(method, path, body=iter([body]) if chunked and body else body, headers=headers or {},
                     encode_chunked=chunked)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type") or "", json.loads(response.read() or b"{}")
    finally:
        conn.close()


def test_a_too_long_request_line_is_414_problem_json(server: tuple[str, int]) -> None:
    status, content_type, body = ask(server, "GET", "/api/v1/companies?q=" + "a" * 5000)
    assert (status, content_type) == (414, "application/problem+json")
    assert body["status"] == 414 and len(str(body["detail"])) <= 200


def test_a_too_large_header_is_431_problem_json(server: tuple[str, int]) -> None:
    status, content_type, body = ask(server, "GET", "/livez", headers={"X-Big": "b" * 9000})
    assert (status, content_type) == (431, "application/problem+json")
    assert body["status"] == 431


def test_a_body_over_the_limit_is_413_problem_json_with_or_without_content_length(server: tuple[str, int]) -> None:
    big = b'{"name": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    headers = {"Content-Type": "application/json", "Authorization": "Bearer x"}
    for chunked in (False, True):
        status, content_type, body = ask(server, "POST", "/api/v1/companies", headers=headers, body=big,
                                         chunked=chunked)
        assert (status, content_type) == (413, "application/problem+json"), (chunked, status, body)
