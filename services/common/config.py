"""Settings from the environment, with local defaults: what every service shares.

Every address, port, URL and credential is read from the environment here or
in a service's own `services/<service>/settings.py`, and nowhere else, so the
same code runs against the local stack, the test harness's servers, or a
remote Kafka cluster and managed databases: only the variables change.

`Settings` holds what all four services need (database, Kafka, sign-in, relay,
consumer, worker, pruning). Each service's settings type extends it with what
only that service uses and its own secrets (`EnrolmentSettings`,
`SessionsSettings`, `NotificationsSettings`, `ReportingSettings`), so a service
holds no other service's secret. `Settings.from_env("sessions")` gives the
sessions type (common code and tests need not know the types);
`SessionsSettings.from_env()` says the same where the type matters, and a
service's code reads its own type.
"""

from __future__ import annotations

import importlib
import logging
import os
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, TypeVar
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

SERVICES = ("enrolment", "sessions", "notifications", "reporting")
DEV_JWT_SECRET = "progadmin-local-development-secret-change-me"
DEV_LINK_SECRET = "progadmin-local-link-secret-change-me"
DEV_PSEUDONYM_SECRET = "progadmin-local-pseudonym-secret-change-me"
DEV_SESSION_SECRET = "progadmin-local-session-secret-change-me"
DEFAULT_PORTS = {"enrolment": 8081, "sessions": 8082, "notifications": 8083, "reporting": 8084}
# The secrets only some services use, and which. A service never reads another's: a variable
# mounted into the wrong pod gives it nothing to leak. Every service uses its own database URL,
# the session and OIDC client secrets (pages sign in everywhere) and the Kafka credentials.
SECRET_USERS: dict[str, tuple[str, ...]] = {
    # Signed links in mails: notifications signs them, sessions and reporting sign and verify them.
    "PROGADMIN_LINK_SECRET": ("sessions", "notifications", "reporting"),
    "PROGADMIN_REPORTING_PSEUDONYM_SECRET": ("reporting",),
    "PROGADMIN_SMTP_USERNAME": ("notifications",),
    "PROGADMIN_SMTP_PASSWORD": ("notifications",),
}
# PostgreSQL TLS from the environment, applied to every connection (libpq parameter names).
PG_TLS_VARS = {"sslmode": "PROGADMIN_PG_SSLMODE", "sslrootcert": "PROGADMIN_PG_SSLROOTCERT",
               "sslcert": "PROGADMIN_PG_SSLCERT", "sslkey": "PROGADMIN_PG_SSLKEY"}
PG_SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
log = logging.getLogger(__name__)
S = TypeVar("S", bound="Settings")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def env_flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def with_pg_tls(url: str, tls: dict[str, str]) -> str:
    """`url` with the TLS parameters added; parameters the URL itself carries win (the more specific)."""
    wanted = {k: v for k, v in tls.items() if v}
    if not wanted or not url:
        return url
    if "://" not in url:  # a key=value conninfo string
        present = {part.split("=", 1)[0].strip() for part in url.split() if "=" in part}
        return " ".join([url, *(f"{k}={v}" for k, v in wanted.items() if k not in present)])
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {k for k, _ in query}
    query += [(k, v) for k, v in wanted.items() if k not in present]
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))  # libpq reads %20, not +


def default_database_url(service: str) -> str:
    port = os.environ.get("PROGADMIN_PG_PORT", "55432")
    return f"postgresql://{service}:{service}@127.0.0.1:{port}/progadmin_{service}"


