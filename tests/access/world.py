"""A small region built through the real services, with something of every kind for every
role to reach for: cases, homes, proposals, a tenancy, trajectories and signals of one member
organisation and one corporation (`own`), next to another member and corporation (`other`).

Everything is made over HTTP as the users make it (and thereby travels over Kafka), so the
access matrix asks the running services about real things, not about ids nobody owns.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from shared.auth import mint_token
from shared.settings import ServiceSettings
from tests.support.kafka import eventually
from tests.support.years import CONTINGENT, PARKING, free_year

ROLES = ("caseworker", "corporation", "supporter", "coordinator")
# Ready long after any home in this suite is available: never proposed, so it stays put.
NEVER_READY = "2041-06-01"


def dutch_today() -> date:
    """Today as intake sees it (Europe/Amsterdam): a `ready_from` before it is "in the past".
    Between 23:00 (22:00 in summer) and midnight UTC, the machine's date.today() is still
    yesterday there."""
    return datetime.now(ZoneInfo("Europe/Amsterdam")).date()


def bearer(role: str, org: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(ServiceSettings(), role=role, org=org)}"}


def intake_body(*, ready_from: str = NEVER_READY, submit: bool = True) -> dict[str, Any]:
    """A valid intake with a client nobody else has (fresh client number, no BSN)."""
    tag = uuid.uuid4().hex[:10]
    return {
        "client": {"name": f"Toegangstest {tag}", "date_of_birth": "1980-05-17",
                   "client_number": f"AX-{tag}"},
        "household": {"adults": 1, "children": 0},
        "monthly_income": "1600.00", "max_rent": "650.00",
        "ready_from": ready_from, "consent": True, "submit": submit,
    }


def home_body(year: int, *, available_in_days: int = 30) -> dict[str, Any]:
    return {"municipality": "Utrecht", "postcode4": "3511", "bedrooms": 1, "rent": "550.00",
            "available_from": (date.today() + timedelta(days=available_in_days)).isoformat(),
            "contingent_year": year}


@dataclass
class World:
    urls: Mapping[str, str]
    run: str
    member: str
    other_member: str
    corporation: str
    other_corporation: str
    year: int  # the year the region's homes belong to (own and other member have a share)
    year_without_contingent: int  # homes offered for it wait: nobody is owed them
    contingent_body: dict[str, Any] = field(default_factory=dict)
    # intake
    case: str = ""  # submitted, never proposed
    draft: str = ""
    case_to_withdraw: str = ""
    proposed_case: str = ""  # the client of `match`
    # matching
    home: str = ""  # with an open proposal (`match`)
    match: str = ""
    home_to_withdraw: str = ""
    match_to_accept: str = ""
    match_to_decline: str = ""
    match_accepted: str = ""  # accepted, tenancy not yet recorded
    let_home: str = ""  # the home of `trajectory`
    # aftercare
    trajectory: str = ""
    trajectory_to_complete: str = ""
    signal: str = ""

    def org(self, role: str, whose: str) -> str:
        """The organisation a caller of `role` belongs to: the world's own or the other one."""
        own = whose == "own"
        if role in ("caseworker", "supporter"):
            return self.member if own else self.other_member
        if role == "corporation":
            return self.corporation if own else self.other_corporation
        return "region" if own else f"elsewhere-{self.run}"


async def set_year(http: httpx.AsyncClient, contingent: str, year: int,
                   needs: Mapping[str, int]) -> dict[str, Any]:
    body = {"total_homes": sum(needs.values()), "method": "sainte_lague",
            "members": [{"member_id": m, "need": n} for m, n in needs.items()]}
    r = await http.put(f"{contingent}/contingents/{year}", json=body,
                       headers=bearer("coordinator", "region"))
    assert r.status_code == 200, r.text
    return body


async def register(http: httpx.AsyncClient, contingent: str, member: str) -> None:
    r = await http.post(f"{contingent}/members", json={"member_id": member, "name": member},
                        headers=bearer("coordinator", "region"))
    assert r.status_code == 201, r.text


async def _open_case(http: httpx.AsyncClient, w: World, **body: Any) -> str:
    r = await http.post(f"{w.urls['intake']}/intakes", json=intake_body(**body),
                        headers=bearer("caseworker", w.member))
    assert r.status_code == 201, r.text
    return str(r.json()["case_id"])


