"""Every Kafka client of the platform talks to a cluster that requires TLS and SASL, configured
from the environment only (PROGADMIN_KAFKA_*), and a wrong credential or CA is refused."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import pytest
from kafka.errors import KafkaError

from services.common import broker
from services.common.config import Settings
from tests.integration.kafka_security.conftest import PLAIN_USERS, USERS, SecureKafka

pytestmark = pytest.mark.integration
TIMEOUTS: dict[str, Any] = {"consumer_session_timeout_ms": 1500, "consumer_heartbeat_ms": 300,
                            "relay_send_timeout_ms": 4000, "topic_partitions": 3}


def settings_for(kafka: SecureKafka, env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                 service: str = "enrolment") -> Settings:
    """Settings read from the environment, exactly as a service process would read them."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings.from_env(service, env="test", topic_prefix=f"t{uuid.uuid4().hex[:8]}.", **TIMEOUTS)


def scram_env(kafka: SecureKafka, mechanism: str = "SCRAM-SHA-512", password: str | None = None,
              ca: str | None = None) -> dict[str, str]:
    user = "enrolment-svc"
    return {"PROGADMIN_KAFKA_BOOTSTRAP": f"127.0.0.1:{kafka.sasl_ssl_port}",
            "PROGADMIN_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "PROGADMIN_KAFKA_SASL_MECHANISM": mechanism,
            "PROGADMIN_KAFKA_SASL_USERNAME": user, "PROGADMIN_KAFKA_SASL_PASSWORD": password or USERS[user],
            "PROGADMIN_KAFKA_SSL_CAFILE": ca or str(kafka.ca_file), "PROGADMIN_KAFKA_SSL_CHECK_HOSTNAME": "true"}


def plain_env(kafka: SecureKafka, password: str | None = None) -> dict[str, str]:
    user = "plain-svc"
    return {"PROGADMIN_KAFKA_BOOTSTRAP": f"127.0.0.1:{kafka.sasl_plain_port}",
            "PROGADMIN_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "PROGADMIN_KAFKA_SASL_MECHANISM": "PLAIN",
            "PROGADMIN_KAFKA_SASL_USERNAME": user, "PROGADMIN_KAFKA_SASL_PASSWORD": password or PLAIN_USERS[user]}


def round_trip(settings: Settings, n: int = 10) -> list[bytes]:
    """Create the topic (admin), produce n records (producer), read them in a group (consumer)."""
    topic = settings.topic("enrolment")
    assert broker.ensure_topics(settings, [topic]) == [topic]
    producer = broker.producer(settings)
    try:
        for i in range(n):
            producer.send(topic, key=b"k%d" % i, value=b"v%d" % i).get(timeout=10)
    finally:
        producer.close()
    consumer = broker.consumer(settings, f"{topic}.group", [topic])
    values: list[bytes] = []
    try:
        deadline = time.monotonic() + 30
        while len(values) < n and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=300).values():
                values += [r.value for r in records]
        consumer.commit()
    finally:
        consumer.close()
    return sorted(values)


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "SCRAM-SHA-256"])
def test_scram_over_tls(secure_kafka: SecureKafka, monkeypatch: pytest.MonkeyPatch, mechanism: str) -> None:
    settings = settings_for(secure_kafka, scram_env(secure_kafka, mechanism), monkeypatch)
    assert broker.client_config(settings)["security_protocol"] == "SASL_SSL"
    assert round_trip(settings) == sorted(b"v%d" % i for i in range(10))
    assert broker.reachable(settings)


