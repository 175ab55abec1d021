"""The web session: the API's own JWT in an HttpOnly cookie.

Signing in (locally or through OIDC) puts the same token the APIs accept into the cookie
`tp_session` (HttpOnly, SameSite=Lax, Secure in production). Browsers send a cookie to every
port of the host that set it, so one sign-in serves the pages of all four services. A page
reads the cookie, checks the token with the service's `TokenVerifier`, and calls its API with
it as the bearer token: the API decides what this person may see, exactly as for any client.

Forms carry a CSRF token derived from the session token (a hash: it reveals nothing, and
only a page that could read the session can produce it).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import jwt
from fastapi import Request
from fastapi.responses import Response

from shared.auth import Principal, Role, TokenVerifier
from shared.settings import ServiceSettings
from shared.ui.settings import UiSettings

SESSION_COOKIE = "tp_session"
LANGUAGE_COOKIE = "tp_lang"
SIGNIN_PATH = "/ui/signin"


class SignInRequired(Exception):
    """No session, or it expired: off to the sign-in page, and back to `next` afterwards."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class WrongRole(Exception):
    """Signed in, but this page is for another role."""

    def __init__(self, roles: tuple[Role, ...], principal: Principal) -> None:
        super().__init__(", ".join(roles))
        self.roles = roles
        self.principal = principal


class FormRejected(Exception):
    """A form without the session's CSRF token: sent from elsewhere, or an old page."""


@dataclass(frozen=True)
class Session:
    principal: Principal
    token: str

    @property
    def csrf(self) -> str:
        return csrf_for(self.token)


def csrf_for(token: str) -> str:
    return hashlib.sha256(b"transferpunt-csrf:" + token.encode()).hexdigest()[:32]


def csrf_matches(session: Session, submitted: str | None) -> bool:
    return submitted is not None and hmac.compare_digest(session.csrf, submitted)


def safe_next(candidate: str | None, default: str = "/ui") -> str:
    """Only a path on this site: never another host (`//evil`, `https://…`)."""
    if not candidate:
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc or not candidate.startswith("/") or "\\" in candidate:
        return default
    return candidate


def here(request: Request) -> str:
    """The path (and query) of this page, to come back to after signing in."""
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


def signin_url(next_path: str) -> str:
    return f"{SIGNIN_PATH}?next={quote(next_path, safe='/')}"


def current_session(request: Request) -> Session | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        return Session(verifier.verify(token), token)
    except jwt.PyJWTError:
        return None


def require_session(request: Request, roles: tuple[Role, ...]) -> Session:
    session = current_session(request)
    if session is None:
        raise SignInRequired(here(request) if request.method == "GET" else request.url.path)
    if roles and session.principal.role not in roles:
        raise WrongRole(roles, session.principal)
    return session


def token_expiry(token: str) -> datetime | None:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    exp = claims.get("exp")
    return datetime.fromtimestamp(exp, UTC) if isinstance(exp, int | float) else None


def set_session_cookie(
    response: Response, token: str, settings: ServiceSettings, ui: UiSettings
) -> None:
    expires = token_expiry(token)
    max_age = None if expires is None else max(
        0, int((expires - datetime.now(UTC)).total_seconds()))
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, path="/", domain=ui.cookie_domain,
        secure=ui.secure_cookies(settings), httponly=True, samesite="lax",
    )


def clear_session_cookie(response: Response, settings: ServiceSettings, ui: UiSettings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", domain=ui.cookie_domain,
                           secure=ui.secure_cookies(settings), httponly=True, samesite="lax")
