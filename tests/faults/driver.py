"""A small, seeded region driven over HTTP while the faults happen: caseworkers submit
intakes (and now and then withdraw one), corporations offer homes, decide proposals (accept
or decline with a coded reason) and record tenancies.

It is built to keep going through crashes: every request is retried (with the same body)
until the service answers, so a request whose answer was lost in a crash is simply sent
again — the services must then give the same outcome (an intake for a client with an open
case is a 409, a proposal already decided is a 409). Whatever the services answered, the
reconciliation afterwards compares their state with the event log; the driver only keeps
what it was told (accepted intakes, and what it generated as personal data, for the
privacy scan).

The simulator (transferpunt/simulator.py) is not used here: it waits for quiescence after
every step and treats a refused connection as the end of the run, which is right for a
simulated year and wrong for one in which services are killed on purpose.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from tests.access.world import bearer, dutch_today

FIRST = ("Anouk", "Bram", "Chantal", "Daan", "Esra", "Fatima", "Gerrit", "Hanneke", "Jeroen",
         "Linda", "Mohammed", "Naima", "Omar", "Petra", "Rachid", "Sanne", "Yasmina", "Zeynep")
LAST = ("de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "Mulder",
        "de Groot", "Bos", "Kaya", "Yilmaz", "El Amrani", "Bouzid", "van Dijk", "Kramer")
DECLINE_REASONS = ("home_unsuitable", "client_unreachable", "risk_not_mitigated")


@dataclass(frozen=True)
class Person:
    """What the driver invents about a client: none of it may leave the intake service."""

    name: str
    date_of_birth: str
    bsn: str
    phone: str
    email: str
    address: str
    client_number: str

    def values(self) -> dict[str, str]:
        return {"name": self.name, "date_of_birth": self.date_of_birth, "bsn": self.bsn,
                "phone": self.phone, "email": self.email, "address": self.address,
                "client_number": self.client_number}


def bsn(rng: random.Random) -> str:
    """Nine digits passing the 11-check (elfproef)."""
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if last < 10:
            return "".join(map(str, [*digits, last]))


def person(rng: random.Random, run: str, index: int) -> Person:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    born = date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 48))  # never a 2020s date
    return Person(
        name=f"{first} {last}", date_of_birth=born.isoformat(), bsn=bsn(rng),
        phone=f"06{rng.randint(10_000_000, 99_999_999)}",
        email=f"{first.lower()}.{index}.{run}@example.org",
        address=f"Opvangweg {rng.randint(1, 400)}, Utrecht",
        client_number=f"FT-{run}-{index:04d}",
    )


@dataclass
class Region:
    run: str
    year: int
    members: tuple[str, ...]
    corporations: tuple[str, ...]

    @classmethod
    def new(cls, run: str, year: int) -> Region:
        return cls(run, year, tuple(f"f{run}m{i}" for i in range(3)),
                   tuple(f"f{run}c{i}" for i in range(2)))


@dataclass
class Driven:
    """What the driver did and was told."""

    accepted_cases: dict[str, str] = field(default_factory=dict)  # case_id -> member
    withdrawn_cases: set[str] = field(default_factory=set)
    people: list[Person] = field(default_factory=list)
    free_texts: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    retries: int = 0


class Unanswered(RuntimeError):
    pass


class Driver:
    def __init__(self, urls: Mapping[str, str], region: Region, seed: int) -> None:
        self.urls = dict(urls)
        self.region = region
        self.rng = random.Random(seed)
        self.done = Driven()
        self._http: httpx.AsyncClient | None = None
        self._decided: set[str] = set()

    async def call(self, method: str, service: str, path: str, role: str, org: str,
                   body: Any = None, give_up_after: float = 120.0) -> httpx.Response:
        """Send until the service answers with anything but a server or gateway error."""
        assert self._http is not None
        deadline = time.monotonic() + give_up_after
        delay = 0.2
        while True:
            try:
                r = await self._http.request(method, self.urls[service] + path, json=body,
                                             headers=bearer(role, org))
                if r.status_code < 500:
                    return r
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise Unanswered(f"{method} {service}{path} unanswered for {give_up_after}s")
            self.done.retries += 1
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 2.0)

    # -- set-up ----------------------------------------------------------------------------

    async def set_up(self, http: httpx.AsyncClient) -> None:
        self._http = http
        for member in self.region.members:
            r = await self.call("POST", "contingent", "/members", "coordinator", "region",
                                {"member_id": member, "name": f"Zorgorganisatie {member}"})
            assert r.status_code in (201, 409), r.text
        r = await self.call("PUT", "contingent", f"/contingents/{self.region.year}",
                            "coordinator", "region", {
                                "total_homes": 120, "method": "sainte_lague",
                                "members": [{"member_id": m, "need": 40 + 10 * i}
                                            for i, m in enumerate(self.region.members)]})
        assert r.status_code == 200, r.text

    # -- the actions -----------------------------------------------------------------------

    async def submit_intake(self) -> None:
        index = len(self.done.people)
        who = person(self.rng, self.region.run, index)
        member = self.rng.choice(self.region.members)
        note = f"Gesprek met {who.name} in de nachtopvang; bereikbaar via {who.phone}."
        self.done.people.append(who)
        self.done.free_texts.append(note)
        body = {
            "client": {"name": who.name, "date_of_birth": who.date_of_birth, "bsn": who.bsn,
                       "client_number": who.client_number, "phone": who.phone,
                       "email": who.email, "address": who.address},
            "household": {"adults": 1, "children": 0},
            "monthly_income": f"{self.rng.uniform(1350, 1700):.2f}", "max_rent": "650.00",
            "urgency": self.rng.choice(("normal", "normal", "high", "urgent")),
            "ready_from": dutch_today().isoformat(), "consent": True, "notes": note,
        }
        r = await self.call("POST", "intake", "/intakes", "caseworker", member, body)
        if r.status_code == 201:
            self.done.accepted_cases[r.json()["case_id"]] = member
            self.done.counts["intakes"] += 1
        elif r.status_code == 409 and r.json().get("open_case_id"):
            # The first attempt was stored, its answer lost in a crash: the same case.
            self.done.accepted_cases[r.json()["open_case_id"]] = member
            self.done.counts["intakes (answer lost, found again)"] += 1
        else:
            self.done.counts[f"intake refused {r.status_code}"] += 1

    async def offer_home(self) -> None:
        corporation = self.rng.choice(self.region.corporations)
        body = {"municipality": self.rng.choice(("Utrecht", "Nieuwegein", "Zeist")),
                "postcode4": str(self.rng.choice((3511, 3431, 3701))), "bedrooms": 1,
                "rent": f"{self.rng.uniform(480, 640):.2f}",
                "available_from": (date.today() + timedelta(days=30)).isoformat(),
                "contingent_year": self.region.year}
        r = await self.call("POST", "matching", "/homes", "corporation", corporation, body)
        self.done.counts["homes" if r.status_code == 201 else f"home refused {r.status_code}"] += 1

    async def withdraw_one(self) -> None:
        if not self.done.accepted_cases:
            return
        case_id, member = self.rng.choice(sorted(self.done.accepted_cases.items()))
        r = await self.call("POST", "intake", f"/intakes/{case_id}/withdraw", "caseworker",
                            member, {"reason": "client_request"})
        self.done.counts["withdrawals" if r.status_code == 200 else "withdrawal refused"] += 1
        if r.status_code == 200:
            self.done.withdrawn_cases.add(case_id)

    async def work_the_inboxes(self) -> None:
        """Each corporation decides its open proposals and records the tenancies."""
        for corporation in self.region.corporations:
            r = await self.call("GET", "matching", "/matches", "corporation", corporation)
            if r.status_code != 200:
                continue
            for match in r.json():
                match_id = match["match_id"]
                if match["status"] == "proposed" and match_id not in self._decided:
                    await self._decide(corporation, match_id)
                elif match["status"] == "accepted":
                    await self._let(corporation, match_id)

    async def _decide(self, corporation: str, match_id: str) -> None:
        self._decided.add(match_id)
        base = f"/matches/{match_id}"
        if self.rng.random() < 0.2:
            reason = self.rng.choice(DECLINE_REASONS)
            r = await self.call("POST", "matching", f"{base}/decline", "corporation",
                                corporation, {"reason": reason})
            outcome = "declines" if r.status_code == 200 else f"decline {r.status_code}"
            self.done.counts[outcome] += 1
            return
        r = await self.call("POST", "matching", f"{base}/accept", "corporation", corporation)
        self.done.counts["accepts" if r.status_code == 200 else f"accept {r.status_code}"] += 1
        if r.status_code == 200:
            await self._let(corporation, match_id)

    async def _let(self, corporation: str, match_id: str) -> None:
        today = date.today().isoformat()
        r = await self.call("POST", "matching", f"/matches/{match_id}/tenancy", "corporation",
                            corporation, {"signed_on": today, "start_date": today})
        self.done.counts["tenancies" if r.status_code == 200 else f"tenancy {r.status_code}"] += 1

    async def run(self, seconds: float, stop: asyncio.Event) -> None:
        """Act until `seconds` have passed (or `stop` is set): about two intakes and two
        homes for every three rounds, a withdrawal now and then, the inboxes every round."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not stop.is_set():
            roll = self.rng.random()
            if roll < 0.45:
                await self.submit_intake()
            if 0.3 < roll < 0.75:
                await self.offer_home()
            if roll > 0.97:
                await self.withdraw_one()
            await self.work_the_inboxes()
            await asyncio.sleep(self.rng.uniform(0.2, 0.8))

    async def finish(self) -> None:
        """After the faults: decide what is still open, so the run ends with tenancies."""
        for _ in range(3):
            await self.work_the_inboxes()
            await asyncio.sleep(1.0)


def new_run_id() -> str:
    return uuid.uuid4().hex[:5]
