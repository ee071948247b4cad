"""problem+json shaping, bearer tokens and settings (no I/O)."""

from __future__ import annotations

import time

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.exceptions import Unauthorized

from services.common.auth import mint, verify
from services.common.config import DEV_JWT_SECRET, Settings
from services.common.problems import flatten_messages
from services.enrolment.domain import kvk_number_problem


def test_nested_validation_messages_flatten_to_named_fields() -> None:
    messages = {"name": ["Missing data for required field."],
                "address": {"postcode": ["Not a valid postcode."]},
                "delegates": {0: {"email": ["Not a valid email address."]}}}
    assert flatten_messages(messages) == [
        {"name": "name", "reason": "Missing data for required field."},
        {"name": "address.postcode", "reason": "Not a valid postcode."},
        {"name": "delegates.0.email", "reason": "Not a valid email address."},
    ]


def settings(**kw: object) -> Settings:
    return Settings.from_env("enrolment", **kw)


def test_tokens_round_trip_with_roles_and_regions() -> None:
    s = settings()
    principal = verify(s, mint(s, "anna", ["coordinator"], ["Noord", "Zuid"]))
    assert principal.subject == "anna" and principal.roles == {"coordinator"}
    assert principal.may_see_region("Noord") and not principal.may_see_region("Midden")
    admin = verify(s, mint(s, "bob", ["fund_admin"]))
    assert admin.may_see_region("Midden")


def test_tokens_with_another_secret_audience_or_expired_are_refused() -> None:
    s = settings()
    other = settings(jwt_secret="another-secret-of-sufficient-length-123")
    with pytest.raises(Unauthorized):
        verify(s, mint(other, "x", ["fund_admin"]))
    with pytest.raises(Unauthorized):
        verify(s, mint(settings(jwt_audience="elsewhere"), "x", ["fund_admin"]))
    expired = jwt.encode({"sub": "x", "roles": ["fund_admin"], "iss": s.jwt_issuer, "aud": s.jwt_audience,
                          "exp": int(time.time()) - s.oidc_leeway_s - 5}, s.jwt_secret, algorithm="HS256")
    with pytest.raises(Unauthorized, match="expired"):
        verify(s, expired)
    with pytest.raises(ValueError):
        mint(s, "x", ["superuser"])


def test_production_refuses_development_tokens_and_a_missing_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROGADMIN_ENV", "production")
    for name in ("PROGADMIN_OIDC_ISSUER", "PROGADMIN_DEV_TOKENS", "PROGADMIN_SESSION_SECRET",
                 "PROGADMIN_LINK_SECRET", "PROGADMIN_REPORTING_PSEUDONYM_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROGADMIN_DEV_TOKENS", "1")
    with pytest.raises(ValueError, match="development tokens"):
        Settings.from_env("enrolment")
    monkeypatch.delenv("PROGADMIN_DEV_TOKENS")
    with pytest.raises(ValueError, match="OIDC_ISSUER"):
        Settings.from_env("enrolment")
    monkeypatch.setenv("PROGADMIN_OIDC_ISSUER", "https://login.example.org/realms/fund")
    with pytest.raises(ValueError, match="SESSION_SECRET"):
        Settings.from_env("enrolment")
    monkeypatch.setenv("PROGADMIN_SESSION_SECRET", "a-session-secret-from-the-vault-0123456789")
    Settings.from_env("enrolment")  # enrolment signs no links and makes no pseudonyms: it needs neither secret
    with pytest.raises(ValueError, match="LINK_SECRET"):
        Settings.from_env("reporting")
    monkeypatch.setenv("PROGADMIN_LINK_SECRET", "another-real-secret-from-the-vault-987")
    with pytest.raises(ValueError, match="PSEUDONYM_SECRET"):
        Settings.from_env("reporting")
    monkeypatch.setenv("PROGADMIN_REPORTING_PSEUDONYM_SECRET", "a-third-real-secret-from-the-vault-55")
    production = Settings.from_env("enrolment")
    assert not production.dev_tokens
    # Even a token signed with the development secret is refused once dev tokens are off.
    dev = Settings.from_env("enrolment", env="development")
    with pytest.raises(Unauthorized, match="not accepted"):
        verify(production, mint(dev, "x", ["fund_admin"]))
    assert production.jwt_secret == DEV_JWT_SECRET  # unused in production: nothing verifies with it