def test_plain(secure_kafka: SecureKafka, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_for(secure_kafka, plain_env(secure_kafka), monkeypatch)
    assert round_trip(settings, 5) == sorted(b"v%d" % i for i in range(5))


def test_mutual_tls(secure_kafka: SecureKafka, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"PROGADMIN_KAFKA_BOOTSTRAP": f"127.0.0.1:{secure_kafka.ssl_port}",
           "PROGADMIN_KAFKA_SECURITY_PROTOCOL": "SSL", "PROGADMIN_KAFKA_SSL_CAFILE": str(secure_kafka.ca_file),
           "PROGADMIN_KAFKA_SSL_CERTFILE": str(secure_kafka.client_cert),
           "PROGADMIN_KAFKA_SSL_KEYFILE": str(secure_kafka.client_key)}
    assert round_trip(settings_for(secure_kafka, env, monkeypatch), 3) == [b"v0", b"v1", b"v2"]
    # Without its certificate the same client is turned away.
    _refused(settings_for(secure_kafka, {**env, "PROGADMIN_KAFKA_SSL_CERTFILE": "", "PROGADMIN_KAFKA_SSL_KEYFILE": ""},
                          monkeypatch))


def test_dead_letter_reader_and_service_credentials(secure_kafka: SecureKafka,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Tools (the DLQ reader) use the same security; a service's own Kafka user wins over the shared one."""
    from services.common.dlq import read_dead_letters

    env = {**scram_env(secure_kafka, password="not-the-shared-one"),
           "PROGADMIN_REPORTING_KAFKA_SASL_USERNAME": "reporting-svc",
           "PROGADMIN_REPORTING_KAFKA_SASL_PASSWORD": USERS["reporting-svc"]}
    settings = settings_for(secure_kafka, env, monkeypatch, service="reporting")
    assert settings.kafka_sasl_username == "reporting-svc"
    dlq = settings.dlq_topic(settings.topic("reporting"))
    broker.ensure_topics(settings, [dlq])
    producer = broker.producer(settings)
    try:
        producer.send(dlq, key=b"k", value=b"parked", headers=[("error", b"boom")]).get(timeout=10)
    finally:
        producer.close()
    letters = read_dead_letters(settings, dlq)
    assert [(d.value, d.header("error")) for d in letters] == [(b"parked", "boom")]


def _refused(settings: Settings) -> None:
    """No client gets in: kafka-python gives up bootstrapping (it logs the broker's reason)."""
    with pytest.raises(KafkaError):
        client = broker.admin(settings, request_timeout_ms=3000, bootstrap_timeout_ms=4000)
        try:
            client.list_topics()
        finally:
            client.close()


def _broker_log(kafka: SecureKafka) -> str:
    log = kafka.node.datadir / "kafka.log"
    return log.read_text(errors="replace") if log.exists() else ""


def test_wrong_password_is_refused(secure_kafka: SecureKafka, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = len(_broker_log(secure_kafka))
    _refused(settings_for(secure_kafka, scram_env(secure_kafka, password="wrong"), monkeypatch))
    _refused(settings_for(secure_kafka, plain_env(secure_kafka, password="wrong"), monkeypatch))
    # An unknown user too, and the producer path refuses just the same.
    settings = settings_for(secure_kafka, {**scram_env(secure_kafka), "PROGADMIN_KAFKA_SASL_USERNAME": "nobody"},
                            monkeypatch)
    with pytest.raises(KafkaError):
        broker.producer(settings, max_block_ms=3000, bootstrap_timeout_ms=4000).send("x", b"v").get(timeout=5)
    # The broker says why (deploy/kafka/log4j2.yaml logs each failed authentication).
    refusals = [line for line in _broker_log(secure_kafka)[seen:].splitlines() if "Failed authentication" in line]
    assert any("invalid credentials with SASL mechanism SCRAM-SHA-512" in line for line in refusals), refusals
    assert any("Invalid username or password" in line for line in refusals), refusals
    # The right password still works on the same listener, so the refusals above are about the password.
    broker.admin(settings_for(secure_kafka, scram_env(secure_kafka), monkeypatch)).close()


def test_certificate_from_another_ca_is_refused(secure_kafka: SecureKafka, monkeypatch: pytest.MonkeyPatch,
                                                caplog: pytest.LogCaptureFixture) -> None:
    settings = settings_for(secure_kafka, scram_env(secure_kafka, ca=str(secure_kafka.other_ca_file)), monkeypatch)
    with caplog.at_level(logging.WARNING, logger="kafka"):
        _refused(settings)
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text, caplog.text[-2000:]


def test_incomplete_security_settings_fail_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PROGADMIN_KAFKA_SASL_USERNAME", "PROGADMIN_KAFKA_SASL_PASSWORD",
                 "PROGADMIN_ENROLMENT_KAFKA_SASL_USERNAME", "PROGADMIN_ENROLMENT_KAFKA_SASL_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROGADMIN_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("PROGADMIN_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    with pytest.raises(ValueError, match="USERNAME"):
        broker.client_config(Settings.from_env("enrolment", env="test"))
    monkeypatch.setenv("PROGADMIN_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("PROGADMIN_KAFKA_SASL_MECHANISM", "GSSAPI")
    with pytest.raises(ValueError, match="MECHANISM"):
        broker.client_config(Settings.from_env("enrolment", env="test"))
    monkeypatch.setenv("PROGADMIN_KAFKA_SECURITY_PROTOCOL", "TLS")
    with pytest.raises(ValueError, match="SECURITY_PROTOCOL"):
        broker.client_config(Settings.from_env("enrolment", env="test"))
