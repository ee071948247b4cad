"""PostgreSQL TLS from the environment: every connection uses it, and a wrong setting fails clearly.

A PostgreSQL of this module's own runs with ssl=on and a certificate from a
CA made here, so verify-full (certificate and host name) is proved for real.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from deploy.infra import PostgresServer, free_port
from services.common.config import Settings
from services.common.db import open_pool
from tests.conftest import Platform

pytestmark = pytest.mark.integration


def _cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[str, ec.EllipticCurvePrivateKey] | None,
          ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer[0] if issuer else subject)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def tls_pg(workdir: Path) -> Iterator[tuple[PostgresServer, Path, Path]]:
    home = workdir / "pg-tls"
    home.mkdir()
    for folder in (workdir, home):  # run as root, the server is the `postgres` user: it must reach its data dir
        folder.chmod(folder.stat().st_mode | 0o711)
    ca_key, server_key, other_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = _cert("progadmin test CA", ca_key, None, ca=True)
    (home / "ca.pem").write_bytes(_pem(ca))
    (home / "other-ca.pem").write_bytes(_pem(_cert("someone else's CA", other_key, None, ca=True)))
    server = PostgresServer(home / "pg", free_port())
    server.init()
    crt, key = server.datadir / "server.crt", server.datadir / "server.key"
    crt.write_bytes(_pem(_cert("127.0.0.1", server_key, ("progadmin test CA", ca_key), ca=False)))
    key.write_bytes(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    key.chmod(0o600)
    if os.geteuid() == 0:  # the server runs as `postgres` and refuses a key others may read
        for path in (crt, key):
            shutil.chown(path, "postgres", "postgres")
    with open(server.datadir / "postgresql.conf", "a") as conf:
        conf.write("\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n")
    server.start(fast=True)
    try:
        yield server, home / "ca.pem", home / "other-ca.pem"
    finally:
        server.stop()


def settings_for(url: str, **tls: str) -> Settings:
    return Settings.from_env("enrolment", env="test", database_url=url, **tls)


def uses_tls(conninfo: str) -> bool:
    with psycopg.connect(conninfo, connect_timeout=5) as conn:
        row = conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
    return bool(row and row[0])


def test_verify_full_connects_over_tls_for_pools_and_single_connections(tls_pg: tuple[PostgresServer, Path, Path]
                                                                         ) -> None:
    server, ca, _ = tls_pg
    settings = settings_for(server.admin_url, pg_sslmode="verify-full", pg_sslrootcert=str(ca))
    assert uses_tls(settings.database_url)
    pool = open_pool(settings)
    try:
        with pool.connection(timeout=10) as conn:
            assert conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()["ssl"]
    finally:
        pool.close()
    # Without TLS asked for, the same server is reached in plain text: the setting is what made the difference.
    assert not uses_tls(settings_for(server.admin_url, pg_sslmode="disable").database_url)


def test_verify_full_refuses_a_server_whose_certificate_another_ca_signed(tls_pg: tuple[PostgresServer, Path, Path]
                                                                          ) -> None:
    server, _, other_ca = tls_pg
    settings = settings_for(server.admin_url, pg_sslmode="verify-full", pg_sslrootcert=str(other_ca))
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        uses_tls(settings.database_url)


def test_verify_full_refuses_a_host_name_the_certificate_does_not_name(tls_pg: tuple[PostgresServer, Path, Path]
                                                                       ) -> None:
    server, ca, _ = tls_pg
    # The same server by a name its certificate does not carry (hostaddr keeps the address).
    url = server.admin_url.replace("127.0.0.1", "db.example.invalid") + "?hostaddr=127.0.0.1"
    settings = settings_for(url, pg_sslmode="verify-full", pg_sslrootcert=str(ca))
    with pytest.raises(psycopg.OperationalError, match="does not match host name"):
        uses_tls(settings.database_url)


def test_require_against_a_server_without_tls_fails_clearly_and_disable_works(db_only: Platform) -> None:
    plain = db_only.settings("enrolment").database_url
    with pytest.raises(psycopg.OperationalError, match="server does not support SSL, but SSL was required"):
        uses_tls(settings_for(plain, pg_sslmode="require").database_url)
    assert not uses_tls(settings_for(plain, pg_sslmode="disable").database_url)