@dataclass(frozen=True)
class Settings:
    """Configuration of one service process."""

    service: str
    env: str = "development"
    database_url: str = ""
    kafka_bootstrap: str = "127.0.0.1:19092"
    # A prefix lets several isolated copies share one broker (tests do).
    topic_prefix: str = ""
    topic_partitions: int = 6
    topic_replication: int = 1
    jwt_secret: str = DEV_JWT_SECRET
    jwt_issuer: str = "progadmin"
    jwt_audience: str = "progadmin"
    # Development tokens (HS256 with jwt_secret, `auth mint`): on outside production only.
    dev_tokens: bool = True
    # The identity provider (OpenID Connect). Empty issuer: only development tokens.
    oidc_issuer: str = ""
    # Where services fetch the provider's metadata when it differs from `<issuer>/.well-known/...`
    # (in a cluster the provider may be reached at an internal address).
    oidc_discovery_url: str = ""
    oidc_audience: str = "progadmin"
    oidc_client_id: str = "progadmin-web"
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid profile email"
    oidc_roles_claim: str = "roles"
    oidc_regions_claim: str = "regions"
    oidc_algorithms: tuple[str, ...] = ("RS256", "ES256")
    oidc_leeway_s: int = 30
    oidc_jwks_min_refresh_s: int = 10
    # The one origin where people reach every page and API (the reverse proxy).
    origin: str = "http://127.0.0.1:8080"
    # Signs the pages' session cookie; the same in every service, so one sign-in serves all.
    session_secret: str = DEV_SESSION_SECRET
    session_hours: int = 8
    relay_poll_ms: int = 200
    relay_batch_size: int = 500
    # How long a batch may wait for Kafka's acknowledgement before the relay
    # backs off and resends it later.
    relay_send_timeout_ms: int = 30000
    consumer_session_timeout_ms: int = 10000
    consumer_heartbeat_ms: int = 3000
    consumer_max_poll_interval_ms: int = 300000
    consumer_poll_ms: int = 500
    consumer_max_attempts: int = 5
    consumer_retry_backoff_ms: int = 200
    db_pool_min: int = 1
    db_pool_max: int = 10
    db_acquire_timeout_s: float = 5.0
    log_level: str = "INFO"
    # Where people reach each service from outside (links in mails, the pages' navigation).
    public_urls: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    # The largest request body any service reads (413 above it).
    max_body_bytes: int = 1024 * 1024
    # A worker's loops get this long after SIGTERM to finish what is in hand; then the process exits anyway.
    worker_stop_grace_s: float = 3.0
    # The worker's own health server (/livez, /readyz, /metrics): -1 none, 0 any free port.
    worker_health_port: int = -1
    worker_health_host: str = "0.0.0.0"  # all interfaces: the kubelet probes the pod's address
    # PostgreSQL TLS (libpq sslmode, CA, client certificate and key), added to database_url.
    pg_sslmode: str = ""
    pg_sslrootcert: str = ""
    pg_sslcert: str = ""
    pg_sslkey: str = ""
    # How long dedupe claims (processed_events) and Idempotency-Key responses are kept. The dedupe
    # retention must exceed the longest replay window (README, "Pruning").
    dedupe_retention_days: int = 30
    idempotency_retention_hours: int = 48
    prune_interval_s: int = 600
    prune_batch_size: int = 5000
    # Kafka client security (every producer, consumer and admin client; broker.client_config).
    kafka_security_protocol: str = "PLAINTEXT"  # PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL
    kafka_sasl_mechanism: str = ""  # PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512
    kafka_sasl_username: str = ""
    kafka_sasl_password: str = ""
    kafka_ssl_cafile: str = ""
    kafka_ssl_certfile: str = ""
    kafka_ssl_keyfile: str = ""
    kafka_ssl_check_hostname: bool = True
    # Topic settings (services/common/topic_specs.py). Dead letters may hold personal data, so
    # they expire; contact details are compacted, and a tombstone is kept this long for consumers.
    dlq_retention_ms: int = 14 * 24 * 3600 * 1000
    contacts_min_compaction_lag_ms: int = 10 * 60 * 1000
    contacts_delete_retention_ms: int = 24 * 3600 * 1000
    # Per-topic config overrides by topic name without prefix (tests force compaction with them).
    topic_config_overrides: dict[str, dict[str, str]] = field(default_factory=dict)

    # The service this type is for; "" for the common base (then from_env picks the service's type).
    SERVICE: ClassVar[str] = ""

    @classmethod
    def from_env(cls: type[S], service: str | None = None, **overrides: Any) -> S:
        """Read `PROGADMIN_*` variables; keyword overrides win (tests use them).

        On the common `Settings` the service must be named and its own settings type is
        returned; on a service's type the service is implied.
        """
        service = service or cls.SERVICE
        if service not in SERVICES:
            raise ValueError(f"unknown service {service!r}")
        if cls.SERVICE and service != cls.SERVICE:
            raise ValueError(f"{cls.__name__} holds {cls.SERVICE}'s settings, not {service}'s")
        kind: type[S] = cls if cls.SERVICE else settings_type(service)  # type: ignore[assignment]
        values = kind.read_env(service)
        values.update(overrides)
        # Every connection (pools, the relay's lock, migrations, rebuilds) is opened from database_url.
        values["database_url"] = with_pg_tls(values["database_url"],
                                             {key: values[f"pg_{key}"] for key in PG_TLS_VARS})
        foreign = [name for name, users in SECRET_USERS.items() if service not in users and os.environ.get(name)]
        if foreign and values["env"] == "production":
            log.warning("%s: %s set in this service's environment but not read (another service's secret); "
                        "give each service only its own", service, ", ".join(foreign))
        if values["dev_tokens"] is None:  # unless said explicitly: on everywhere but production
            values["dev_tokens"] = values["env"] != "production"
        settings = kind(**values)
        settings.check()
        return settings

    @classmethod
    def read_env(cls, service: str) -> dict[str, Any]:
        """This type's fields from the environment; a service's type adds its own to the common ones."""
        upper = service.upper()
        values: dict[str, Any] = {
            "service": service,
            "env": os.environ.get("PROGADMIN_ENV", "development"),
            "database_url": os.environ.get(f"PROGADMIN_{upper}_DATABASE_URL") or default_database_url(service),
            "kafka_bootstrap": os.environ.get("PROGADMIN_KAFKA_BOOTSTRAP", "127.0.0.1:19092"),
            "topic_prefix": os.environ.get("PROGADMIN_TOPIC_PREFIX", ""),
            "topic_partitions": env_int("PROGADMIN_TOPIC_PARTITIONS", 6),
            "topic_replication": env_int("PROGADMIN_TOPIC_REPLICATION", 1),
            "jwt_secret": os.environ.get("PROGADMIN_JWT_SECRET", DEV_JWT_SECRET),
            "jwt_issuer": os.environ.get("PROGADMIN_JWT_ISSUER", "progadmin"),
            "jwt_audience": os.environ.get("PROGADMIN_JWT_AUDIENCE", "progadmin"),
            "dev_tokens": env_flag("PROGADMIN_DEV_TOKENS", False) if os.environ.get("PROGADMIN_DEV_TOKENS") else None,
            "oidc_issuer": os.environ.get("PROGADMIN_OIDC_ISSUER", "").rstrip("/"),
            "oidc_discovery_url": os.environ.get("PROGADMIN_OIDC_DISCOVERY_URL", ""),
            "oidc_audience": os.environ.get("PROGADMIN_OIDC_AUDIENCE", "progadmin"),
            "oidc_client_id": os.environ.get("PROGADMIN_OIDC_CLIENT_ID", "progadmin-web"),
            "oidc_client_secret": os.environ.get("PROGADMIN_OIDC_CLIENT_SECRET", ""),
            "oidc_scopes": os.environ.get("PROGADMIN_OIDC_SCOPES", "openid profile email"),
            "oidc_roles_claim": os.environ.get("PROGADMIN_OIDC_ROLES_CLAIM", "roles"),
            "oidc_regions_claim": os.environ.get("PROGADMIN_OIDC_REGIONS_CLAIM", "regions"),
            "oidc_algorithms": tuple(a.strip() for a in os.environ.get("PROGADMIN_OIDC_ALGORITHMS",
                                                                       "RS256,ES256").split(",") if a.strip()),
            "oidc_leeway_s": env_int("PROGADMIN_OIDC_LEEWAY_S", 30),
            "oidc_jwks_min_refresh_s": env_int("PROGADMIN_OIDC_JWKS_MIN_REFRESH_S", 10),
            "origin": os.environ.get("PROGADMIN_ORIGIN", "http://127.0.0.1:8080").rstrip("/"),
            "session_secret": os.environ.get("PROGADMIN_SESSION_SECRET", DEV_SESSION_SECRET),
            "session_hours": env_int("PROGADMIN_SESSION_HOURS", 8),
            "relay_poll_ms": env_int("PROGADMIN_RELAY_POLL_MS", 200),
            "relay_send_timeout_ms": env_int("PROGADMIN_RELAY_SEND_TIMEOUT_MS", 30000),
            "consumer_session_timeout_ms": env_int("PROGADMIN_CONSUMER_SESSION_TIMEOUT_MS", 10000),
            "consumer_heartbeat_ms": env_int("PROGADMIN_CONSUMER_HEARTBEAT_MS", 3000),
            "consumer_poll_ms": env_int("PROGADMIN_CONSUMER_POLL_MS", 500),
            "consumer_max_attempts": env_int("PROGADMIN_CONSUMER_MAX_ATTEMPTS", 5),
            "consumer_retry_backoff_ms": env_int("PROGADMIN_CONSUMER_RETRY_BACKOFF_MS", 200),
            "db_pool_min": env_int("PROGADMIN_DB_POOL_MIN", 1),
            "db_pool_max": env_int("PROGADMIN_DB_POOL_MAX", 10),
            "db_acquire_timeout_s": float(os.environ.get("PROGADMIN_DB_ACQUIRE_TIMEOUT_S") or 5),
            "log_level": os.environ.get("PROGADMIN_LOG_LEVEL", "INFO"),
            "public_urls": {s: os.environ.get(f"PROGADMIN_{s.upper()}_PUBLIC_URL")
                            or f"http://127.0.0.1:{os.environ.get(f'PROGADMIN_{s.upper()}_PORT', DEFAULT_PORTS[s])}"
                            for s in SERVICES},
            "max_body_bytes": env_int("PROGADMIN_MAX_BODY_BYTES", 1024 * 1024),
            "worker_stop_grace_s": float(os.environ.get("PROGADMIN_WORKER_STOP_GRACE_S", "3")),
            "worker_health_port": env_int("PROGADMIN_WORKER_HEALTH_PORT", -1),
            "worker_health_host": os.environ.get("PROGADMIN_WORKER_HEALTH_HOST", "0.0.0.0"),
            **{f"pg_{key}": os.environ.get(var, "") for key, var in PG_TLS_VARS.items()},
            "dedupe_retention_days": env_int("PROGADMIN_DEDUPE_RETENTION_DAYS", 30),
            "idempotency_retention_hours": env_int("PROGADMIN_IDEMPOTENCY_RETENTION_HOURS", 48),
            "prune_interval_s": env_int("PROGADMIN_PRUNE_INTERVAL_S", 600),
            "prune_batch_size": env_int("PROGADMIN_PRUNE_BATCH_SIZE", 5000),
            "kafka_security_protocol": os.environ.get("PROGADMIN_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").upper(),
            "kafka_sasl_mechanism": os.environ.get("PROGADMIN_KAFKA_SASL_MECHANISM", "").upper(),
            # A service's own Kafka user (PROGADMIN_<SERVICE>_KAFKA_SASL_*) wins over a shared one.
            "kafka_sasl_username": os.environ.get(f"PROGADMIN_{upper}_KAFKA_SASL_USERNAME")
            or os.environ.get("PROGADMIN_KAFKA_SASL_USERNAME", ""),
            "kafka_sasl_password": os.environ.get(f"PROGADMIN_{upper}_KAFKA_SASL_PASSWORD")
            or os.environ.get("PROGADMIN_KAFKA_SASL_PASSWORD", ""),
            "kafka_ssl_cafile": os.environ.get("PROGADMIN_KAFKA_SSL_CAFILE", ""),
            "kafka_ssl_certfile": os.environ.get("PROGADMIN_KAFKA_SSL_CERTFILE", ""),
            "kafka_ssl_keyfile": os.environ.get("PROGADMIN_KAFKA_SSL_KEYFILE", ""),
            "kafka_ssl_check_hostname": env_flag("PROGADMIN_KAFKA_SSL_CHECK_HOSTNAME", True),
            "dlq_retention_ms": env_int("PROGADMIN_DLQ_RETENTION_MS", 14 * 24 * 3600 * 1000),
            "contacts_min_compaction_lag_ms": env_int("PROGADMIN_CONTACTS_MIN_COMPACTION_LAG_MS", 10 * 60 * 1000),
            "contacts_delete_retention_ms": env_int("PROGADMIN_CONTACTS_DELETE_RETENTION_MS", 24 * 3600 * 1000),
        }
        return values

    def check(self) -> None:
        """Refuse settings that are only safe on a developer's machine."""
        if self.env == "production":
            if self.dev_tokens:
                raise ValueError("development tokens (the shared HS256 secret) are refused in production: "
                                 "unset PROGADMIN_DEV_TOKENS")
            if not self.oidc_issuer:
                raise ValueError("PROGADMIN_OIDC_ISSUER must be set in production (the identity provider)")
            if self.session_secret == DEV_SESSION_SECRET:
                raise ValueError("PROGADMIN_SESSION_SECRET must be set in production")
            if not set(self.oidc_algorithms) <= {"RS256", "ES256", "PS256", "RS384", "ES384", "RS512", "ES512"}:
                raise ValueError("PROGADMIN_OIDC_ALGORITHMS may name only asymmetric algorithms")
        if self.pg_sslmode not in ("", *PG_SSLMODES):
            raise ValueError(f"PROGADMIN_PG_SSLMODE must be one of {', '.join(PG_SSLMODES)}")
        if self.dedupe_retention_days < 1 or self.idempotency_retention_hours < 1:
            raise ValueError("PROGADMIN_DEDUPE_RETENTION_DAYS and PROGADMIN_IDEMPOTENCY_RETENTION_HOURS must be >= 1")

    def topic(self, service: str) -> str:
        """The event topic a service produces to: `progadmin.<service>.events`."""
        return f"{self.topic_prefix}progadmin.{service}.events"

    def dlq_topic(self, topic: str) -> str:
        return f"{topic}.dlq"

    def with_(self: S, **changes: Any) -> S:
        return replace(self, **changes)


@dataclass(frozen=True)
class LinkSettings(Settings):
    """Common to the services that sign or verify the links in mails (participants and directors have no login)."""

    link_secret: str = DEV_LINK_SECRET
    link_ttl_hours: int = 24 * 14

    @classmethod
    def read_env(cls, service: str) -> dict[str, Any]:
        return {**super().read_env(service),
                "link_secret": os.environ.get("PROGADMIN_LINK_SECRET", DEV_LINK_SECRET),
                "link_ttl_hours": env_int("PROGADMIN_LINK_TTL_HOURS", 24 * 14)}

    def check(self) -> None:
        super().check()
        if self.env == "production" and self.link_secret == DEV_LINK_SECRET:
            raise ValueError("PROGADMIN_LINK_SECRET must be set in production")


def settings_type(service: str) -> type[Settings]:
    """The service's own settings type (`services/<service>/settings.py`, `<Service>Settings`)."""
    module = importlib.import_module(f"services.{service}.settings")
    kind: type[Settings] = getattr(module, f"{service.capitalize()}Settings")
    return kind
