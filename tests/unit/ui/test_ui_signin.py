"""Signing in and the page guard, in-process: the local sign-in issues the API's own token in
an HttpOnly cookie; a page without a valid session sends the person to sign in and back; OIDC
turns a provider's code into a session only when the token verifies; production has no local
sign-in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from pydantic import SecretStr

from shared.auth import TokenVerifier, mint_token
from shared.clock import SystemClock
from shared.settings import ServiceSettings
from shared.ui import Page, Pages
from shared.ui.oidc import OidcClient
from shared.ui.settings import UiSettings

LOCAL = ServiceSettings(environment="test")


def app_with_pages(settings: ServiceSettings, ui: UiSettings | None = None) -> FastAPI:
    pages = Pages("intake", ui=ui or UiSettings())
    router = pages.router()
    caseworker = Depends(pages.page("caseworker"))

    @router.get("/ui/cases")
    async def cases(page: Page = caseworker) -> HTMLResponse:
        return HTMLResponse(f"cases of {page.principal.org}")

    @router.post("/ui/cases")
    async def post_case(page: Page = caseworker) -> HTMLResponse:
        await page.form()
        return HTMLResponse("saved")

    app = FastAPI()
    app.state.runtime = SimpleNamespace(settings=settings, clock=SystemClock())
    app.state.token_verifier = TokenVerifier(settings)
    app.include_router(router)
    return app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(app_with_pages(LOCAL), base_url="http://127.0.0.1:8001") as test_client:
        yield test_client


def test_local_sign_in_puts_the_apis_token_in_an_httponly_lax_cookie(client: TestClient) -> None:
    answer = client.post("/ui/signin", data={"role": "caseworker", "org": "m07",
                                             "name": "Anna", "next": "/ui/cases"},
                         follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/cases"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("tp_session=") and "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower() and "Domain" not in cookie  # every port of the host
    token = client.cookies["tp_session"]
    principal = TokenVerifier(LOCAL).verify(token)
    assert (principal.role, principal.org, principal.sub) == ("caseworker", "m07", "Anna")
    assert client.get("/ui/cases").text == "cases of m07"


def test_a_page_without_a_session_sends_to_sign_in_with_the_way_back(client: TestClient) -> None:
    answer = client.get("/ui/cases?status=open", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/signin?next=/ui/cases%3Fstatus%3Dopen"


def test_an_expired_or_forged_session_counts_as_none(client: TestClient) -> None:
    expired = mint_token(LOCAL, role="caseworker", org="m07", ttl=timedelta(seconds=-1))
    forged = mint_token(LOCAL.model_copy(update={"jwt_secret": SecretStr("x" * 40)}),
                        role="caseworker", org="m07")
    for token in (expired, forged, "not-a-token"):
        client.cookies.set("tp_session", token)
        answer = client.get("/ui/cases", follow_redirects=False)
        assert answer.status_code == 303, token


def test_a_page_for_another_role_answers_403_in_words(client: TestClient) -> None:
    client.cookies.set("tp_session", mint_token(LOCAL, role="corporation", org="c01"))
    answer = client.get("/ui/cases")
    assert answer.status_code == 403 and "Deze pagina is voor: consulent" in answer.text


def test_a_form_without_the_sessions_token_is_refused(client: TestClient) -> None:
    token = mint_token(LOCAL, role="caseworker", org="m07")
    client.cookies.set("tp_session", token)
    assert client.post("/ui/cases", data={"x": "1"}).status_code == 400
    assert client.post("/ui/cases", data={"csrf": "0" * 32}).status_code == 400
    from shared.ui.session import csrf_for

    assert client.post("/ui/cases", data={"csrf": csrf_for(token)}).text == "saved"


def test_sign_in_goes_back_only_to_this_site(client: TestClient) -> None:
    answer = client.post("/ui/signin", data={"role": "caseworker", "org": "m07", "name": "A",
                                             "next": "https://evil.example/"},
                         follow_redirects=False)
    assert answer.headers["location"] == "/ui"


def test_production_offers_no_local_sign_in() -> None:
    production = ServiceSettings(environment="production", jwt_secret=SecretStr("s" * 40),
                                 pseudonym_key=SecretStr("p" * 40))
    with TestClient(app_with_pages(production)) as client:
        page = client.get("/ui/signin")
        assert "Aanmelden is niet ingesteld" in page.text and 'name="role"' not in page.text
        answer = client.post("/ui/signin", data={"role": "coordinator", "org": "region",
                                                 "name": "Mallory"}, follow_redirects=False)
        assert answer.status_code == 403 and "tp_session" not in client.cookies


# --- OIDC ------------------------------------------------------------------------------------

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC = KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                       serialization.PublicFormat.SubjectPublicKeyInfo).decode()
ISSUER = "https://idp.example/realms/transferpunt"


def provider_token(**claims: object) -> str:
    now = datetime.now(UTC)
    body = {"sub": "anna@m07", "role": "caseworker", "org": "m07", "iss": ISSUER,
            "aud": "transferpunt", "iat": now, "exp": now + timedelta(minutes=5), **claims}
    return jwt.encode(body, KEY, algorithm="RS256")


def oidc_app(access_token: str, seen: dict[str, object]) -> FastAPI:
    settings = ServiceSettings(
        environment="test", jwt_algorithm="RS256", jwt_public_key=PUBLIC, jwt_issuer=ISSUER,
        oidc_discovery_url=f"{ISSUER}/.well-known/openid-configuration",
        oidc_client_id="transferpunt-pages")

    def provider(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("openid-configuration"):
            return httpx.Response(200, json={"authorization_endpoint": f"{ISSUER}/auth",
                                             "token_endpoint": f"{ISSUER}/token"})
        form = parse_qs(request.content.decode())
        seen["token_request"] = form
        id_token = jwt.encode({"nonce": seen["nonce"]}, "not-checked-" * 4, algorithm="HS256")
        return httpx.Response(200, json={"access_token": access_token, "id_token": id_token})

    app = app_with_pages(settings, UiSettings(service_urls={"intake": "https://intake.example"}))
    app.state.ui_oidc = OidcClient(settings, transport=httpx.MockTransport(provider))
    return app


def sign_in_with_provider(client: TestClient, seen: dict[str, object]) -> httpx.Response:
    leave = client.get("/ui/signin/oidc?next=/ui/cases", follow_redirects=False)
    assert leave.status_code == 303
    target = urlsplit(leave.headers["location"])
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{ISSUER}/auth"
    assert query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == "https://intake.example/ui/signin/oidc/callback"
    seen["nonce"] = query["nonce"]
    return client.get(f"/ui/signin/oidc/callback?code=abc&state={query['state']}",
                      follow_redirects=False)


def test_oidc_sign_in_keeps_the_providers_token_once_it_verifies() -> None:
    seen: dict[str, object] = {}
    token = provider_token()
    with TestClient(oidc_app(token, seen)) as client:
        back = sign_in_with_provider(client, seen)
        assert back.status_code == 303 and back.headers["location"] == "/ui/cases"
        assert client.cookies["tp_session"] == token
        sent = seen["token_request"]
        assert isinstance(sent, dict) and sent["code"] == ["abc"] and sent["code_verifier"]
        assert client.get("/ui/cases").text == "cases of m07"


def test_oidc_refuses_a_token_for_another_audience_and_a_wrong_state() -> None:
    seen: dict[str, object] = {}
    with TestClient(oidc_app(provider_token(aud="someone-else"), seen)) as client:
        assert sign_in_with_provider(client, seen).status_code == 403
        assert "tp_session" not in client.cookies
        assert client.get("/ui/signin/oidc/callback?code=abc&state=forged").status_code == 400


def test_oidc_is_offered_on_the_sign_in_page_when_configured() -> None:
    seen: dict[str, object] = {}
    with TestClient(oidc_app(provider_token(), seen)) as client:
        page = client.get("/ui/signin?next=/ui/cases").text
        assert "/ui/signin/oidc?next=/ui/cases" in page
        assert 'name="role"' not in page  # RS256 tokens: no local sign-in
    assert json.dumps(seen) == "{}"


def test_pages_with_personal_data_are_neither_cached_nor_framed(client: TestClient) -> None:
    client.cookies.set("tp_session", mint_token(LOCAL, role="caseworker", org="m07"))
    headers = client.get("/ui/cases").headers
    assert headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
