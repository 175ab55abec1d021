"""Nobody let in who should not be: every route of every service × every role × the own and
another organisation, against the four services running as real processes, with real
things made per role (tests/access/world.py). The expected answers are the table in
tests/access/rules.py; a route without a rule fails here, so a new endpoint cannot slip in
unreviewed.

Shown once to fail (see docs/reliability.md): dropping `Depends(current_principal)`'s role
check from a route — e.g. letting `require_role` pass every role — turns that route's
refused callers into 200s here; a rule with a wrong expectation fails with the table of
callers, expected and actual statuses.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from shared.settings import ServiceSettings
from shared.ui.session import SESSION_COOKIE
from tests.access.routes import RouteKey, all_routes
from tests.access.rules import CALLERS, RULES, Mismatches, Outcome, Rule
from tests.access.world import World, bearer, build_world
from tests.conftest import RunningSystem

pytestmark = pytest.mark.infra



@pytest.fixture(scope="module")
async def world(system: RunningSystem) -> World:
    return await build_world(system.urls)


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30, follow_redirects=False) as client:
        yield client


def credentials(route: RouteKey, token: str | None) -> dict[str, str]:
    if token is None:
        return {}
    if route.page:
        return {"Cookie": f"{SESSION_COOKIE}={token}"}
    return {"Authorization": f"Bearer {token}"}


def token_of(world: World, caller: str) -> str | None:
    if caller == "anonymous":
        return None
    role, _, other = caller.partition("_")
    return bearer(role, world.org(role, "other" if other else "own"))["Authorization"][7:]


async def send(http: httpx.AsyncClient, world: World, route: RouteKey, rule: Rule,
               params: Mapping[str, Any], headers: Mapping[str, str]) -> httpx.Response:
    url = world.urls[route.service] + route.path.format(**params)
    kwargs: dict[str, Any] = {"headers": dict(headers), "params": dict(rule.query(world))}
    if route.page and route.method == "POST":
        kwargs["data"] = {"submitted_by": "access matrix"}  # a form, without its CSRF token
    elif rule.body is not None:
        kwargs["json"] = rule.body(world, params)
    return await http.request(route.method, url, **kwargs)


def test_every_route_has_an_access_rule() -> None:
    routes = set(all_routes())
    missing = sorted(routes - set(RULES))
    stale = sorted(set(RULES) - routes)
    assert not missing, "routes without an access rule in tests/access/rules.py " \
        "(decide who may call them, then add the rule):\n" + "\n".join(map(str, missing))
    assert not stale, "rules for routes that no longer exist:\n" + "\n".join(map(str, stale))


@pytest.mark.parametrize("route", sorted(RULES), ids=str)
async def test_route_answers_every_caller_as_designed(
    route: RouteKey, world: World, http: httpx.AsyncClient
) -> None:
    rule = RULES[route]
    assert set(rule.expect) == set(CALLERS), f"{route}: the rule must name every caller"
    # Refusals first: they must change nothing, so the callers let through afterwards find
    # the thing as it was. Actions that succeed only once get a new thing per caller.
    order = sorted(CALLERS, key=lambda c: 200 <= rule.expect[c] < 300)
    found = Mismatches(route)
    for caller in order:
        expected = rule.expect[caller]
        params = rule.path(world)
        if rule.fresh is not None and 200 <= expected < 300:
            params = await rule.fresh(world, http)
        response = await send(http, world, route, rule, params,
                              credentials(route, token_of(world, caller)))
        if response.status_code != expected:
            found.found.append(Outcome(caller, expected, response.status_code,
                                       response.text[:160].replace("\n", " ")))
    assert not found.found, str(found)


def _forged_tokens() -> dict[str, str]:
    """Tokens every service must refuse, each wrong in one way only."""
    s = ServiceSettings()
    secret = s.jwt_secret.get_secret_value()
    now = datetime.now(UTC)
    good = {"sub": "mallory", "role": "coordinator", "org": "region", "iss": s.jwt_issuer,
            "aud": s.jwt_audience, "iat": now, "exp": now + timedelta(hours=1)}

    def signed(claims: dict[str, Any], key: str = secret, alg: str = "HS256") -> str:
        with warnings.catch_warnings():  # HS512 with a 48-byte key: the point of the case
            warnings.simplefilter("ignore")
            return jwt.encode(claims, key, algorithm=alg)

    unsigned = jwt.encode(good, None, algorithm="none")  # type: ignore[arg-type]
    return {
        "expired": signed({**good, "exp": now - timedelta(minutes=5)}),
        "bad signature": signed(good, key="not-the-secret-" + "x" * 40),
        "unknown role": signed({**good, "role": "administrator"}),
        "alg=none": unsigned,
        "wrong audience": signed({**good, "aud": "someone-else"}),
        "wrong issuer": signed({**good, "iss": "https://evil.example"}),
        "no organisation": signed({k: v for k, v in good.items() if k != "org"}),
        "no expiry": signed({k: v for k, v in good.items() if k != "exp"}),
        "HS512 instead of HS256": signed(good, alg="HS512"),
        "garbage": "not.a.jwt",
    }


FORGED = _forged_tokens()


@pytest.mark.parametrize("service", ["intake", "matching", "contingent", "aftercare"])
@pytest.mark.parametrize("kind", sorted(FORGED))
async def test_forged_or_stale_tokens_are_refused_on_every_route(
    service: str, kind: str, world: World, http: httpx.AsyncClient
) -> None:
    refused: list[str] = []
    for route, rule in sorted(RULES.items()):
        anonymous = rule.expect["anonymous"]
        if route.service != service or anonymous not in (401, 303):
            continue  # public routes have nothing to refuse
        response = await send(http, world, route, rule, rule.path(world),
                              credentials(route, FORGED[kind]))
        if response.status_code != anonymous:
            refused.append(f"{route}: {response.status_code} (expected {anonymous})")
    assert not refused, f"a token with {kind} was not refused:\n" + "\n".join(refused)
