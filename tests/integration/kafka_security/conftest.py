"""A Kafka broker that requires authentication, as a managed or Strimzi cluster would.

One KRaft node with four listeners: SASL_SSL (SCRAM-SHA-512, SCRAM-SHA-256,
PLAIN; a certificate from a CA made here with `cryptography`), SASL_PLAINTEXT
(PLAIN), SSL with client certificates (mutual TLS), and PLAINTEXT, which only
the harness uses to see the node is up.
SCRAM users are created when the storage is formatted (`--add-scram`), as
KRaft allows before the first start.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from deploy.infra import KafkaBroker, free_port

USERS = {"enrolment-svc": "scram-secret-1", "reporting-svc": "scram-secret-2"}
PLAIN_USERS = {"plain-svc": "plain-secret"}


@dataclass
class SecureKafka:
    node: KafkaBroker
    sasl_ssl_port: int
    sasl_plain_port: int
    ssl_port: int  # mutual TLS: a client certificate from the CA is required
    ca_file: Path
    client_cert: Path
    client_key: Path
    other_ca_file: Path  # a CA that did not sign the broker's certificate


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ca(cn: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def write_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """CA, broker certificate (SAN 127.0.0.1 and localhost) and a client certificate (client.pem, client.key).

    Returns the CA file, the broker's PEM keystore, and another CA's file.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = _ca("progadmin test CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name("kafka")).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    # Kafka's PEM keystore: the private key (PKCS#8) followed by the certificate chain.
    keystore = directory / "broker.pem"
    keystore.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption())
        + cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(serialization.Encoding.PEM))
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = (x509.CertificateBuilder().subject_name(_name("progadmin-enrolment")).issuer_name(ca_cert.subject)
              .public_key(client_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(minutes=5))
              .not_valid_after(now + datetime.timedelta(days=1)).sign(ca_key, hashes.SHA256()))
    (directory / "client.pem").write_bytes(client.public_bytes(serialization.Encoding.PEM))
    (directory / "client.key").write_bytes(client_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    other = directory / "other-ca.pem"
    other.write_bytes(_ca("someone else's CA")[1].public_bytes(serialization.Encoding.PEM))
    return ca_file, keystore, other


@pytest.fixture(scope="session")
def secure_kafka(workdir: Path) -> Iterator[SecureKafka]:
    base = workdir / "kafka-secure"
    ca_file, keystore, other_ca = write_certificates(base / "tls")
    port, controller, sasl_ssl, sasl_plain, ssl = (free_port() for _ in range(5))
    plain_users = "".join(f' user_{u}="{p}"' for u, p in PLAIN_USERS.items())
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
    plain = f"org.apache.kafka.common.security.plain.PlainLoginModule required{plain_users};"
    node = KafkaBroker(
        base / "node", port, controller, heap="256m", min_session_timeout_ms=500, default_partitions=3,
        extra_config={
            "listeners": (f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller},"
                          f"SASL_SSL://127.0.0.1:{sasl_ssl},SASL_PLAINTEXT://127.0.0.1:{sasl_plain},"
                          f"SSL://127.0.0.1:{ssl}"),
            "advertised.listeners": (f"PLAINTEXT://127.0.0.1:{port},SASL_SSL://127.0.0.1:{sasl_ssl},"
                                     f"SASL_PLAINTEXT://127.0.0.1:{sasl_plain},SSL://127.0.0.1:{ssl}"),
            "listener.security.protocol.map": ("PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,"
                                               "SASL_SSL:SASL_SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL"),
            "listener.name.ssl.ssl.client.auth": "required",
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(ca_file),
            "sasl.enabled.mechanisms": "SCRAM-SHA-512,SCRAM-SHA-256,PLAIN",
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": scram,
            "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config": scram,
            "listener.name.sasl_ssl.plain.sasl.jaas.config": plain,
            "listener.name.sasl_plaintext.plain.sasl.jaas.config": plain,
            "listener.name.sasl_plaintext.sasl.enabled.mechanisms": "PLAIN",
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(keystore),
        },
        format_args=[arg for user, password in USERS.items() for mech in ("SCRAM-SHA-512", "SCRAM-SHA-256")
                     for arg in ("--add-scram", f"{mech}=[name={user},password={password}]")],
    )
    node.start()
    try:
        yield SecureKafka(node, sasl_ssl, sasl_plain, ssl, ca_file, ca_file.parent / "client.pem",
                          ca_file.parent / "client.key", other_ca)
    finally:
        node.stop()
