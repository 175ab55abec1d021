"""OIDC sign-in for production: the authorization code flow with PKCE.

The identity provider is found through its discovery document
(`TRANSFERPUNT_OIDC_DISCOVERY_URL`); the client is `TRANSFERPUNT_OIDC_CLIENT_ID` (and a
secret, for a confidential client). The token it returns (`TRANSFERPUNT_OIDC_SESSION_TOKEN`:
the access token by default, or the ID token) becomes the session cookie only after the
service's `TokenVerifier` accepts it — RS256 signature from `TRANSFERPUNT_JWT_JWKS_URL`,
issuer, audience, and the `role` and `org` claims — so the pages trust exactly what the APIs
trust. The provider must put `role` and `org` into that token (a claim mapper).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from shared.settings import ServiceSettings

ATTEMPT_COOKIE = "tp_oidc"
ATTEMPT_SECONDS = 600
DISCOVERY_CACHE_SECONDS = 3600


class SignInFailed(Exception):
    """The provider's answer cannot be used (the reason is for the log, not the page)."""


@dataclass(frozen=True)
class Attempt:
    """What the browser keeps (in a short-lived HttpOnly cookie) between leaving for the
    provider and coming back: the state, the nonce, the PKCE verifier, and where to go."""

    state: str
    nonce: str
    verifier: str
    next_path: str

    @classmethod
    def new(cls, next_path: str) -> Attempt:
        return cls(secrets.token_urlsafe(24), secrets.token_urlsafe(24),
                   secrets.token_urlsafe(48), next_path)

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def cookie(self) -> str:
        return base64.urlsafe_b64encode(json.dumps(asdict(self)).encode()).decode()

    @classmethod
    def from_cookie(cls, value: str | None) -> Attempt | None:
        if not value:
            return None
        try:
            return cls(**json.loads(base64.urlsafe_b64decode(value.encode())))
        except (ValueError, TypeError):
            return None


class OidcClient:
    def __init__(
        self, settings: ServiceSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._settings = settings
        self._transport = transport
        self._metadata: dict[str, Any] | None = None
        self._fetched_at = 0.0

    @staticmethod
    def configured(settings: ServiceSettings) -> bool:
        return bool(settings.oidc_discovery_url and settings.oidc_client_id)

    async def _provider(self) -> dict[str, Any]:
        fresh = time.monotonic() - self._fetched_at < DISCOVERY_CACHE_SECONDS
        if self._metadata is None or not fresh:
            async with httpx.AsyncClient(transport=self._transport, timeout=10) as http:
                answer = await http.get(str(self._settings.oidc_discovery_url))
            answer.raise_for_status()
            self._metadata = answer.json()
            self._fetched_at = time.monotonic()
        return self._metadata

    async def authorization_url(self, attempt: Attempt, redirect_uri: str) -> str:
        provider = await self._provider()
        query = urlencode({
            "response_type": "code", "client_id": self._settings.oidc_client_id,
            "redirect_uri": redirect_uri, "scope": self._settings.oidc_scopes,
            "state": attempt.state, "nonce": attempt.nonce,
            "code_challenge": attempt.challenge, "code_challenge_method": "S256",
        })
        return f"{provider['authorization_endpoint']}?{query}"

    async def exchange(self, code: str, attempt: Attempt, redirect_uri: str) -> str:
        """Trade the code for the session token (not yet verified: the caller does that)."""
        provider = await self._provider()
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": redirect_uri, "client_id": str(self._settings.oidc_client_id),
                "code_verifier": attempt.verifier}
        if self._settings.oidc_client_secret is not None:
            form["client_secret"] = self._settings.oidc_client_secret.get_secret_value()
        async with httpx.AsyncClient(transport=self._transport, timeout=10) as http:
            answer = await http.post(provider["token_endpoint"], data=form,
                                     headers={"Accept": "application/json"})
        if answer.status_code != 200:
            raise SignInFailed(f"token endpoint answered {answer.status_code}")
        tokens = answer.json()
        token = tokens.get(self._settings.oidc_session_token)
        if not isinstance(token, str):
            raise SignInFailed(f"no {self._settings.oidc_session_token} in the answer")
        id_token = tokens.get("id_token")
        if isinstance(id_token, str):
            nonce = jwt.decode(id_token, options={"verify_signature": False}).get("nonce")
            # Straight from the token endpoint over TLS: OIDC Core 3.1.3.7 lets TLS stand in
            # for the ID token's signature here; the session token itself is verified.
            if nonce != attempt.nonce:
                raise SignInFailed("the ID token's nonce does not match this sign-in")
        return token
