"""Webhook rules without I/O: the Standard Webhooks signature, rotation's secrets, backoff, endpoint policy."""

from __future__ import annotations

import base64
import ssl
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from services.reporting.webhooks import (
    EndpointRefused,
    backoff,
    check_endpoint,
    http_post,
    new_secret,
    secret_key,
    signature,
    signed_headers,
    signing_secrets,
)


def test_the_signature_matches_the_standard_webhooks_test_vector() -> None:
    """The specification's own example (standard-webhooks libraries test against it)."""
    assert signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                     b'{"test": 2432232314}') == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_secrets_are_whsec_and_base64_of_32_random_bytes() -> None:
    made = {new_secret() for _ in range(50)}
    assert len(made) == 50
    for secret in made:
        assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:], validate=True)) == 32
        assert secret_key(secret) == base64.b64decode(secret[6:])
    with pytest.raises(ValueError):
        secret_key("whsec_not base64!")


def test_signed_headers_verify_with_the_standardwebhooks_package_and_carry_one_signature_per_secret() -> None:
    new, old, stranger = new_secret(), new_secret(), new_secret()
    body, now = b'{"id":"e-1","type":"x"}', int(time.time())
    headers = signed_headers([new, old], "e-1", now, body)
    assert set(headers) >= {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-id"] == "e-1" and headers["webhook-timestamp"] == str(now)
    assert headers["webhook-signature"] == f"{signature(new, 'e-1', now, body)} {signature(old, 'e-1', now, body)}"
    for secret in (new, old):
        assert Webhook(secret).verify(body, headers) == {"id": "e-1", "type": "x"}
    for bad_secret, bad_body, bad_headers in ((stranger, body, headers), (new, body + b" ", headers),
                                              (new, body, {**headers, "webhook-id": "e-2"}),
                                              (new, body, signed_headers([new], "e-1", now - 600, body))):
        with pytest.raises(WebhookVerificationError):
            Webhook(bad_secret).verify(bad_body, bad_headers)


def test_the_previous_secret_signs_only_until_its_overlap_ends() -> None:
    now = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)
    sub = {"secret": "whsec_new", "previous_secret": "whsec_old", "previous_secret_expires_at": now}
    assert signing_secrets(sub, now - timedelta(seconds=1)) == ["whsec_new", "whsec_old"]
    assert signing_secrets(sub, now) == ["whsec_new"]
    assert signing_secrets({**sub, "previous_secret": None}, now - timedelta(hours=1)) == ["whsec_new"]
    assert signing_secrets({"secret": "whsec_new"}, now) == ["whsec_new"]


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