def test_unsigned_tokens_are_refused() -> None:
    s = settings()
    unsigned = jwt.encode({"sub": "x", "roles": ["fund_admin"], "iss": s.jwt_issuer, "aud": s.jwt_audience,
                           "exp": int(time.time()) + 60}, None, algorithm="none")
    with pytest.raises(Unauthorized, match="not accepted"):
        verify(s, unsigned)


def test_any_region_name_is_data() -> None:
    s = settings()
    principal = verify(s, mint(s, "c", ["coordinator"], ["Den Haag", "Utrecht"]))
    assert principal.may_see_region("Den Haag") and not principal.may_see_region("Amsterdam")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROGADMIN_SESSIONS_DATABASE_URL", "postgresql://s:s@db.example:5432/sessions")
    monkeypatch.setenv("PROGADMIN_KAFKA_BOOTSTRAP", "k1:9092,k2:9092")
    monkeypatch.setenv("PROGADMIN_TOPIC_PARTITIONS", "12")
    s = Settings.from_env("sessions")
    assert (s.database_url, s.kafka_bootstrap, s.topic_partitions) == (
        "postgresql://s:s@db.example:5432/sessions", "k1:9092,k2:9092", 12)
    assert s.topic("enrolment") == "progadmin.enrolment.events"
    assert s.dlq_topic(s.topic("sessions")) == "progadmin.sessions.events.dlq"
    with pytest.raises(ValueError):
        Settings.from_env("billing")


@given(st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_any_eight_digits_is_a_kvk_number(kvk: str) -> None:
    assert kvk_number_problem(kvk) is None


@given(st.text(max_size=12).filter(lambda s: not (len(s) == 8 and s.isascii() and s.isdigit())))
def test_anything_else_is_not(kvk: str) -> None:
    assert kvk_number_problem(kvk) == "must be exactly 8 digits"


def test_signed_links_refuse_tampering_expiry_and_other_actions() -> None:
    from services.common.signed_links import InvalidLink, sign, verify

    token = sign("s3cret", "cancel", {"registration_id": "r1"}, ttl_seconds=60, now=1000)
    claims = verify("s3cret", token, "cancel", now=1030)
    assert claims.subject == {"registration_id": "r1"} and len(claims.jti) == 32
    signature = token.partition(".")[2]
    forged = sign("s3cret", "cancel", {"registration_id": "r2"}, 60, now=1000).split(".")[0] + "." + signature
    cases = [(forged, "cancel", 1030, "bad signature"), (token, "cancel", 1061, "expired"),
             (token, "confirm", 1030, "wrong action"), ("garbage", "cancel", 1030, "malformed")]
    for candidate, action, now, reason in cases:
        with pytest.raises(InvalidLink) as info:
            verify("s3cret", candidate, action, now=now)
        assert info.value.reason == reason
    with pytest.raises(InvalidLink, match="bad signature"):
        verify("other-secret", token, "cancel", now=1030)


def test_page_schemas_of_same_named_item_schemas_stay_apart() -> None:
    from marshmallow import Schema, fields

    from services.common.schemas import page_schema

    first = type("ProgrammeOut", (Schema,), {"a": fields.String()})
    second = type("ProgrammeOut", (Schema,), {"b": fields.String()})
    assert page_schema(first) is page_schema(first)
    dumped = page_schema(second)().dump({"items": [{"a": "1", "b": "2"}], "total": 1})
    assert dumped["items"] == [{"b": "2"}]


def test_claims_are_found_by_plain_dotted_and_nested_names() -> None:
    from services.common.auth import claim

    claims = {"realm_access": {"roles": ["fund_admin"]}, "extn.regions": ["Zuid"], "roles": "coordinator"}
    assert claim(claims, "realm_access.roles") == ["fund_admin"]
    assert claim(claims, "extn.regions") == ["Zuid"]
    assert claim(claims, "roles") == "coordinator"
    assert claim(claims, "missing.claim") is None
