"""The pages every service serves the same way: start page, sign-in, sign-out, style sheet.

- Local sign-in (development and tests): choose a role, an organisation and a name; the page
  mints the same HS256 token `transferpunt token` prints and puts it in the session cookie.
  Never available in production or with RS256 tokens.
- OIDC sign-in (production): see `oidc.py`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import jwt
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from shared.auth import ROLES, TokenVerifier, mint_token
from shared.settings import ServiceSettings
from shared.ui.api import FieldProblem
from shared.ui.forms import FormState
from shared.ui.oidc import ATTEMPT_COOKIE, ATTEMPT_SECONDS, Attempt, OidcClient, SignInFailed
from shared.ui.rendering import Pages
from shared.ui.session import (
    SIGNIN_PATH,
    clear_session_cookie,
    csrf_matches,
    current_session,
    safe_next,
    set_session_cookie,
)
from shared.ui.sitemap import SITEMAP

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
ORG_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
NextPath = Annotated[str | None, Query(alias="next")]


def _settings(request: Request) -> ServiceSettings:
    return request.app.state.runtime.settings  # type: ignore[no-any-return]


def _oidc(request: Request) -> OidcClient:
    client = getattr(request.app.state, "ui_oidc", None)
    if client is None:
        client = request.app.state.ui_oidc = OidcClient(_settings(request))
    return client


def install(router: APIRouter, pages: Pages) -> None:
    def signin_page(request: Request, form: FormState, next_path: str,
                    status: int = 200) -> Response:
        settings = _settings(request)
        return pages.render(
            request, "signin.html", http_status=status, session=current_session(request), form=form,
            next_path=next_path, roles=ROLES,
            local=pages.ui.local_signin_enabled(settings),
            oidc=OidcClient.configured(settings),
        )

    @router.get("/")
    async def root() -> RedirectResponse:
        return RedirectResponse("/ui", status_code=307)

    @router.get("/ui")
    async def start(request: Request) -> Response:
        session = current_session(request)
        roles = list(SITEMAP)
        if session is not None:  # the signed-in role's pages first
            roles.sort(key=lambda role: role != session.principal.role)
        return pages.render(request, "start.html", session=session, roles=roles,
                            sitemap=SITEMAP, services=("intake", "matching", "contingent",
                                                       "aftercare"))

    @router.get("/ui/static/{name}")
    async def static(name: str) -> Response:
        files = {p.name: p for p in STATIC.iterdir() if p.suffix in STATIC_TYPES}
        path = files.get(name)
        if path is None:
            return Response(status_code=404)
        return Response(path.read_bytes(), media_type=STATIC_TYPES[path.suffix],
                        headers={"Cache-Control": "public, max-age=300"})

    @router.get(SIGNIN_PATH)
    async def signin(request: Request, next_path: NextPath = None) -> Response:
        return signin_page(request, FormState(defaults={"role": "caseworker"}),
                           safe_next(next_path))

    @router.post(SIGNIN_PATH)
    async def signin_locally(request: Request) -> Response:
        settings = _settings(request)
        form = await request.form()
        next_path = safe_next(str(form.get("next") or ""))
        state = FormState.from_form(form)
        if not pages.ui.local_signin_enabled(settings):
            return signin_page(request, state, next_path, status=403)
        role = str(form.get("role") or "")
        org = str(form.get("org") or "").strip()
        name = " ".join(str(form.get("name") or "").split())
        problems = []
        if role not in ROLES:
            problems.append(FieldProblem("role", "signin.choose_role"))
        if not ORG_PATTERN.fullmatch(org):
            problems.append(FieldProblem("org", "signin.org_format"))
        if not 1 <= len(name) <= 100:
            problems.append(FieldProblem("name", "signin.name_required"))
        if problems:
            state.problems = problems
            return signin_page(request, state, next_path, status=422)
        token = mint_token(settings, role=role, org=org, sub=name,
                           ttl=timedelta(hours=pages.ui.session_hours))
        response = RedirectResponse(next_path, status_code=303)
        set_session_cookie(response, token, settings, pages.ui)
        return response

    @router.post("/ui/signout")
    async def signout(request: Request) -> Response:
        session = current_session(request)
        form = await request.form()
        if session is not None and not csrf_matches(session, form.get("csrf")):  # type: ignore[arg-type]
            return pages.problem(request, 400, "error.form_expired")
        response = RedirectResponse(f"{SIGNIN_PATH}?done=signed_out", status_code=303)
        clear_session_cookie(response, _settings(request), pages.ui)
        return response

    @router.get(SIGNIN_PATH + "/oidc")
    async def signin_with_provider(request: Request, next_path: NextPath = None) -> Response:
        if not OidcClient.configured(_settings(request)):
            return pages.problem(request, 404, "error.not_found", message="")
        attempt = Attempt.new(safe_next(next_path))
        try:
            url = await _oidc(request).authorization_url(attempt, _callback(pages))
        except Exception as exc:  # the provider is away: say so, keep the reason in the log
            log.warning("OIDC discovery failed: %s", exc)
            return pages.problem(request, 502, "error.signin_provider")
        response = RedirectResponse(url, status_code=303)
        response.set_cookie(ATTEMPT_COOKIE, attempt.cookie(), max_age=ATTEMPT_SECONDS,
                            path=SIGNIN_PATH, domain=pages.ui.cookie_domain, httponly=True,
                            samesite="lax", secure=pages.ui.secure_cookies(_settings(request)))
        return response

    @router.get(SIGNIN_PATH + "/oidc/callback")
    async def provider_callback(
        request: Request, code: str | None = None, state: str | None = None,
    ) -> Response:
        settings = _settings(request)
        attempt = Attempt.from_cookie(request.cookies.get(ATTEMPT_COOKIE))
        if attempt is None or code is None or state != attempt.state:
            return pages.problem(request, 400, "error.signin_failed")
        try:
            token = await _oidc(request).exchange(code, attempt, _callback(pages))
            verifier: TokenVerifier = request.app.state.token_verifier
            await asyncio.to_thread(verifier.verify, token)  # JWKS may be fetched
        except (SignInFailed, jwt.PyJWTError, OSError) as exc:
            log.warning("OIDC sign-in refused: %s", exc)
            return pages.problem(request, 403, "error.signin_failed")
        response = RedirectResponse(attempt.next_path, status_code=303)
        response.delete_cookie(ATTEMPT_COOKIE, path=SIGNIN_PATH, domain=pages.ui.cookie_domain)
        set_session_cookie(response, token, settings, pages.ui)
        return response


def _callback(pages: Pages) -> str:
    return f"{pages.ui.url_of(pages.service)}{SIGNIN_PATH}/oidc/callback"
