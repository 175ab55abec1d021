"""Each service's HTTP API fuzzed from its own OpenAPI schema with schemathesis, against the
running services: no request, however odd, gets a server error (5xx), and no answer
contradicts the schema the service publishes.

- Every operation is called with a token of a role that may use it (the first role the
  access rules in tests/access/rules.py let through), so the fuzzing gets past the door and
  into the handlers.
- Half of the examples use the ids of real things (tests/access/world.py: a case, a home,
  a proposal, a trajectory, a signal, a contingent year), so handlers are reached with
  things that exist, not only with random UUIDs that end in a 404.
- Both data the schema allows (positive) and data it does not (negative) are generated.
- Bounded: `EXAMPLES` per operation and generation mode, no shrinking beyond a few steps,
  derandomised (the same examples every run; change `SEED` to explore further).

Homes the fuzzer offers are pinned to a contingent year nobody uses, so they can never be
allocated to another test's clients later in the session.

Shown once to fail (docs/reliability.md): a route that raises on an unexpected input (e.g.
`int(x)` on a path value) makes `not_a_server_error` fail with the request to reproduce it;
a response model changed in a route without the schema (`response_model=None` with an extra
field missing) makes `response_schema_conformance` fail.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.access.routes import RouteKey
from tests.access.rules import RULES
from tests.access.world import ROLES, World, bearer, build_world, intake_body
from tests.conftest import RunningSystem
from tests.support.years import PARKING, free_year

pytestmark = [pytest.mark.infra, pytest.mark.timeout(600)]

EXAMPLES = int(os.environ.get("TRANSFERPUNT_FUZZ_EXAMPLES", "12"))  # per operation and mode
SEED = 20_270_101
FUZZED: Counter[str] = Counter()  # requests per service, for docs/reliability.md
ANSWERS: Counter[tuple[str, str, int]] = Counter()  # (service, operation, status)


@pytest.fixture(scope="module")
def world(system: RunningSystem) -> World:
    return asyncio.run(build_world(system.urls))


@pytest.fixture(scope="module")
def spare_year(system: RunningSystem, world: World) -> int:
    """A contingent year below every other test's range, never set: fuzzed homes wait."""

    async def pick() -> int:
        async with httpx.AsyncClient(timeout=30) as http:
            return await free_year(http, system.urls["contingent"], PARKING)

    return asyncio.run(pick())


def caller_for(service: str, method: str, path: str, world: World) -> dict[str, str]:
    """A token of the first role the access rules let through (the caseworker, corporation
    or supporter before the coordinator, who mostly reads)."""
    rule = RULES.get(RouteKey(service, method.upper(), path))
    if rule is None:  # the public probes
        return {}
    for role in ROLES:
        if rule.expect[role] not in (401, 403):
            return bearer(role, world.org(role, "own"))
    return bearer("coordinator", "region")


def real_path_parameters(service: str, method: str, path: str, world: World) -> dict[str, Any]:
    rule = RULES.get(RouteKey(service, method.upper(), path))
    if rule is None:
        return {}
    names = {part[1:-1] for part in path.split("/") if part.startswith("{")}
    return {k: v for k, v in rule.path(world).items() if k in names}


def operations(service: str, url: str) -> Iterator[Any]:
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    for result in schema.get_all_operations():
        yield result.ok()


def strategy(operation: Any, real: dict[str, Any]) -> st.SearchStrategy[Any]:
    options = [operation.as_strategy(GenerationMode.POSITIVE)]
    if real:
        options.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real))
    for extra in ({}, {"path_parameters": real} if real else None):
        if extra is None:
            continue
        try:
            options.append(operation.as_strategy(GenerationMode.NEGATIVE, **extra))
        except Exception:  # an operation without anything to make invalid
            continue
    return st.one_of(options)


