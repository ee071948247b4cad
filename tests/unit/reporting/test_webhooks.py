"""Webhook rules without I/O: signature, backoff schedule, endpoint policy."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest

from services.reporting.webhooks import EndpointRefused, backoff, check_endpoint, signature, signed_headers


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
