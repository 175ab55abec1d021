"""Server-rendered pages: one look (the shared base template), one catalogue, one sign-in.

A service builds `Pages(service, its_templates_dir)` and takes its router from
`pages.router()`: that router already serves the sign-in and sign-out, the start page, the
style sheet, and renders every refusal as a page. Each page handler asks for a `Page` with the
roles it serves (`Depends(pages.page("caseworker"))`) and gets the signed-in person, an
in-process client of the service's own API, and `render`.

Every route of that router is a `PageRoute`: whatever goes wrong becomes a page a person can
act on — sign in (and come back), "this page is for another role", "not found", or "something
went wrong, quote this reference" — never a stack trace.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from shared.auth import Role
from shared.ui.api import Api, Refused, ServiceFailed
from shared.ui.formatting import REGION_TZ, Formatter
from shared.ui.forms import FormState, Sent, field_id
from shared.ui.i18n import Translator
from shared.ui.session import (
    LANGUAGE_COOKIE,
    FormRejected,
    Session,
    SignInRequired,
    WrongRole,
    csrf_matches,
    current_session,
    require_session,
    signin_url,
)
from shared.ui.settings import LANGUAGES, Language, UiSettings
from shared.ui.sitemap import SITEMAP, Link

log = logging.getLogger(__name__)
SHARED_TEMPLATES = Path(__file__).parent / "templates"
# Pages show personal data: no cache keeps them; no other site frames them or runs script in
# them; forms only post back here.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def choose_language(request: Request, default: Language) -> Language:
    asked = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    for lang in LANGUAGES:
        if asked == lang:
            return lang
    return default


class Pages:
    def __init__(self, service: str, templates: Path | None = None,
                 ui: UiSettings | None = None) -> None:
        self.service = service
        self.ui = ui or UiSettings()
        loaders = [FileSystemLoader(templates)] if templates else []
        loaders.append(FileSystemLoader(SHARED_TEMPLATES))
        self.env = Environment(
            loader=ChoiceLoader(loaders), autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        )
        self.env.filters["field_id"] = field_id

    # --- links ------------------------------------------------------------------------

    def href(self, service: str, path: str) -> str:
        """A link to a page: relative on this service, absolute to another service."""
        return path if service == self.service else self.ui.url_of(service) + path

    def nav(self, session: Session | None) -> list[tuple[Link, str]]:
        if session is None:
            return []
        return [(link, self.href(link.service, link.path))
                for link in SITEMAP[session.principal.role]]

    # --- rendering --------------------------------------------------------------------

    def render(
        self, request: Request, template: str, *, http_status: int = 200,
        session: Session | None = None, **context: Any,
    ) -> HTMLResponse:
        lang: Language = getattr(request.state, "lang", self.ui.default_language)
        t = Translator(lang)
        done = request.query_params.get("done", "")
        notice = t(f"done.{done}") if done and t.has(f"done.{done}") else None
        html = self.env.get_template(template).render(
            request=request, t=t, f=Formatter(lang), lang=lang, service=self.service,
            session=session, principal=session.principal if session else None,
            csrf=session.csrf if session else "", nav=self.nav(session), href=self.href,
            lang_url=lambda code: _with_query(request, lang=code), path=request.url.path,
            notice=notice, **context,
        )
        return HTMLResponse(html, status_code=http_status)

    def problem(self, request: Request, status: int, key: str, **values: Any) -> HTMLResponse:
        """An error page: what happened, in words, and where to go next."""
        return self.render(request, "error.html", http_status=status,
                           session=current_session(request), status_code=status,
                           message_key=key, values=values)

    # --- dependencies -----------------------------------------------------------------

    def page(self, *roles: Role) -> Callable[[Request], Awaitable[Page]]:
        """A dependency: the page for these roles (none: any signed-in person)."""

        async def signed_in_page(request: Request) -> Page:
            return Page(request, require_session(request, roles), self)

        return signed_in_page

    def router(self) -> APIRouter:
        from shared.ui import signin  # the sign-in pages are built from these Pages

        router = APIRouter(route_class=page_route(self), include_in_schema=False)
        signin.install(router, self)
        return router


@dataclass
class Page:
    request: Request
    session: Session
    pages: Pages

    @property
    def principal(self):  # type: ignore[no-untyped-def]
        return self.session.principal

    @property
    def api(self) -> Api:
        return Api(self.request, self.session)

    def now(self) -> datetime:
        """Business time (the service's clock), as the API uses it."""
        return self.request.app.state.runtime.clock.now()  # type: ignore[no-any-return]

    def today(self) -> date:
        """The region's business date (what the APIs call today)."""
        return self.now().astimezone(REGION_TZ).date()

    def render(self, template: str, *, http_status: int = 200, **context: Any) -> HTMLResponse:
        return self.pages.render(self.request, template, http_status=http_status,
                                 session=self.session,
                                 **context)

    async def form(self) -> Any:
        """The submitted form, once its CSRF token is checked."""
        form = await self.request.form()
        if not csrf_matches(self.session, form.get("csrf")):  # type: ignore[arg-type]
            raise FormRejected()
        return form

    async def send(self, path: str, body: Callable[[Any], Any] | None = None,
                   fields: Iterable[str] = ()) -> Sent:
        """Post the submitted form (its CSRF token checked) to the API as `body(form)`: the
        answer, and the form as sent with a 422's problems placed at `fields` (the names of
        the fields the page shows), to show it again when refused."""
        form = await self.form()
        answer = await self.api.post(path, body(form) if body else None)
        return Sent(answer, FormState.from_form(form).with_problems(answer.problems, fields))

    def redirect(self, path: str, done: str | None = None) -> RedirectResponse:
        """After a successful POST: see the result (303, so a reload does not resend)."""
        if done:
            path += ("&" if "?" in path else "?") + urlencode({"done": done})
        return RedirectResponse(path, status_code=303)


def _with_query(request: Request, **changes: str) -> str:
    query = dict(request.query_params)
    query.pop("done", None)
    query.update(changes)
    return f"{request.url.path}?{urlencode(query)}"


def page_route(pages: Pages) -> type[APIRoute]:
    """The route class of a service's pages: language, and refusals rendered as pages."""

    class PageRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handle = super().get_route_handler()

            async def render_refusals(request: Request) -> Response:
                request.state.lang = choose_language(request, pages.ui.default_language)
                response = await _answer(pages, handle, request)
                if response.media_type == "text/html":
                    response.headers.update(PAGE_HEADERS)
                asked = request.query_params.get("lang")
                if asked in LANGUAGES:
                    response.set_cookie(LANGUAGE_COOKIE, asked, max_age=365 * 86400,
                                        path="/", domain=pages.ui.cookie_domain, samesite="lax")
                return response

            return render_refusals

    return PageRoute


async def _answer(
    pages: Pages, handle: Callable[[Request], Awaitable[Response]], request: Request
) -> Response:
    try:
        return await handle(request)
    except SignInRequired as exc:
        return RedirectResponse(signin_url(exc.next_path), status_code=303)
    except WrongRole as exc:
        return pages.problem(request, 403, "error.wrong_role",
                             roles=", ".join(Translator(request.state.lang).label("role", r)
                                             for r in exc.roles))
    except FormRejected:
        return pages.problem(request, 400, "error.form_expired")
    except Refused as exc:
        key = {404: "error.not_found", 403: "error.forbidden"}.get(exc.status, "error.refused")
        return pages.problem(request, exc.status, key, message=exc.message)
    except RequestValidationError:
        return pages.problem(request, 404, "error.not_found", message="")
    except HTTPException as exc:
        key = "error.not_found" if exc.status_code == 404 else "error.refused"
        return pages.problem(request, exc.status_code, key, message=str(exc.detail))
    except ServiceFailed as exc:
        return pages.problem(request, 502, "error.service", message=str(exc))
    except Exception as exc:
        reference = uuid.uuid4().hex[:12]
        log.error("page %s failed: %s (reference %s)", request.url.path, type(exc).__name__,
                  reference, exc_info=exc)
        return pages.problem(request, 500, "error.unexpected", reference=reference)
