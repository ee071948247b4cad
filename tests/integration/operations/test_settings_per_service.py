"""Each service reads only its own secrets; production demands only the secrets a service uses."""

from __future__ import annotations

import pytest

from services.common.config import SECRET_USERS, SERVICES, Settings, settings_type, with_pg_tls

PRODUCTION = {
    "PROGADMIN_ENV": "production",
    "PROGADMIN_OIDC_ISSUER": "https://login.example.org/realms/fund",
    "PROGADMIN_SESSION_SECRET": "a-session-secret-from-the-vault-0123456789",
}
SECRETS = {
    "PROGADMIN_LINK_SECRET": "link-secret-from-the-vault",
    "PROGADMIN_REPORTING_PSEUDONYM_SECRET": "pseudonym-secret-from-the-vault",
    "PROGADMIN_SMTP_USERNAME": "mailer",
    "PROGADMIN_SMTP_PASSWORD": "smtp-password-from-the-vault",
}
FIELDS = {"PROGADMIN_LINK_SECRET": "link_secret", "PROGADMIN_REPORTING_PSEUDONYM_SECRET": "reporting_pseudonym_secret",
          "PROGADMIN_SMTP_USERNAME": "smtp_username", "PROGADMIN_SMTP_PASSWORD": "smtp_password"}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*PRODUCTION, *SECRETS, "PROGADMIN_DEV_TOKENS"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_who_uses_which_secret() -> None:
    assert SECRET_USERS == {
        "PROGADMIN_LINK_SECRET": ("sessions", "notifications", "reporting"),
        "PROGADMIN_REPORTING_PSEUDONYM_SECRET": ("reporting",),
        "PROGADMIN_SMTP_USERNAME": ("notifications",),
        "PROGADMIN_SMTP_PASSWORD": ("notifications",),
    }


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_reads_its_own_secrets_and_ignores_the_others(env: pytest.MonkeyPatch, service: str) -> None:
    for name, value in SECRETS.items():
        env.setenv(name, value)
    settings = Settings.from_env(service)
    assert type(settings) is settings_type(service) and type(settings).__name__ == f"{service.capitalize()}Settings"
    for name, field in FIELDS.items():
        if service in SECRET_USERS[name]:
            assert getattr(settings, field) == SECRETS[name], (service, name)
        else:  # its settings type has no place for another service's secret
            assert not hasattr(settings, field), (service, name)


@pytest.mark.parametrize("service", SERVICES)
def test_production_demands_exactly_the_secrets_the_service_uses(env: pytest.MonkeyPatch, service: str) -> None:
    for name, value in PRODUCTION.items():
        env.setenv(name, value)
    needed = [n for n in ("PROGADMIN_LINK_SECRET", "PROGADMIN_REPORTING_PSEUDONYM_SECRET")
              if service in SECRET_USERS[n]]
    for name in needed:
        with pytest.raises(ValueError, match=name):
            Settings.from_env(service)
        env.setenv(name, SECRETS[name])
    Settings.from_env(service)  # nothing else is asked for


def test_pg_tls_settings_reach_the_database_url(env: pytest.MonkeyPatch) -> None:
    env.setenv("PROGADMIN_PG_SSLMODE", "verify-full")
    env.setenv("PROGADMIN_PG_SSLROOTCERT", "/etc/progadmin/pg ca.pem")
    s = Settings.from_env("enrolment", env="test", database_url="postgresql://u:p@db:5432/progadmin_enrolment")
    assert s.database_url == ("postgresql://u:p@db:5432/progadmin_enrolment"
                              "?sslmode=verify-full&sslrootcert=%2Fetc%2Fprogadmin%2Fpg%20ca.pem")
    # What a URL says itself wins; a key=value conninfo gets the parameters too.
    assert with_pg_tls("postgresql://db/x?sslmode=disable", {"sslmode": "require", "sslcert": ""}) == \
        "postgresql://db/x?sslmode=disable"
    assert with_pg_tls("host=db dbname=x", {"sslmode": "require"}) == "host=db dbname=x sslmode=require"
    env.setenv("PROGADMIN_PG_SSLMODE", "sometimes")
    with pytest.raises(ValueError, match="PROGADMIN_PG_SSLMODE"):
        Settings.from_env("enrolment", env="test")


def test_a_service_settings_type_is_for_that_service_only() -> None:
    from services.notifications.settings import NotificationsSettings
    assert NotificationsSettings.from_env(env="test").service == "notifications"
    with pytest.raises(ValueError, match="NotificationsSettings"):
        NotificationsSettings.from_env("sessions")
    # The common base holds no service's own settings.
    common = set(Settings.__dataclass_fields__)
    assert not {f for f in common if f.startswith(("smtp_", "mail_", "sessions_", "reporting_", "link_"))}