async def _proposal(http: httpx.AsyncClient, w: World) -> tuple[str, str, str]:
    """A client ready now and a home for them: (case, home, match) once matching proposed.
    One pair at a time, so each home can only go to the client made for it."""
    case = await _open_case(http, w, ready_from=dutch_today().isoformat())
    corporation = bearer("corporation", w.corporation)
    r = await http.post(f"{w.urls['matching']}/homes", json=home_body(w.year),
                        headers=corporation)
    assert r.status_code == 201, r.text
    home = str(r.json()["home_id"])

    async def proposed() -> Any:
        resp = await http.get(f"{w.urls['matching']}/matches", headers=corporation)
        return [m for m in resp.json() if m["home_id"] == home and m["status"] == "proposed"]

    [match] = await eventually(proposed, seconds=60)
    assert match["case_id"] == case, "the home went to another client than the one made for it"
    return case, home, str(match["match_id"])


async def _tenancy(http: httpx.AsyncClient, w: World, match: str) -> None:
    corporation = bearer("corporation", w.corporation)
    r = await http.post(f"{w.urls['matching']}/matches/{match}/accept", headers=corporation)
    assert r.status_code == 200, r.text
    today = date.today().isoformat()
    r = await http.post(f"{w.urls['matching']}/matches/{match}/tenancy", headers=corporation,
                        json={"signed_on": today, "start_date": today})
    assert r.status_code == 200, r.text


async def _trajectory_of(http: httpx.AsyncClient, w: World, home: str) -> str:
    supporter = bearer("supporter", w.member)

    async def opened() -> Any:
        resp = await http.get(f"{w.urls['aftercare']}/trajectories", headers=supporter)
        return [t for t in resp.json() if t["home_id"] == home]

    [trajectory] = await eventually(opened, seconds=60)
    return str(trajectory["trajectory_id"])


async def build_world(urls: Mapping[str, str]) -> World:
    run = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(timeout=30) as http:
        year = await free_year(http, urls["contingent"], CONTINGENT)
        # A year nobody ever sets a contingent for: homes offered for it wait for good,
        # never reaching their clients (tests/support/years.py).
        spare = await free_year(http, urls["contingent"], PARKING)
        w = World(urls=urls, run=run, member=f"ax{run}m", other_member=f"ax{run}n",
                  corporation=f"ax{run}c", other_corporation=f"ax{run}d", year=year,
                  year_without_contingent=spare)
        for member in (w.member, w.other_member):
            await register(http, urls["contingent"], member)
        w.contingent_body = await set_year(http, urls["contingent"], w.year,
                                           {w.member: 20, w.other_member: 10})

        w.case = await _open_case(http, w)
        w.draft = await _open_case(http, w, submit=False)
        w.case_to_withdraw = await _open_case(http, w)

        w.proposed_case, w.home, w.match = await _proposal(http, w)
        _, _, w.match_to_accept = await _proposal(http, w)
        _, _, w.match_to_decline = await _proposal(http, w)
        _, _, w.match_accepted = await _proposal(http, w)
        r = await http.post(f"{urls['matching']}/matches/{w.match_accepted}/accept",
                            headers=bearer("corporation", w.corporation))
        assert r.status_code == 200, r.text
        _, w.let_home, let_match = await _proposal(http, w)
        await _tenancy(http, w, let_match)
        _, closing_home, closing_match = await _proposal(http, w)
        await _tenancy(http, w, closing_match)
        w.trajectory = await _trajectory_of(http, w, w.let_home)
        w.trajectory_to_complete = await _trajectory_of(http, w, closing_home)

        # A home nobody is ready for: it waits, and the corporation may withdraw it.
        r = await http.post(f"{urls['matching']}/homes", json=home_body(
            w.year_without_contingent), headers=bearer("corporation", w.corporation))
        assert r.status_code == 201, r.text
        w.home_to_withdraw = str(r.json()["home_id"])

        r = await http.post(f"{urls['aftercare']}/signals",
                            headers=bearer("corporation", w.corporation),
                            json={"kind": "nuisance", "home_id": w.let_home,
                                  "description": "geluidsoverlast gemeld"})
        assert r.status_code == 201, r.text
        w.signal = str(r.json()["signal_id"])
    return w
