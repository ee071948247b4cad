"""Webhook rules without I/O: signature, backoff schedule, endpoint policy."""

from __future__ import annotations

import hashlib
import hmac
import ssl
import subprocess
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from services.reporting.webhooks import (
    EndpointRefused,
    backoff,
    check_endpoint,
    http_post,
    signature,
    signed_headers,
)


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"id":"1"}'
    expected = hmac.new(b"whsec_abc", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("whsec_abc", 1700000000, body) == f"v1={expected}"
    headers = signed_headers("whsec_abc", "d-1", 1700000000, body)
    assert headers["Webhook-Id"] == "d-1" and headers["Webhook-Timestamp"] == "1700000000"
    assert signature("whsec_abc", 1700000001, body) != headers["Webhook-Signature"]


def test_backoff_doubles_from_30_seconds_and_is_capped_at_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920, 3600]
    assert backoff(50) == timedelta(hours=1)


def public(host: str) -> list[str]:
    return {"hooks.example.org": ["93.184.216.34"], "intranet.example.org": ["10.1.2.3"],
            "sneaky.example.org": ["93.184.216.34", "127.0.0.1"], "v6.example.org": ["::1"]}[host]


@pytest.mark.parametrize(("url", "reason"), [
    ("http://hooks.example.org/x", "must be an https URL"),
    ("https://intranet.example.org/x", "private or loopback"),
    ("https://sneaky.example.org/x", "private or loopback"),
    ("https://v6.example.org/x", "private or loopback"),
    ("https://127.0.0.1/x", "private or loopback"),
    ("https://192.168.1.10/x", "private or loopback"),
    ("https://169.254.169.254/latest/meta-data", "private or loopback"),
    ("https://[::1]/x", "private or loopback"),
    ("https://user:pw@hooks.example.org/x", "credentials"),
    ("ftp://hooks.example.org/x", "must be an https URL"),
])
def test_production_refuses_plain_http_and_private_or_loopback_endpoints(url: str, reason: str) -> None:
    with pytest.raises(EndpointRefused, match=reason):
        check_endpoint(url, "production", resolver=public)


def test_production_accepts_https_to_a_public_address() -> None:
    check_endpoint("https://hooks.example.org/progadmin", "production", resolver=public)


@pytest.mark.parametrize("env", ["development", "test"])
def test_development_allows_a_local_http_receiver(env: str) -> None:
    check_endpoint("http://127.0.0.1:9999/hook", env, resolver=public)
    with pytest.raises(EndpointRefused):
        check_endpoint("ftp://127.0.0.1/hook", env, resolver=public)


def test_the_check_returns_the_vetted_addresses_to_connect_to() -> None:
    assert check_endpoint("https://hooks.example.org/progadmin", "production", resolver=public) == ["93.184.216.34"]
    assert check_endpoint("https://93.184.216.34/x", "production", resolver=public) == ["93.184.216.34"]


def test_a_pinned_post_connects_to_the_vetted_address_not_a_fresh_lookup() -> None:
    """DNS rebinding: the name is not resolved again at connect time (this one cannot resolve at all)."""
    received: list[tuple[str, bytes]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append((self.headers["Host"], self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        outcome = http_post(f"http://rebinding.invalid:{port}/hook", b"{}", {"Content-Type": "application/json"},
                            5.0, "127.0.0.1")
    finally:
        server.shutdown()
        server.server_close()
    assert outcome.ok and outcome.status_code == 204, outcome
    assert received == [(f"rebinding.invalid:{port}", b"{}")]


def test_a_pinned_https_post_still_checks_the_certificate_against_the_host_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=hooks.example.test",
                    "-addext", "subjectAltName=DNS:hooks.example.test"],
                   check=True, capture_output=True)
    hosts: list[str] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hosts.append(self.headers["Host"])
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    server.socket = server_tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        untrusted = http_post(f"https://hooks.example.test:{port}/hook", b"{}", {}, 5.0, "127.0.0.1")
        assert not untrusted.ok and "CERTIFICATE_VERIFY_FAILED" in str(untrusted.error)
        trusting = ssl.create_default_context(cafile=cert)
        monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: trusting)
        ok = http_post(f"https://hooks.example.test:{port}/hook", b"{}", {}, 5.0, "127.0.0.1")
        assert ok.ok and ok.status_code == 200, ok
        assert hosts == [f"hooks.example.test:{port}"]
        wrong_name = http_post(f"https://other.example.test:{port}/hook", b"{}", {}, 5.0, "127.0.0.1")
        assert not wrong_name.ok and "CERTIFICATE_VERIFY_FAILED" in str(wrong_name.error)
    finally:
        server.shutdown()
        server.server_close()
