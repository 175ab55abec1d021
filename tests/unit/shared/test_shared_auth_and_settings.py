"""Tokens: who gets in, and which settings refuse to run in production."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from pydantic import SecretStr, ValidationError

from shared.auth import TokenVerifier, mint_token
from shared.settings import ServiceSettings

SETTINGS = ServiceSettings(environment="test")


def test_a_minted_token_carries_role_org_and_subject() -> None:
    token = mint_token(SETTINGS, role="caseworker", org="m07", sub="anna")
    principal = TokenVerifier(SETTINGS).verify(token)
    assert (principal.sub, principal.role, principal.org) == ("anna", "caseworker", "m07")


def test_expired_token_is_refused() -> None:
    token = mint_token(SETTINGS, role="coordinator", org="r", ttl=timedelta(seconds=-5))
    with pytest.raises(jwt.ExpiredSignatureError):
        TokenVerifier(SETTINGS).verify(token)


def test_token_signed_with_another_key_is_refused() -> None:
    other = SETTINGS.model_copy(update={"jwt_secret": SecretStr("x" * 40)})
    token = mint_token(other, role="coordinator", org="r")
    with pytest.raises(jwt.InvalidSignatureError):
        TokenVerifier(SETTINGS).verify(token)


def test_alg_none_is_refused() -> None:
    def b64(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    claims = jwt.decode(mint_token(SETTINGS, role="coordinator", org="r"),
                        options={"verify_signature": False})
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    with pytest.raises(jwt.InvalidAlgorithmError):
        TokenVerifier(SETTINGS).verify(unsigned)


def test_unknown_role_is_refused_both_when_minting_and_verifying() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        mint_token(SETTINGS, role="admin", org="r")
    forged = jwt.encode(
        {"sub": "x", "role": "admin", "org": "r", "iss": SETTINGS.jwt_issuer,
         "aud": SETTINGS.jwt_audience, "exp": 4_000_000_000},
        SETTINGS.jwt_secret.get_secret_value(), algorithm="HS256")
    with pytest.raises(jwt.InvalidTokenError, match="role"):
        TokenVerifier(SETTINGS).verify(forged)


def test_token_for_another_audience_is_refused() -> None:
    other = SETTINGS.model_copy(update={"jwt_audience": "somebody-else"})
    with pytest.raises(jwt.InvalidAudienceError):
        TokenVerifier(SETTINGS).verify(mint_token(other, role="coordinator", org="r"))


def test_a_token_that_passed_is_not_checked_again_until_it_expires(
        monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = TokenVerifier(SETTINGS)
    token = mint_token(SETTINGS, role="caseworker", org="m07", ttl=timedelta(seconds=2))
    checks: list[str] = []
    check = verifier._check
    monkeypatch.setattr(verifier, "_check", lambda t: checks.append(t) or check(t))

    assert verifier.verify(token) == verifier.verify(token)
    assert len(checks) == 1
    other = mint_token(SETTINGS, role="coordinator", org="r")
    assert verifier.verify(other).role == "coordinator"  # another token: its own principal
    assert len(checks) == 2

    time.sleep(2.1)  # remembered or not, an expired token is refused
    with pytest.raises(jwt.ExpiredSignatureError):
        verifier.verify(token)


def test_a_token_is_checked_again_after_remember_for_and_failures_are_never_kept() -> None:
    verifier = TokenVerifier(SETTINGS, remember=2, remember_for=timedelta(0))
    token = mint_token(SETTINGS, role="caseworker", org="m07")
    verifier.verify(token)
    assert verifier._passed[token][1] <= datetime.now(UTC)  # due for a check right away

    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for _ in range(2):
        with pytest.raises(jwt.InvalidSignatureError):
            verifier.verify(forged)
    assert forged not in verifier._passed

    for org in ("a", "b", "c"):  # the most recently used `remember` only
        verifier.verify(mint_token(SETTINGS, role="caseworker", org=org))
    assert len(verifier._passed) == 2


def test_production_refuses_the_development_secrets() -> None:
    with pytest.raises(ValidationError, match="TRANSFERPUNT_JWT_SECRET"):
        ServiceSettings(environment="production")
    with pytest.raises(ValidationError, match="TRANSFERPUNT_PSEUDONYM_KEY"):
        ServiceSettings(environment="production", jwt_secret=SecretStr("s" * 40))
    ok = ServiceSettings(environment="production", jwt_secret=SecretStr("s" * 40),
                         pseudonym_key=SecretStr("k" * 40))
    assert ok.environment == "production"


def test_production_refuses_a_manual_clock() -> None:
    with pytest.raises(ValidationError, match="manual clock"):
        ServiceSettings(environment="production", jwt_secret=SecretStr("s" * 40),
                        pseudonym_key=SecretStr("k" * 40), clock="manual")


def test_database_and_kafka_come_from_the_standard_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u@h:1/db")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k:9")
    settings = ServiceSettings()
    assert settings.database_url == "postgresql+asyncpg://u@h:1/db"
    assert settings.kafka_bootstrap_servers == "k:9"
