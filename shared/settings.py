"""Settings shared by every service, read from the environment (pydantic-settings).

`DATABASE_URL` and `KAFKA_BOOTSTRAP_SERVERS` are honoured as the design says; everything
else is prefixed `TRANSFERPUNT_`. Every service uses its own schema inside the one database.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A key that only ever signs local development tokens; production refuses to start with it.
DEV_JWT_SECRET = "transferpunt-local-development-only-not-a-secret"
DEV_PSEUDONYM_KEY = "transferpunt-local-development-pseudonym-key"

SERVICE_PORTS = {"intake": 8001, "matching": 8002, "contingent": 8003, "aftercare": 8004}


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRANSFERPUNT_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        default="postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/transferpunt",
        validation_alias=AliasChoices("TRANSFERPUNT_DATABASE_URL", "DATABASE_URL"),
    )
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices(
            "TRANSFERPUNT_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS"
        ),
    )
    host: str = "127.0.0.1"

    jwt_algorithm: Literal["HS256", "RS256"] = "HS256"
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_public_key: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str = "transferpunt-local"
    jwt_audience: str = "transferpunt"

    # OIDC sign-in for the web pages (production). The token the identity provider issues
    # is checked like any API token: jwt_algorithm RS256, jwt_jwks_url, jwt_issuer and
    # jwt_audience above; it must carry the `role` and `org` claims.
    oidc_discovery_url: str | None = None  # https://idp/.well-known/openid-configuration
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None  # unset: a public client (PKCE only)
    oidc_scopes: str = "openid profile"
    oidc_session_token: Literal["access_token", "id_token"] = "access_token"

    pseudonym_key: SecretStr = SecretStr(DEV_PSEUDONYM_KEY)

    clock: Literal["system", "manual"] = "system"
    clock_start: str | None = None  # ISO-8601, for the manual clock

    consumer_max_attempts: int = Field(default=3, ge=1, le=20)
    # How long a consumer's transaction may go on taking the next event of its poll
    # (shared/consumer.py, `transaction_seconds`; docs/benchmark.md, round nineteen).
    consumer_transaction_ms: int = Field(default=100, ge=1, le=5000)
    max_message_bytes: int = Field(default=1_000_000, ge=1024)
    outbox_poll_seconds: float = Field(default=0.5, gt=0)

    @model_validator(mode="after")
    def _no_default_secrets_in_production(self) -> ServiceSettings:
        if self.environment != "production":
            return self
        if self.jwt_algorithm == "HS256" and self.jwt_secret.get_secret_value() == DEV_JWT_SECRET:
            raise ValueError(
                "TRANSFERPUNT_JWT_SECRET is the development default; set a real secret "
                "(or use RS256 with TRANSFERPUNT_JWT_JWKS_URL) in production"
            )
        if self.pseudonym_key.get_secret_value() == DEV_PSEUDONYM_KEY:
            raise ValueError(
                "TRANSFERPUNT_PSEUDONYM_KEY is the development default; set a real key in "
                "production (changing it later breaks recognition of returning clients)"
            )
        if self.clock != "system":
            raise ValueError("a manual clock is for simulations, not production")
        return self
