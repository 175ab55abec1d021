"""Who may do what: one rule per route of every service, written from the services' docs
(docs/intake-service.md, matching-service.md, contingent-service.md, aftercare-service.md,
web-pages) — not read back from the code.

A rule names the status each caller gets. Callers are the four roles, each once for the
organisation the thing belongs to (`own`) and once for another one (`other`), plus a caller
without any credentials. `allow(...)` starts from "everybody refused": 401 without a token,
403 for every role; the roles named get their status — one number for both organisations,
or `(own, other)`.

A route that exists without a rule here fails `test_every_route_has_an_access_rule`, and so
does a rule for a route that no longer exists.

Web pages (`page=True`) take the session cookie instead of a bearer token; without one they
send the browser to the sign-in page (303), and a form posted without its CSRF token is
refused (400) once the role is right — so for forms the matrix shows who gets past the door,
and the API matrix shows what the page may then do (a page calls the API with the same
token).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx

from tests.access.routes import RouteKey
from tests.access.world import (
    ROLES,
    World,
    bearer,
    home_body,
    intake_body,
    register,
    set_year,
)
from tests.support.years import WITHOUT_HOMES, free_year

CALLERS = ("anonymous", *(f"{role}{suffix}" for role in ROLES for suffix in ("", "_other")))

Params = Callable[[World], Mapping[str, Any]]
Fresh = Callable[[World, httpx.AsyncClient], Awaitable[Mapping[str, Any]]]


def _none(_: World) -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class Rule:
    expect: Mapping[str, int]
    path: Params = _none  # path parameters
    # The JSON body, from the world and the path parameters (called per request: fresh ids).
    body: Callable[[World, Mapping[str, Any]], Any] | None = None
    query: Params = _none
    # For actions that can succeed only once: path parameters of a new thing for every
    # caller that is let through (callers that are refused all use `path`).
    fresh: Fresh | None = None
    why: str = ""


def allow(*, anonymous: int = 401, **granted: int | tuple[int, int]) -> dict[str, int]:
    expect = {caller: 403 for caller in CALLERS}
    expect["anonymous"] = anonymous
    for role, codes in granted.items():
        own, other = codes if isinstance(codes, tuple) else (codes, codes)
        expect[role], expect[f"{role}_other"] = own, other
    return expect


def page(**granted: int | tuple[int, int]) -> dict[str, int]:
    """A page: to the sign-in page without a session, 'for another role' (403) otherwise."""
    return allow(anonymous=303, **granted)


def everyone(code: int) -> dict[str, int]:
    return {caller: code for caller in CALLERS}


def today() -> str:
    return date.today().isoformat()


# ---- things that can be done only once ----------------------------------------------------


async def _fresh_member(w: World, http: httpx.AsyncClient) -> Mapping[str, Any]:
    member = f"ax{uuid.uuid4().hex[:8]}"
    await register(http, w.urls["contingent"], member)
    return {"member_id": member}


async def _fresh_year(w: World, http: httpx.AsyncClient) -> Mapping[str, Any]:
    year = await free_year(http, w.urls["contingent"], WITHOUT_HOMES[:-100])
    await set_year(http, w.urls["contingent"], year, {w.member: 4, w.other_member: 2})
    return {"year": year}


async def _closed_year_and_next(w: World, http: httpx.AsyncClient) -> Mapping[str, Any]:
    earlier = (await _fresh_year(w, http))["year"]
    r = await http.post(f"{w.urls['contingent']}/contingents/{earlier}/close",
                        headers=bearer("coordinator", "region"), json={})
    assert r.status_code == 200, r.text
    year = await free_year(http, w.urls["contingent"],
                           range(earlier + 1, WITHOUT_HOMES.stop))
    await set_year(http, w.urls["contingent"], year, {w.member: 4, w.other_member: 2})
    return {"year": year, "from_year": earlier}


# ---- the table ----------------------------------------------------------------------------

K = RouteKey


def _plumbing(service: str) -> dict[RouteKey, Rule]:
    public = "public by the foundation's design (shared/web.py): the simulator polls it " \
             "without a token; it shows a count or the business time, nothing about a person"
    return {
        K(service, "GET", "/admin/backlog"): Rule(everyone(200), why=public),
        K(service, "POST", "/admin/backlog/wait"): Rule(
            everyone(200), body=lambda w, p: {"ends": {}, "within": 0.1},
            why=public + " (the same answer, once caught up; it only waits, within 10 s)"),
        K(service, "GET", "/admin/clock"): Rule(everyone(200), why=public),
        K(service, "PUT", "/admin/clock"): Rule(
            allow(coordinator=409), body=lambda w, p: {"now": datetime.now(UTC).isoformat()},
            why="the coordinator may move a manual clock; these services run on the system "
                "clock, so the allowed call is a 409 (the gate is what is tested)"),
    }


def _sign_in_pages(service: str) -> dict[RouteKey, Rule]:
    return {
        K(service, "GET", "/", True): Rule(everyone(307), why="redirect to /ui"),
        K(service, "GET", "/ui", True): Rule(everyone(200), why="the start page"),
        K(service, "GET", "/ui/static/{name}", True): Rule(
            everyone(200), path=lambda w: {"name": "transferpunt.css"}),
        K(service, "GET", "/ui/signin", True): Rule(everyone(200)),
        K(service, "POST", "/ui/signin", True): Rule(
            everyone(422), why="local sign-in (test environment): an empty form is refused "
                               "with its problems"),
        K(service, "POST", "/ui/signout", True): Rule(
            {**everyone(303), **{c: 400 for c in CALLERS if c != "anonymous"}},
            why="signing out needs the session's CSRF token; without a session it just "
                "goes to the start page"),
        K(service, "GET", "/ui/signin/oidc", True): Rule(
            everyone(404), why="no identity provider configured in tests"),
        K(service, "GET", "/ui/signin/oidc/callback", True): Rule(
            everyone(400), why="a callback without a sign-in attempt of this browser is "
                               "refused"),
    }


INTAKE: dict[RouteKey, Rule] = {
    K("intake", "POST", "/intakes"): Rule(allow(caseworker=201), body=lambda w, p: intake_body()),
    K("intake", "GET", "/intakes"): Rule(allow(caseworker=200, coordinator=200),
                                         why="lists without personal data; own member only"),
    K("intake", "GET", "/intakes/{case_id}"): Rule(
        allow(caseworker=(200, 404), coordinator=200), path=lambda w: {"case_id": w.case}),
    K("intake", "PATCH", "/intakes/{case_id}"): Rule(
        allow(caseworker=(200, 404)), path=lambda w: {"case_id": w.case},
        body=lambda w, p: {"urgency": "urgent"}, why="the coordinator never changes a case"),
    K("intake", "POST", "/intakes/{case_id}/submit"): Rule(
        allow(caseworker=(200, 404)), path=lambda w: {"case_id": w.draft}),
    K("intake", "POST", "/intakes/{case_id}/withdraw"): Rule(
        allow(caseworker=(200, 404)), path=lambda w: {"case_id": w.case_to_withdraw},
        body=lambda w, p: {"reason": "client_request"}),
    K("intake", "POST", "/intakes/{case_id}/client-response"): Rule(
        allow(caseworker=(200, 404)), path=lambda w: {"case_id": w.proposed_case},
        body=lambda w, p: {"response": "accept"}),
    K("intake", "GET", "/audit"): Rule(allow(coordinator=200)),
    # pages: the caseworker's
    K("intake", "GET", "/ui/intakes", True): Rule(page(caseworker=200)),
    K("intake", "GET", "/ui/intakes/new", True): Rule(page(caseworker=200)),
    K("intake", "POST", "/ui/intakes/new", True): Rule(page(caseworker=400)),
    K("intake", "GET", "/ui/intakes/{case_id}", True): Rule(
        page(caseworker=(200, 404)), path=lambda w: {"case_id": w.case}),
    K("intake", "POST", "/ui/intakes/{case_id}/client-response", True): Rule(
        page(caseworker=400), path=lambda w: {"case_id": w.proposed_case}),
    K("intake", "POST", "/ui/intakes/{case_id}/submit", True): Rule(
        page(caseworker=400), path=lambda w: {"case_id": w.draft}),
    K("intake", "GET", "/ui/intakes/{case_id}/withdraw", True): Rule(
        page(caseworker=(200, 404)), path=lambda w: {"case_id": w.case}),
    K("intake", "POST", "/ui/intakes/{case_id}/withdraw", True): Rule(
        page(caseworker=400), path=lambda w: {"case_id": w.case}),
}

MATCHING: dict[RouteKey, Rule] = {
    K("matching", "POST", "/homes"): Rule(
        allow(corporation=201), body=lambda w, p: home_body(w.year_without_contingent),
        why="the corporation comes from the token; a year without contingent keeps the "
            "new homes away from the world's clients"),
    K("matching", "GET", "/homes"): Rule(allow(corporation=200, coordinator=200),
                                         why="a corporation lists its own homes"),
    K("matching", "GET", "/homes/{home_id}"): Rule(
        allow(corporation=(200, 404), coordinator=200), path=lambda w: {"home_id": w.home}),
    K("matching", "POST", "/homes/{home_id}/withdraw"): Rule(
        allow(corporation=(200, 404)), path=lambda w: {"home_id": w.home_to_withdraw}),
    K("matching", "GET", "/homes/{home_id}/explanation"): Rule(
        allow(corporation=(200, 404), coordinator=200), path=lambda w: {"home_id": w.home}),
    K("matching", "GET", "/matches"): Rule(
        allow(corporation=200, caseworker=200, coordinator=200),
        why="each sees its own corporation's or member's proposals"),
    K("matching", "GET", "/matches/{match_id}"): Rule(
        allow(corporation=(200, 404), caseworker=(200, 404), coordinator=200),
        path=lambda w: {"match_id": w.match}),
    K("matching", "POST", "/matches/{match_id}/accept"): Rule(
        allow(corporation=(200, 404)), path=lambda w: {"match_id": w.match_to_accept}),
    K("matching", "POST", "/matches/{match_id}/decline"): Rule(
        allow(corporation=(200, 404)), path=lambda w: {"match_id": w.match_to_decline},
        body=lambda w, p: {"reason": "home_unsuitable"}),
    K("matching", "POST", "/matches/{match_id}/tenancy"): Rule(
        allow(corporation=(200, 404)), path=lambda w: {"match_id": w.match_accepted},
        body=lambda w, p: {"signed_on": today(), "start_date": today()}),
    K("matching", "GET", "/matches/{match_id}/handover"): Rule(
        allow(corporation=(200, 404), caseworker=(200, 404)),
        path=lambda w: {"match_id": w.match},
        why="the warm handover is for the two parties to the proposal, not the coordinator"),
    # pages: the corporation's (the coordinator reads homes; caseworkers read proposals)
    K("matching", "GET", "/ui/inbox", True): Rule(page(corporation=200)),
    K("matching", "GET", "/ui/homes", True): Rule(page(corporation=200, coordinator=200)),
    K("matching", "GET", "/ui/homes/new", True): Rule(page(corporation=200)),
    K("matching", "POST", "/ui/homes/new", True): Rule(page(corporation=400)),
    K("matching", "GET", "/ui/homes/{home_id}/explanation", True): Rule(
        page(corporation=(200, 404), coordinator=200), path=lambda w: {"home_id": w.home}),
    K("matching", "GET", "/ui/proposals/{match_id}", True): Rule(
        page(corporation=(200, 404), caseworker=(200, 404), coordinator=200),
        path=lambda w: {"match_id": w.match}),
    K("matching", "POST", "/ui/proposals/{match_id}/accept", True): Rule(
        page(corporation=400), path=lambda w: {"match_id": w.match}),
    K("matching", "POST", "/ui/proposals/{match_id}/decline", True): Rule(
        page(corporation=400), path=lambda w: {"match_id": w.match}),
    K("matching", "POST", "/ui/proposals/{match_id}/tenancy", True): Rule(
        page(corporation=400), path=lambda w: {"match_id": w.match}),
}

CONTINGENT: dict[RouteKey, Rule] = {
    K("contingent", "POST", "/members"): Rule(
        allow(coordinator=201),
        body=lambda w, p: {"member_id": f"ax{uuid.uuid4().hex[:8]}", "name": "Nieuw lid"}),
    K("contingent", "GET", "/members"): Rule(
        allow(caseworker=200, supporter=200, coordinator=200),
        why="the roster of member organisations is no secret among members"),
    K("contingent", "GET", "/members/{member_id}"): Rule(
        allow(caseworker=200, supporter=200, coordinator=200),
        path=lambda w: {"member_id": w.member}),
    K("contingent", "PATCH", "/members/{member_id}"): Rule(
        allow(coordinator=200), path=lambda w: {"member_id": w.member},
        body=lambda w, p: {"name": f"Lid {w.member}"}),
    K("contingent", "POST", "/members/{member_id}/deactivate"): Rule(
        allow(coordinator=200), path=lambda w: {"member_id": w.other_member},
        fresh=_fresh_member),
    K("contingent", "GET", "/contingents"): Rule(allow(coordinator=200)),
    K("contingent", "PUT", "/contingents/{year}"): Rule(
        allow(coordinator=200), path=lambda w: {"year": w.year},
        body=lambda w, p: w.contingent_body, why="the same figures again: idempotent"),
    K("contingent", "GET", "/contingents/{year}"): Rule(
        allow(caseworker=200, supporter=200, coordinator=200), path=lambda w: {"year": w.year},
        why="a member's staff see only their own line"),
    K("contingent", "POST", "/contingents/{year}/redistribute"): Rule(
        allow(coordinator=200), path=lambda w: {"year": w.year}, body=lambda w, p: {},
        fresh=_fresh_year),
    K("contingent", "GET", "/contingents/{year}/redistributions"): Rule(
        allow(coordinator=200), path=lambda w: {"year": w.year}),
    K("contingent", "POST", "/contingents/{year}/close"): Rule(
        allow(coordinator=200), path=lambda w: {"year": w.year}, body=lambda w, p: {},
        fresh=_fresh_year),
    K("contingent", "POST", "/contingents/{year}/carry-over"): Rule(
        allow(coordinator=200), path=lambda w: {"year": w.year, "from_year": w.year - 1},
        body=lambda w, p: {"from_year": p["from_year"]}, fresh=_closed_year_and_next),
    K("contingent", "GET", "/contingents/{year}/ledger"): Rule(
        allow(caseworker=200, supporter=200, coordinator=200), path=lambda w: {"year": w.year},
        why="a member's staff see only their own entries"),
    K("contingent", "GET", "/contingents/{year}/explanations/{home_id}"): Rule(
        allow(coordinator=200), path=lambda w: {"year": w.year, "home_id": w.home}),
    K("contingent", "POST", "/contingents/{year}/next-member"): Rule(
        allow(coordinator=200), path=lambda w: {"year": w.year},
        body=lambda w, p: {"eligible_members": [w.member, w.other_member]}),
    # pages: the coordinator's
    K("contingent", "GET", "/ui/contingent", True): Rule(page(coordinator=200)),
    K("contingent", "GET", "/ui/contingent/{year}", True): Rule(
        page(coordinator=200), path=lambda w: {"year": w.year}),
    K("contingent", "GET", "/ui/contingent/{year}/ledger", True): Rule(
        page(coordinator=200), path=lambda w: {"year": w.year}),
    K("contingent", "GET", "/ui/contingent/{year}/ledger.csv", True): Rule(
        page(coordinator=200), path=lambda w: {"year": w.year}),
    K("contingent", "GET", "/ui/contingent/{year}/explanation", True): Rule(
        page(coordinator=200), path=lambda w: {"year": w.year},
        query=lambda w: {"home_id": w.home}),
    K("contingent", "GET", "/ui/contingent/{year}/redistribute", True): Rule(
        page(coordinator=200), path=lambda w: {"year": w.year}),
    K("contingent", "POST", "/ui/contingent/{year}/redistribute", True): Rule(
        page(coordinator=400), path=lambda w: {"year": w.year}),
    K("contingent", "GET", "/ui/contingent/{year}/close", True): Rule(
        page(coordinator=200), path=lambda w: {"year": w.year}),
    K("contingent", "POST", "/ui/contingent/{year}/close", True): Rule(
        page(coordinator=400), path=lambda w: {"year": w.year}),
    K("contingent", "GET", "/ui/throughput", True): Rule(page(coordinator=200)),
}

AFTERCARE: dict[RouteKey, Rule] = {
    K("aftercare", "GET", "/trajectories"): Rule(allow(supporter=200, coordinator=200)),
    K("aftercare", "GET", "/trajectories/{trajectory_id}"): Rule(
        allow(supporter=(200, 404), coordinator=200),
        path=lambda w: {"trajectory_id": w.trajectory}),
    K("aftercare", "POST", "/trajectories/{trajectory_id}/checkins"): Rule(
        allow(supporter=(201, 404)), path=lambda w: {"trajectory_id": w.trajectory},
        body=lambda w, p: {"held_on": today(), "status": "stable"}),
    K("aftercare", "POST", "/trajectories/{trajectory_id}/complete"): Rule(
        allow(supporter=(200, 404)), path=lambda w: {"trajectory_id": w.trajectory_to_complete},
        body=lambda w, p: {"outcome": "stable"}),
    K("aftercare", "POST", "/trajectories/{trajectory_id}/extend"): Rule(
        allow(supporter=(200, 404)), path=lambda w: {"trajectory_id": w.trajectory},
        body=lambda w, p: {"months": 3, "reason": "meer tijd nodig voor de schuldhulp"}),
    K("aftercare", "POST", "/signals"): Rule(
        allow(corporation=(201, 422)),
        body=lambda w, p: {"kind": "nuisance", "home_id": w.let_home},
        why="another corporation names a home it has no tenancy with aftercare in: refused "
            "as invalid input (aftercare-service.md), which tells it nothing about the home"),
    K("aftercare", "POST", "/signals/{signal_id}/acknowledge"): Rule(
        allow(supporter=(200, 404)), path=lambda w: {"signal_id": w.signal}),
    K("aftercare", "GET", "/signals"): Rule(
        allow(corporation=200, supporter=200, coordinator=200),
        why="each sees the signals it raised or that concern its own trajectories"),
    K("aftercare", "GET", "/returns"): Rule(allow(coordinator=200)),
    # pages
    K("aftercare", "GET", "/ui/trajectories", True): Rule(page(supporter=200, coordinator=200)),
    K("aftercare", "GET", "/ui/trajectories/{trajectory_id}", True): Rule(
        page(supporter=(200, 404), coordinator=200),
        path=lambda w: {"trajectory_id": w.trajectory}),
    K("aftercare", "POST", "/ui/trajectories/{trajectory_id}/checkins", True): Rule(
        page(supporter=400), path=lambda w: {"trajectory_id": w.trajectory}),
    K("aftercare", "GET", "/ui/trajectories/{trajectory_id}/complete", True): Rule(
        page(supporter=(200, 404)), path=lambda w: {"trajectory_id": w.trajectory}),
    K("aftercare", "POST", "/ui/trajectories/{trajectory_id}/complete", True): Rule(
        page(supporter=400), path=lambda w: {"trajectory_id": w.trajectory}),
    K("aftercare", "POST", "/ui/signals/{signal_id}/acknowledge", True): Rule(
        page(supporter=400), path=lambda w: {"signal_id": w.signal}),
    K("aftercare", "GET", "/ui/signals", True): Rule(
        page(corporation=200, supporter=200, coordinator=200)),
    K("aftercare", "GET", "/ui/signals/new", True): Rule(page(corporation=200)),
    K("aftercare", "POST", "/ui/signals/new", True): Rule(page(corporation=400)),
}


def _build() -> dict[RouteKey, Rule]:
    rules: dict[RouteKey, Rule] = {}
    for service in ("intake", "matching", "contingent", "aftercare"):
        rules.update(_plumbing(service))
    for service in ("intake", "matching", "contingent", "aftercare"):
        rules.update(_sign_in_pages(service))
    for table in (INTAKE, MATCHING, CONTINGENT, AFTERCARE):
        rules.update(table)
    return rules


RULES: dict[RouteKey, Rule] = _build()


@dataclass
class Outcome:
    caller: str
    expected: int
    got: int
    detail: str = ""


@dataclass
class Mismatches:
    route: RouteKey
    found: list[Outcome] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{self.route}:"]
        lines += [f"  {o.caller:<20} expected {o.expected}, got {o.got}  {o.detail}"
                  for o in self.found]
        return "\n".join(lines)
