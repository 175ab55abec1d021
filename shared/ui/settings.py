"""Settings of the web pages, read from the environment (`TRANSFERPUNT_UI_*`).

The pages of one service link to the pages of the others, so each service needs the others'
addresses as a browser reaches them. Locally these are the default ports on 127.0.0.1; behind
a reverse proxy, set `TRANSFERPUNT_UI_SERVICE_URLS` (JSON, service → URL).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import SERVICE_PORTS, ServiceSettings

Language = Literal["nl", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "en")


class UiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRANSFERPUNT_UI_", extra="ignore")

    service_urls: dict[str, str] = Field(
        default_factory=dict, description="service → base URL as the browser reaches it")
    metrics_urls: dict[str, str] = Field(
        default_factory=dict, description="service → base URL for reading /metrics (server "
        "to server); default: service_urls")
    default_language: Language = "nl"
    session_hours: float = Field(default=8.0, gt=0, le=24, description="local sign-in only")
    cookie_domain: str | None = None  # unset: the cookie belongs to the host (all its ports)
    cookie_secure: bool | None = None  # unset: Secure in production (HTTPS)
    local_signin: bool | None = None  # unset: on, except in production

    def url_of(self, service: str) -> str:
        default = f"http://127.0.0.1:{SERVICE_PORTS[service]}"
        return self.service_urls.get(service, default).rstrip("/")

    def metrics_url_of(self, service: str) -> str:
        return self.metrics_urls.get(service, self.url_of(service)).rstrip("/")

    def secure_cookies(self, service: ServiceSettings) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return service.environment == "production"

    def local_signin_enabled(self, service: ServiceSettings) -> bool:
        """Choosing any role by hand is for development and tests; never in production, and
        never when tokens come from an identity provider (RS256)."""
        if service.jwt_algorithm != "HS256" or service.environment == "production":
            return False
        return True if self.local_signin is None else self.local_signin