def fuzz_operation(service: str, url: str, operation: Any, headers: dict[str, str],
                   real: dict[str, Any], spare_year: int) -> None:
    @seed(SEED)
    @settings(max_examples=EXAMPLES * 2, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(case=strategy(operation, real))
    def fuzz(case: Any) -> None:
        if isinstance(case.body, dict) and "contingent_year" in case.body:
            case.body["contingent_year"] = spare_year
        FUZZED[service] += 1
        response = case.call(base_url=url, headers=headers, timeout=30)
        ANSWERS[service, f"{operation.method.upper()} {operation.path}", response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    fuzz()


@pytest.mark.parametrize("service", ["intake", "matching", "contingent", "aftercare"])
def test_fuzzed_requests_never_get_a_server_error_or_an_answer_outside_the_schema(
    service: str, system: RunningSystem, world: World, spare_year: int
) -> None:
    url = system.urls[service]
    failures: list[str] = []
    for operation in operations(service, url):
        method, path = operation.method.upper(), operation.path
        headers = caller_for(service, method, path, world)
        real = real_path_parameters(service, method, path, world)

        try:
            fuzz_operation(service, url, operation, headers, real, spare_year)
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{method} {path}:\n{exc}")
    print(f"\n{service}: {FUZZED[service]} fuzzed requests")
    for (svc, op, status), n in sorted(ANSWERS.items()):
        if svc == service:
            print(f"  {op:<50} {status} x{n}")
    assert not failures, f"{len(failures)} operation(s) of {service} failed:\n\n" + \
        "\n\n".join(failures)
    assert FUZZED[service] > 0


@pytest.mark.parametrize("service", ["intake", "matching", "contingent", "aftercare"])
def test_refusals_of_invalid_input_have_the_documented_shape(
    service: str, system: RunningSystem, world: World
) -> None:
    path = {"intake": "/intakes", "matching": "/homes", "contingent": "/members",
            "aftercare": "/signals"}[service]
    method = "POST"
    url = system.urls[service]
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    operation = schema[path][method]
    case = operation.Case(body={"this": "is not what the schema asks for"},
                          media_type="application/json")
    response = case.call(base_url=url, headers=caller_for(service, method, path, world))
    assert response.status_code == 422, response.text
    case.validate_response(response, checks=[response_schema_conformance])


NUL = "a\u0000b"  # U+0000: valid JSON, valid UTF-8, and not storable in PostgreSQL text


def _nul_requests(w: World) -> dict[str, tuple[str, str, str, str, dict[str, Any], str]]:
    """(service, method, path, role, JSON, the field the 422 must name) — free text with a
    NUL in each service (found by the fuzzer as 500s; refused by shared/web_guards.py)."""
    today = date.today().isoformat()
    return {
        "contingent: a member's name": ("contingent", "POST", "/members", "coordinator",
                                        {"member_id": f"nul{w.run}", "name": NUL}, "name"),
        "contingent: a redistribution's note": (
            "contingent", "POST", f"/contingents/{w.year}/redistribute", "coordinator",
            {"note": NUL}, "note"),
        "intake: the intake's notes": ("intake", "POST", "/intakes", "caseworker",
                                       {**intake_body(), "notes": NUL}, "notes"),
        "intake: the access reason": ("intake", "GET", f"/intakes/{w.case}?reason=a%00b",
                                      "caseworker", {}, "reason"),
        "matching: a decline note": ("matching", "POST",
                                     f"/matches/{w.match_to_decline}/decline", "corporation",
                                     {"reason": "other", "note": NUL}, "note"),
        "aftercare: a check-in's notes": (
            "aftercare", "POST", f"/trajectories/{w.trajectory}/checkins", "supporter",
            {"held_on": today, "status": "stable", "private_notes": NUL}, "private_notes"),
        "aftercare: a signal's description": ("aftercare", "POST", "/signals", "corporation",
                                              {"kind": "other", "home_id": w.let_home,
                                               "description": NUL}, "description"),
    }


@pytest.mark.parametrize("what", [
    "contingent: a member's name", "contingent: a redistribution's note",
    "intake: the intake's notes", "intake: the access reason", "matching: a decline note",
    "aftercare: a check-in's notes", "aftercare: a signal's description"])
def test_a_nul_character_in_free_text_is_refused_as_invalid_input(
    what: str, system: RunningSystem, world: World
) -> None:
    service, method, path, role, body, field = _nul_requests(world)[what]
    with httpx.Client(timeout=30) as http:
        response = http.request(method, system.urls[service] + path,
                                headers=bearer(role, world.org(role, "own")),
                                json=body if method != "GET" else None)
    assert response.status_code == 422, f"{what}: {response.status_code} {response.text}"
    assert [e["field"] for e in response.json()["detail"]] == [field], response.text
