"""The demo the README's first command runs: a region like U16 with 42 member organisations,
its yearly contingent, and a batch of clients and homes driven through the real services over
HTTP and Kafka — then the coordinator's quota table.

(The full simulated year with an accelerated clock, throughput times and charts grows out of
this; see issue 7 in docs/STATUS.md.)
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx

from shared.auth import mint_token
from shared.settings import SERVICE_PORTS, ServiceSettings

Say = Callable[[str], None]
MUNICIPALITIES = ("Utrecht", "Nieuwegein", "Zeist", "Houten", "De Bilt", "Stichtse Vecht")


def _url(service: str) -> str:
    return f"http://127.0.0.1:{SERVICE_PORTS[service]}"


def _auth(role: str, org: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(ServiceSettings(), role=role, org=org)}"}


def _needs(rng: random.Random, members: int) -> dict[str, int]:
    """A realistic spread: a few large organisations, a long tail of small ones."""
    return {f"m{i:02d}": max(1, int(rng.paretovariate(1.3) * 6)) for i in range(1, members + 1)}


def _wait(check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise RuntimeError("the demo waited too long for the services; see `transferpunt logs`")


def run_demo(say: Say, *, members: int = 42, clients: int = 24, year: int = 2027,
             seed: int = 16) -> None:
    rng = random.Random(seed)
    coord = _auth("coordinator", "region")
    corp = _auth("corporation", "c01")
    needs = _needs(rng, members)
    with httpx.Client(timeout=20) as http:
        say(f"Demo: registering {members} member organisations and the {year} contingent")
        for member_id in needs:
            http.post(f"{_url('contingent')}/members", headers=coord,
                      json={"member_id": member_id, "name": f"Member organisation {member_id}"})
        r = http.put(f"{_url('contingent')}/contingents/{year}", headers=coord, json={
            "total_homes": 600, "method": "sainte_lague",
            "members": [{"member_id": m, "need": n} for m, n in needs.items()]})
        r.raise_for_status()
        say(f"Demo: {clients} clients and {clients} homes through intake → matching → "
            "contingent → aftercare")
        ready = date(year, 1, 1)
        for i in range(clients):
            member = rng.choices(list(needs), weights=list(needs.values()))[0]
            r = http.post(f"{_url('intake')}/intakes", headers=_auth("caseworker", member),
                          json={"client": {"name": f"Demo client {i}",
                                           "date_of_birth": "1985-01-01",
                                           "client_number": f"demo-{seed}-{year}-{i}"},
                                "household": {"adults": 1, "children": 0},
                                "monthly_income": "1500.00", "max_rent": "650.00",
                                "ready_from": ready.isoformat(), "consent": True})
            if r.status_code == 409:  # a re-run: this demo client already has an open case
                continue
            r.raise_for_status()
        done = 0
        for _ in range(clients):
            r = http.post(f"{_url('matching')}/homes", headers=corp, json={
                "municipality": rng.choice(MUNICIPALITIES),
                "postcode4": str(rng.randint(3400, 3999)), "bedrooms": 1,
                "rent": f"{rng.randint(450, 640)}.00",
                "available_from": (ready + timedelta(days=30)).isoformat(),
                "contingent_year": year})
            r.raise_for_status()
            home_id = r.json()["home_id"]

            def proposed(home_id: str = home_id) -> Any:
                rows = http.get(f"{_url('matching')}/matches", headers=corp).json()
                return next((m for m in rows if m["home_id"] == home_id), None)

            try:
                match = _wait(proposed, timeout=15)
            except RuntimeError:
                continue  # nobody eligible left: the home waits, as it would in real life
            http.post(f"{_url('matching')}/matches/{match['match_id']}/accept", headers=corp)
            start = ready + timedelta(days=45)
            http.post(f"{_url('matching')}/matches/{match['match_id']}/tenancy", headers=corp,
                      json={"signed_on": (start - timedelta(days=7)).isoformat(),
                            "start_date": start.isoformat()})
            done += 1
            print(f"\r  tenancies started: {done}", end="", flush=True)
        print(flush=True)

        def report() -> Any:
            body = http.get(f"{_url('contingent')}/contingents/{year}", headers=coord).json()
            return body if body["homes_allocated"] >= done else None

        body = _wait(report)
    say(f"\nCoordinator's report — contingent {year} ({body['method']}, "
        f"{body['total_homes']} homes)")
    say(f"{'member':<8}{'need':>6}{'share':>7}{'used':>6}{'remaining':>11}{'deviation':>11}")
    for line in body["shares"]:
        say(f"{line['member_id']:<8}{line['need']:>6}{line['share']:>7}{line['used']:>6}"
            f"{line['remaining']:>11}{line['deviation']:>11.2f}")
