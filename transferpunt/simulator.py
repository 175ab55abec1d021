"""The simulated regional year: a region like U16 driven through the real services.

A `Scenario` (seed, size, shares of declines, expiries and signals) becomes a `Plan` — the
region's member organisations, corporations, the people who arrive and the homes offered —
by a pure, seeded function: the same seed gives the same region, people, homes and
behaviour. A `Simulation` then plays the plan against the four running services over HTTP
(and thereby Kafka), with every service on a manual business clock (`TRANSFERPUNT_CLOCK=
manual`):

    for every business day with something to do:
        PUT /admin/clock on all four services                  (the day begins, 09:00 UTC)
        wait for the proposals that expire today to expire     (matching's periodic job)
        perform the day's actions in two lanes side by side (`LANES`): intakes,
            withdrawals, homes, decisions, tenancies — and signals, check-ins, closings
        wait for quiescence: every outbox empty and every consumer group caught up (the
            positions its service reports == end offsets; POST /admin/backlog/wait)
        read the day's events from Kafka and plan the reactions (a proposal is decided in
            1–7 working days, a tenancy starts 1–4 weeks after acceptance, …)

Behaviour is keyed to the simulator's own numbering, not to the services' ids: what the
corporation does with the 2nd proposal for home #17 is drawn from `(seed, "decision", 17,
2)`, whoever that proposal is for. With `ordered=True` every action that can change an
allocation (an intake, a withdrawal, a home, a decline) is followed by quiescence, a day's
phases run in one lane, and same-day intakes get distinct submission seconds, so the
services see the same inputs in the same order and the whole run — proposals included —
repeats exactly. Without it (the default, several times faster) same-day homes race through
Kafka, so which member a home goes to may differ between runs while the plan and every
scripted behaviour do not.

Personal data the plan invents (names, BSNs valid by the 11-check, dates of birth, phone
numbers, e-mail addresses, free texts naming the client) is written to
`out/sim-personal-data.json` before the run, so a privacy test can look for it on Kafka, in
the logs and in the metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import random
import re
import time as walltime
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from shared.auth import mint_token
from shared.settings import ServiceSettings
from shared.topics import ALL_EVENT_TOPICS, SERVICES
from transferpunt.http_client import HttpClient, HttpError, NotSent, Reply, TransportError

Progress = Callable[[str], None]
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DAY_STARTS_AT = time(9, 0, tzinfo=UTC)  # 10:00 or 11:00 in Utrecht: the same calendar day
CONSUMER_GROUPS = tuple(f"{service}-consumer" for service in SERVICES)
SUPPORT_DAYS = (0, 3)  # supporters record their contacts on Mondays and Thursdays
_ORDER: contextvars.ContextVar[tuple[int, int]] = contextvars.ContextVar("order", default=(0, 0))


class ScenarioError(ValueError):
    """The scenario cannot be simulated (more homes than the contingent, no members, …)."""


class SimulationError(RuntimeError):
    """The services did not behave as a simulation needs (clock, quiescence, API errors)."""


# ---- the region ---------------------------------------------------------------------------

# The U16 municipalities: inhabitants (CBS, 1 January 2024, rounded) and four-digit postcode
# areas. Homes are offered in proportion to the inhabitants.
MUNICIPALITIES: dict[str, tuple[int, tuple[int, ...]]] = {
    "Utrecht": (374_000, tuple(range(3511, 3586))),
    "Stichtse Vecht": (66_000, (3601, 3602, 3603, 3604, 3605, 3606, 3607, 3611, 3621, 3632)),
    "Zeist": (66_000, (3701, 3702, 3703, 3704, 3705, 3706, 3707, 3708, 3709)),
    "Nieuwegein": (65_000, (3431, 3432, 3433, 3434, 3435, 3436, 3437, 3438, 3439)),
    "Vijfheerenlanden": (58_000, (4131, 4132, 4133, 4141, 4142)),
    "Woerden": (53_000, (3441, 3442, 3443, 3444, 3445, 3446, 3447, 3448)),
    "Houten": (51_000, (3991, 3992, 3993, 3994, 3995, 3997)),
    "Utrechtse Heuvelrug": (50_000, (3941, 3945, 3956, 3958, 3971, 3972)),
    "De Ronde Venen": (45_000, (3641, 3642, 3643, 3645, 3646, 3648)),
    "De Bilt": (43_000, (3721, 3722, 3723, 3731, 3732, 3737, 3738)),
    "IJsselstein": (35_000, (3401, 3402, 3403, 3404)),
    "Wijk bij Duurstede": (24_000, (3961, 3962)),
    "Bunnik": (15_500, (3981, 3984, 3985)),
    "Lopik": (15_000, (3411, 3412)),
    "Montfoort": (14_000, (3417,)),
    "Oudewater": (10_500, (3421,)),
}

# Six corporations (fictitious names) and the municipalities where they let homes.
CORPORATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Stadswonen Utrecht", ("Utrecht",)),
    ("Domstad Woningen", ("Utrecht", "Nieuwegein", "IJsselstein")),
    ("Kromme Rijn Wonen", ("Zeist", "De Bilt", "Utrechtse Heuvelrug", "Bunnik",
                           "Wijk bij Duurstede", "Houten")),
    ("Lek en IJssel Wonen", ("Houten", "Nieuwegein", "IJsselstein", "Lopik",
                             "Vijfheerenlanden")),
    ("Groene Hart Wonen", ("Woerden", "Montfoort", "Oudewater", "De Ronde Venen")),
    ("Vechtstreek Wonen", ("Stichtse Vecht", "De Bilt", "Utrecht")),
)

_MEMBER_KINDS = ("Stichting", "Zorggroep", "Vereniging", "Herstelhuis", "Woonbegeleiding",
                 "Opvang")
_MEMBER_NAMES = ("Kompas", "Onderdak", "Wending", "Perspectief", "De Brug", "Het Baken",
                 "Ankerplaats")
_FIRST_NAMES = (
    "Anouk", "Bram", "Chantal", "Daan", "Esra", "Fatima", "Gerrit", "Hanneke", "Ilse",
    "Jeroen", "Kevin", "Linda", "Mohammed", "Naima", "Omar", "Petra", "Quinten", "Rachid",
    "Sanne", "Tom", "Ufuk", "Vera", "Wim", "Yasmina", "Zeynep", "Bart", "Cor", "Dewi",
    "Emre", "Femke", "Gijs", "Hamza", "Ingrid", "Joyce", "Kees", "Lotte", "Mark", "Nadia",
    "Olga", "Patrick", "Rik", "Samira", "Thijs", "Ans", "Bilal", "Dirk", "Elif", "Henk",
)
_LAST_NAMES = (
    "de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
    "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker",
    "Brouwer", "de Wit", "Dijkstra", "Kaya", "Yilmaz", "El Amrani", "Bouzid", "Öztürk",
    "van Dijk", "Kramer", "van der Linden", "Koster", "Prins", "Huisman", "Postma",
    "Kuipers", "Veenstra", "Schouten", "Willems", "van Vliet", "Hoekstra", "Maas",
)
_MITIGATIONS = {
    "debts": ("budgetbeheer via de gemeente", "schuldhulpverlening loopt, huur via inhouding"),
    "addiction": ("behandeling bij verslavingszorg loopt", "afspraken over gebruik in huis"),
    "nuisance_history": ("buurtbemiddeling bij de start", "gedragsafspraken met de corporatie"),
    "psychiatric": ("ambulante GGZ-behandeling loopt", "signaleringsplan bij de begeleider"),
    "other": ("extra begeleiding de eerste drie maanden",),
}
_ACTIONS = ("post openen met begeleider", "afspraak huisarts maken", "dagbesteding zoeken",
            "toeslagen aanvragen", "contact met buren leggen", "budgetplan bijwerken")
DECLINE_REASONS = {"client_declined": 30, "home_unsuitable": 25, "risk_not_mitigated": 20,
                   "client_unreachable": 15, "other": 10}
_DECLINE_NOTES = ("woning moet eerst gerenoveerd worden", "te dicht bij het oude netwerk",
                  "trap ongeschikt gebleken bij bezichtiging")
OUTCOMES = {"stable": 78, "moved_on": 6, "returned_to_shelter": 5, "evicted": 3,
            "lost_contact": 6, "deceased": 2}


# ---- the scenario -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """What to simulate. Defaults: a region like U16 for one year."""

    seed: int = 16
    year: int = 2027
    members: int = 42
    corporations: int = 6
    contingent: int = 600  # homes in the year's contingent
    homes: int = 600  # homes offered during the arrival period
    intakes: int | None = None  # default: 15 % more than homes
    start: date | None = None  # first day of arrivals (default: 1 January of `year`)
    arrival_days: int = 365  # intakes and homes arrive during these many days
    horizon: date | None = None  # stop here (default: when the last trajectory has ended)
    method: str = "sainte_lague"
    decline_share: float = 0.15
    late_share: float = 0.03  # the corporation decides after the deadline: the proposal expires
    withdraw_share: float = 0.04  # intakes withdrawn while waiting
    signal_share: float = 0.10  # tenancies with a vroegsignalering
    return_share: float = 0.6  # of those returned to the shelter: a new intake
    id_prefix: str = ""  # namespaces member, corporation and client ids (tests, reruns)
    ordered: bool = False  # serialise allocation-changing actions (exactly repeatable)
    every_day: bool = False  # step every calendar day, not only the days with something to do

    @property
    def first_day(self) -> date:
        return self.start or date(self.year, 1, 1)

    @property
    def arrivals_end(self) -> date:
        return self.first_day + timedelta(days=self.arrival_days)

    @property
    def intake_count(self) -> int:
        return self.intakes if self.intakes is not None else round(self.homes * 1.15)

    def problems(self) -> list[str]:
        """Why this scenario cannot run (empty: it can)."""
        found = []
        if self.members < 1:
            found.append("there are no member organisations: a contingent is shared among "
                         "members, so give at least 1 (U16 has 42)")
        if self.members > 999:
            found.append(f"{self.members} member organisations is more than the 999 the "
                         "simulator numbers")
        if self.corporations < 1:
            found.append("there are no corporations: nobody would offer a home")
        if self.contingent < 1:
            found.append("the contingent holds no homes")
        if self.homes < 0 or self.intake_count < 0:
            found.append("homes and intakes cannot be negative")
        if self.homes > self.contingent:
            found.append(f"{self.homes} homes would be offered but the contingent holds only "
                         f"{self.contingent}: a home beyond the contingent has no member to "
                         "go to; offer at most the contingent or raise it")
        if self.intake_count < 1:
            found.append("there are no intakes: nobody would be housed")
        if self.arrival_days < 1:
            found.append("the arrival period must last at least one day")
        if not 2000 <= self.year <= 2099:
            found.append("the contingent year must lie between 2000 and 2099")
        if self.horizon is not None and self.horizon <= self.first_day:
            found.append(f"the horizon {self.horizon} is not after the start {self.first_day}")
        shares = (self.decline_share, self.late_share, self.withdraw_share, self.signal_share,
                  self.return_share)
        if any(not 0 <= s <= 1 for s in shares) or self.decline_share + self.late_share > 0.9:
            found.append("shares must lie between 0 and 1, and declines plus late decisions "
                         "below 0.9 (else no home is ever let)")
        if self.method not in ("sainte_lague", "dhondt", "hamilton", "huntington_hill"):
            found.append(f"unknown apportionment method {self.method!r}")
        if not re.fullmatch(r"[A-Za-z0-9_.-]{0,20}", self.id_prefix):
            found.append("id_prefix may hold at most 20 letters, digits, '_', '.' or '-'")
        return found

    def check(self) -> None:
        problems = self.problems()
        if problems:
            raise ScenarioError("this scenario cannot be simulated: " + "; ".join(problems))


# ---- the plan (pure, seeded) --------------------------------------------------------------


def keyed_rng(seed: int, *key: object) -> random.Random:
    """An RNG for one decision, independent of the order things happen in."""
    return random.Random(":".join(str(k) for k in (seed, *key)))


@lru_cache(maxsize=16)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("NL", years=year).keys())


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a Dutch public holiday (matching's calendar)."""
    return day.weekday() < 5 and day not in _public_holidays(day.year)


def add_working_days(day: date, n: int) -> date:
    while n > 0:
        day += timedelta(days=1)
        n -= is_working_day(day)
    return day


def next_day_on_or_after(day: date, weekdays: Iterable[int]) -> date:
    wanted = set(weekdays)
    while day.weekday() not in wanted or not is_working_day(day):
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class Member:
    member_id: str
    name: str
    need: int
    base: str  # the municipality where it works most


@dataclass(frozen=True)
class Corporation:
    corporation_id: str
    name: str
    municipalities: tuple[str, ...]


@dataclass(frozen=True)
class Person:
    name: str
    date_of_birth: str
    bsn: str | None
    phone: str | None
    email: str | None
    client_number: str


@dataclass(frozen=True)
class PlannedIntake:
    index: int
    day: date
    member_id: str
    person: Person
    body: dict[str, Any]  # POST /intakes, personal data included
    withdraw_on: date | None  # withdrawn then, if still waiting for a proposal


@dataclass(frozen=True)
class PlannedHome:
    index: int
    day: date
    corporation_id: str
    body: dict[str, Any]  # POST /homes


@dataclass(frozen=True)
class Decision:
    """What the corporation does with one proposal."""

    outcome: str  # accept, decline, late
    working_days: int  # after the proposal
    reason: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Plan:
    scenario: Scenario
    members: tuple[Member, ...]
    corporations: tuple[Corporation, ...]
    intakes: tuple[PlannedIntake, ...]
    homes: tuple[PlannedHome, ...]
    free_texts: tuple[str, ...]  # texts naming a client that must stay inside the services

    @property
    def needs(self) -> dict[str, int]:
        return {m.member_id: m.need for m in self.members}

    def decision(self, home: int, round_: int) -> Decision:
        s = self.scenario
        rng = keyed_rng(s.seed, "decision", home, round_)
        draw = rng.random()
        if draw < s.late_share:
            return Decision("late", rng.choice((6, 7)))
        working_days = rng.choices((1, 2, 3, 4), weights=(18, 34, 30, 18))[0]
        if draw < s.late_share + s.decline_share:
            reason = rng.choices(list(DECLINE_REASONS), weights=list(DECLINE_REASONS.values()))[0]
            note = rng.choice(_DECLINE_NOTES) if reason == "other" else None
            return Decision("decline", working_days, reason, note)
        return Decision("accept", working_days)

    def tenancy(self, home: int, accepted_on: date) -> tuple[date, date]:
        """(signed on, tenancy start): signed 1–5 working days after acceptance, the keys
        1–4 weeks after acceptance."""
        rng = keyed_rng(self.scenario.seed, "tenancy", home)
        start = accepted_on + timedelta(days=rng.randint(7, 28))
        signed = min(add_working_days(accepted_on, rng.randint(1, 5)), start)
        while not is_working_day(signed):  # sign on a working day, before the keys
            signed -= timedelta(days=1)
        return max(signed, accepted_on + timedelta(days=1)), start


def _weighted(rng: random.Random, options: Mapping[str, float]) -> str:
    return rng.choices(list(options), weights=list(options.values()))[0]


def _needs(rng: random.Random, members: int, contingent: int) -> list[int]:
    """A skewed spread: a few large organisations, a long tail of small ones; together they
    declare about 1.4 times the contingent (need exceeds supply)."""
    raw = [rng.lognormvariate(0, 1.0) for _ in range(members)]
    scale = 1.4 * contingent / sum(raw)
    return [max(1, round(r * scale)) for r in raw]


def _members(s: Scenario, rng: random.Random) -> tuple[Member, ...]:
    names = [f"{kind} {name}" for name in _MEMBER_NAMES for kind in _MEMBER_KINDS]
    rng.shuffle(names)
    needs = _needs(rng, s.members, s.contingent)
    places = list(MUNICIPALITIES)
    weights = [MUNICIPALITIES[p][0] for p in places]
    return tuple(
        Member(f"{s.id_prefix}m{i + 1:02d}",
               names[i] if i < len(names) else f"Zorgorganisatie {i + 1}", needs[i],
               rng.choices(places, weights=weights)[0])
        for i in range(s.members)
    )


def _corporations(s: Scenario) -> tuple[Corporation, ...]:
    found = []
    for i in range(s.corporations):
        name, places = CORPORATIONS[i % len(CORPORATIONS)]
        if i >= len(CORPORATIONS):
            name = f"{name} {i // len(CORPORATIONS) + 1}"
        found.append(Corporation(f"{s.id_prefix}c{i + 1:02d}", name, places))
    return tuple(found)


def _arrival_days(s: Scenario, rng: random.Random, count: int) -> list[date]:
    days = [s.first_day + timedelta(days=d) for d in range(s.arrival_days)]
    working = [d for d in days if is_working_day(d)] or days
    return sorted(rng.choice(working) for _ in range(count))


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", plain.lower())


def _bsn(rng: random.Random, used: set[str]) -> str:
    """Nine digits passing the 11-check: 9·d1 + 8·d2 + … + 2·d8 − d9 ≡ 0 (mod 11)."""
    while True:
        digits = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        bsn = "".join(map(str, [*digits, last]))
        if last < 10 and bsn not in used:
            used.add(bsn)
            return bsn


def _person(rng: random.Random, s: Scenario, index: int, used: set[str]) -> Person:
    first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
    age = min(67, max(18, round(rng.gauss(38, 11))))
    born = s.first_day - timedelta(days=age * 365 + rng.randint(30, 330))
    return Person(
        name=f"{first} {last}",
        date_of_birth=born.isoformat(),
        bsn=_bsn(rng, used) if rng.random() < 0.85 else None,
        phone=f"06{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.8 else None,
        email=(f"{_ascii(first)}.{_ascii(last)}{index}@example.org"
               if rng.random() < 0.6 else None),
        client_number=f"{s.id_prefix}K{s.year}-{s.seed}-{index:05d}",
    )


def _household(rng: random.Random) -> tuple[int, list[int]]:
    kind = _weighted(rng, {"single": 78, "parent": 11, "couple": 5, "family": 4, "big": 2})
    adults = 2 if kind in ("couple", "family") else 1
    children = {"single": 0, "couple": 0, "parent": rng.randint(1, 2),
                "family": rng.randint(1, 2), "big": 3}[kind]
    return adults, [rng.randint(0, 16) for _ in range(children)]


def _intake_body(rng: random.Random, s: Scenario, member: Member, person: Person,
                 day: date) -> tuple[dict[str, Any], str]:
    adults, ages = _household(rng)
    size = adults + len(ages)
    income = rng.uniform(1_320, 1_520) if size == 1 else rng.uniform(1_750, 2_600)
    if rng.random() < 0.1:
        income += rng.uniform(300, 900)  # a job, a pension
    places = list(MUNICIPALITIES)
    preferred: list[str] = []
    if rng.random() < 0.45:
        preferred = [member.base] + ([rng.choice(places)] if rng.random() < 0.4 else [])
    preferred = list(dict.fromkeys(preferred))
    excluded = []
    if rng.random() < 0.12:
        choice = rng.choice([p for p in places if p not in preferred])
        excluded = [choice]
    risks = []
    for category, chance in (("debts", 0.45), ("addiction", 0.25), ("nuisance_history", 0.15),
                             ("psychiatric", 0.3), ("other", 0.05)):
        if rng.random() < chance:
            risks.append({"category": category,
                          "mitigation": rng.choice(_MITIGATIONS[category]),
                          "carried_by": member.name})
    accessibility = []
    if rng.random() < 0.08:
        accessibility = [_weighted(rng, {"ground_floor": 6, "lift": 2, "wheelchair": 1})]
    first_name = person.name.split()[0]
    notes = f"Intakegesprek met {first_name} ({person.name}) in de opvang; wil rust en een " \
            "eigen plek."
    hours = rng.randint(2, 8)
    client = {"name": person.name, "date_of_birth": person.date_of_birth,
              "client_number": person.client_number}
    client |= {k: v for k, v in (("bsn", person.bsn), ("phone", person.phone),
                                 ("email", person.email)) if v is not None}
    body = {
        "client": client,
        "household": {"adults": adults, "children": len(ages), "children_ages": ages},
        "monthly_income": f"{income:.2f}",
        "accessibility_needs": accessibility,
        "preferred_municipalities": preferred,
        "excluded_municipalities": excluded,
        "cluster_preference": _weighted(rng, {"no_preference": 65, "cluster": 15,
                                              "scattered": 20}),
        "perspective": "settle_long_term" if rng.random() < 0.9 else "temporary",
        "support_hours_per_week": hours,
        "support_provider": member.name,
        "risks": risks,
        "urgency": _weighted(rng, {"low": 10, "normal": 72, "high": 14, "urgent": 4}),
        "ready_from": (day + timedelta(days=rng.randint(0, 21))).isoformat(),
        "consent": True,
        "notes": notes,
    }
    return body, notes


def _home_body(rng: random.Random, s: Scenario, corp: Corporation, day: date) -> dict[str, Any]:
    place = rng.choices(corp.municipalities,
                        weights=[MUNICIPALITIES[p][0] for p in corp.municipalities])[0]
    bedrooms = rng.choices((0, 1, 2, 3, 4), weights=(12, 48, 28, 10, 2))[0]
    low, high = {0: (420, 560), 1: (480, 680), 2: (560, 682), 3: (600, 730),
                 4: (650, 730)}[bedrooms]
    contract: dict[str, Any] = {"type": "own_name"}
    kind = _weighted(rng, {"own_name": 70, "intermediary": 25, "temporary": 5})
    if kind == "intermediary":
        contract = {"type": "intermediary", "omklap_after_months": 12}
    elif kind == "temporary":
        contract = {"type": "temporary", "term_months": 24}
    accessibility = []
    if rng.random() < 0.3:
        accessibility = [_weighted(rng, {"ground_floor": 20, "lift": 10, "wheelchair": 3})]
    return {
        "municipality": place,
        "postcode4": str(rng.choice(MUNICIPALITIES[place][1])),
        "bedrooms": bedrooms,
        "rent": f"{rng.uniform(low, high):.2f}",
        "accessibility": accessibility,
        "near_support_point": rng.random() < 0.25,
        "contract": contract,
        "available_from": (day + timedelta(days=rng.randint(14, 42))).isoformat(),
        "contingent_year": s.year,
    }


def make_plan(scenario: Scenario) -> Plan:
    """The region, the people and the homes of a scenario (pure: same seed, same plan)."""
    scenario.check()
    s = scenario
    rng = random.Random(f"{s.seed}:region")
    members = _members(s, rng)
    corporations = _corporations(s)
    people_rng = random.Random(f"{s.seed}:{s.year}:{s.id_prefix}:people")  # new people each year
    used_bsns: set[str] = set()
    member_weights = [m.need for m in members]
    intakes, texts = [], []
    for index, day in enumerate(_arrival_days(s, random.Random(f"{s.seed}:intake-days"),
                                              s.intake_count)):
        irng = keyed_rng(s.seed, "intake", index)
        member = irng.choices(members, weights=member_weights)[0]
        person = _person(people_rng, s, index, used_bsns)
        body, notes = _intake_body(irng, s, member, person, day)
        withdraw_on = None
        if irng.random() < s.withdraw_share:
            withdraw_on = add_working_days(day, irng.randint(20, 80))
        intakes.append(PlannedIntake(index, day, member.member_id, person, body, withdraw_on))
        texts.append(notes)
    homes = []
    for index, day in enumerate(_arrival_days(s, random.Random(f"{s.seed}:home-days"),
                                              s.homes)):
        hrng = keyed_rng(s.seed, "home", index)
        corp = hrng.choice(corporations)
        homes.append(PlannedHome(index, day, corp.corporation_id,
                                 _home_body(hrng, s, corp, day)))
    return Plan(s, members, corporations, tuple(intakes), tuple(homes), tuple(texts))


def write_personal_data(plan: Plan, path: Path, extra_texts: Iterable[str] = ()) -> Path:
    """Everything personal the plan invented, for privacy tests to search for."""
    path.parent.mkdir(parents=True, exist_ok=True)
    people = [{**asdict(i.person), "member_id": i.member_id} for i in plan.intakes]
    path.write_text(json.dumps({
        "seed": plan.scenario.seed, "year": plan.scenario.year,
        "id_prefix": plan.scenario.id_prefix,
        "fields": ["name", "date_of_birth", "bsn", "phone", "email", "client_number"],
        "people": people,
        "free_texts": [*plan.free_texts, *extra_texts],
    }, indent=1, ensure_ascii=False))
    return path


# ---- the services: HTTP, business clock, quiescence, events -------------------------------


HTTP_CONNECTIONS = 40  # more than the busiest day's concurrent requests
IDEMPOTENT = frozenset({"GET", "PUT", "HEAD"})


class Api:
    """The four services over HTTP, with a token per (role, organisation).

    A request that never reached the service (no connection, or 503: not ready) is tried
    again, whatever its method; a GET or PUT (idempotent) also after a broken or timed-out
    answer or a 5xx. A POST whose answer was lost is not repeated — it may have been done —
    and raises for the caller to record.
    """

    def __init__(self, urls: Mapping[str, str], http: HttpClient) -> None:
        self.urls = dict(urls)
        self.http = http
        self._tokens: dict[tuple[str, str], dict[str, str]] = {}
        self._settings = ServiceSettings()

    def auth(self, role: str, org: str) -> dict[str, str]:
        key = (role, org)
        if key not in self._tokens:
            token = mint_token(self._settings, role=role, org=org, ttl=timedelta(hours=12))
            self._tokens[key] = {"Authorization": f"Bearer {token}"}
        return self._tokens[key]

    async def call(self, method: str, service: str, path: str, *, role: str = "coordinator",
                   org: str = "region", body: Any = None,
                   params: Mapping[str, str] | None = None, attempts: int = 4,
                   ) -> Reply:
        for attempt in range(1, attempts + 1):
            try:
                r = await self.http.request(method, self.urls[service] + path, json=body,
                                            headers=self.auth(role, org), params=params)
                retry = r.status_code == 503 or (r.status_code >= 500 and method in IDEMPOTENT)
                if not retry or attempt == attempts:
                    return r
            except NotSent:
                if attempt == attempts:
                    raise
            except TransportError:
                if method not in IDEMPOTENT or attempt == attempts:
                    raise
            await asyncio.sleep(0.2 * 2 ** attempt)
        raise AssertionError("unreachable")

    async def set_clock(self, now: datetime, services: Iterable[str] = SERVICES) -> None:
        async def one(service: str) -> None:
            r = await self.call("PUT", service, "/admin/clock", body={"now": now.isoformat()})
            if r.status_code == 409:
                raise SimulationError(
                    f"the {service} service runs on the system clock; start the services "
                    "with TRANSFERPUNT_CLOCK=manual (transferpunt.demo_year.SIM_ENV)")
            if r.status_code == 422:
                current = (await self.call("GET", service, "/admin/clock")).json()["now"]
                raise SimulationError(
                    f"the {service} service's business time is already {current}, after "
                    f"{now.isoformat()}; business time never moves backwards — simulate a "
                    "later year or restart the services")
            r.raise_for_status()

        await asyncio.gather(*(one(s) for s in services))

    async def clock_now(self, service: str) -> datetime:
        r = await self.call("GET", service, "/admin/clock")
        r.raise_for_status()
        return datetime.fromisoformat(r.json()["now"])

    async def caught_up(self, ends: Mapping[TopicPartition, int], within: float = 1.0
                        ) -> tuple[dict[str, dict[TopicPartition, int]], dict[str, int]]:
        """Every service's `POST /admin/backlog/wait`: each answers once it has caught up with
        `ends` and emptied its outbox, or after `within` seconds. Returns per consumer group
        the positions its service reports (per partition, the first record it has not
        finished), and per service the events in its outbox not yet on Kafka."""
        by_topic: dict[str, dict[str, int]] = {}
        for tp, end in ends.items():
            by_topic.setdefault(tp.topic, {})[str(tp.partition)] = end
        body = {"ends": by_topic, "within": within}

        async def one(service: str) -> dict[str, Any]:
            r = await self.call("POST", service, "/admin/backlog/wait", body=body)
            r.raise_for_status()
            return dict(r.json())

        backlogs = dict(zip(SERVICES, await asyncio.gather(*(one(s) for s in SERVICES)),
                            strict=True))
        positions: dict[str, dict[TopicPartition, int]] = {}
        for service, group in zip(SERVICES, CONSUMER_GROUPS, strict=True):
            reported = backlogs[service].get("positions") or {}
            positions[group] = {TopicPartition(topic, int(partition)): int(offset)
                                for topic, offsets in reported.items()
                                for partition, offset in offsets.items()}
        return positions, {s: int(b["outbox_pending"]) for s, b in backlogs.items()}

    async def metrics_text(self) -> dict[str, str]:
        async def one(service: str) -> str:
            try:
                return (await self.call("GET", service, "/metrics")).text
            except HttpError:
                return ""

        texts = await asyncio.gather(*(one(s) for s in SERVICES))
        return dict(zip(SERVICES, texts, strict=True))


@dataclass
class Tracked:
    """One event the simulator read from Kafka."""

    topic: str
    partition: int
    offset: int
    envelope: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.envelope.get("type"))

    @property
    def data(self) -> dict[str, Any]:
        return self.envelope.get("data") or {}

    @property
    def occurred_at(self) -> datetime:
        return datetime.fromisoformat(self.envelope["occurred_at"])


async def topic_partitions(admin: AIOKafkaAdminClient,
                           topics: Iterable[str]) -> list[TopicPartition]:
    """The partitions of the topics that exist (a topic not created yet has none)."""
    described = await admin.describe_topics(list(topics))
    return sorted(TopicPartition(t["topic"], p["partition"]) for t in described
                  if not t["error_code"] for p in t["partitions"])


def group_lag(assigned: Iterable[TopicPartition], ends: Mapping[TopicPartition, int],
              reported: Mapping[TopicPartition, int],
              committed: Mapping[TopicPartition, int]) -> int:
    """Records on a group's partitions up to `ends` that it has not finished: counted from
    the position its service reports, or else from its committed offset (a partition it has
    not read from since it started). Committed offsets trail what is finished by up to half
    a second (`shared.consumer.Progress`), so they decide only where nothing was reported."""
    lag = 0
    for tp in assigned:
        done = reported.get(tp, committed.get(tp, 0))
        lag += max(0, ends.get(tp, 0) - max(done, 0))
    return lag


async def behind(consumer: AIOKafkaConsumer, ends: Mapping[TopicPartition, int]) -> bool:
    """Whether the consumer has yet to read a record before `ends` on some partition."""
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return True
    return False


class Kafka:
    """Reads every event topic from where the run began, and measures consumer lag from the
    positions the services report (`group_lag`)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        # Paused between reads (`read_until`), so it fetches only while it reads. A fetch
        # returns the moment a record arrives; the wait bounds how long a partition whose
        # records it has not taken yet can be left out of a fetch in flight.
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                         enable_auto_commit=False, fetch_max_wait_ms=100)
        # End offsets through a second client: a broker answers one connection's requests
        # in order, and the reader may still have a fetch in flight, waiting for records.
        self.offsets = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
        self.admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
        self.partitions: list[TopicPartition] = []
        self.assigned: dict[str, list[TopicPartition]] = {}
        self.start_offsets: dict[TopicPartition, int] = {}
        self._coordinators: dict[str, int] = {}

    async def start(self, wait_for_groups: float = 120.0) -> None:
        await self.consumer.start()
        await self.offsets.start()
        await self.admin.start()
        self.partitions = await topic_partitions(self.admin, ALL_EVENT_TOPICS)
        if not self.partitions:
            raise SimulationError("no event topics on Kafka: are the services running?")
        self.consumer.assign(self.partitions)
        self.consumer.pause(*self.partitions)
        self.start_offsets = await self.consumer.end_offsets(self.partitions)
        for tp, offset in self.start_offsets.items():
            self.consumer.seek(tp, offset)
        await self._resolve_groups(wait_for_groups)

    async def stop(self) -> None:
        for client in (self.consumer, self.offsets):
            with contextlib.suppress(Exception):
                await client.stop()
        with contextlib.suppress(Exception):
            await self.admin.close()

    async def _resolve_groups(self, wait: float) -> None:
        """Which partitions each service's consumer group is assigned (from the broker)."""
        deadline = walltime.monotonic() + wait
        while True:
            missing = []
            for group in CONSUMER_GROUPS:
                self._coordinators[group] = await self.admin.find_coordinator(group)
                [response] = await self.admin.describe_consumer_groups(
                    [group], group_coordinator_id=self._coordinators[group])
                assigned: list[TopicPartition] = []
                for described in response.groups:
                    for member in described[5]:
                        if member[4]:
                            decoded = ConsumerProtocolMemberAssignment.decode(member[4])
                            assigned += decoded.partitions()
                self.assigned[group] = sorted(set(assigned))
                if not assigned:
                    missing.append(group)
            if not missing:
                return
            if walltime.monotonic() > deadline:
                raise SimulationError(
                    "these consumer groups have no member with partitions assigned: "
                    f"{', '.join(missing)} — is every service running and connected to "
                    f"Kafka at {self.bootstrap}?")
            await asyncio.sleep(0.5)

    async def end_offsets(self) -> dict[TopicPartition, int]:
        return dict(await self.offsets.end_offsets(self.partitions))

    async def lag(self, ends: Mapping[TopicPartition, int],
                  reported: Mapping[str, Mapping[TopicPartition, int]]) -> dict[str, int]:
        """Per consumer group: records on its partitions up to `ends` it has not finished
        (`group_lag`). Asks the broker for a group's committed offsets only when the group's
        service reports no position for a partition with records."""
        found: dict[str, int] = {}
        for group in CONSUMER_GROUPS:
            positions = reported.get(group, {})
            committed: dict[TopicPartition, int] = {}
            if any(tp not in positions and ends.get(tp, 0) > 0 for tp in self.assigned[group]):
                offsets = await self.admin.list_consumer_group_offsets(
                    group, group_coordinator_id=self._coordinators[group])
                committed = {tp: meta.offset for tp, meta in offsets.items()}
            found[group] = group_lag(self.assigned[group], ends, positions, committed)
        return found

    async def read_until(self, ends: Mapping[TopicPartition, int]) -> list[Tracked]:
        """Every event up to `ends`, in offset order per partition.

        The reader fetches only in here: between reads its partitions are paused. Left
        fetching, it sent a fetch every 50 ms all day (~1,700 in a year, a tenth of the
        broker's requests), and records it fetched early in a day kept their partition out
        of its next fetch until that one came back (docs/benchmark.md, round sixteen)."""
        found: list[Tracked] = []
        self.consumer.resume(*self.partitions)
        try:
            await self._read(ends, found)
        finally:
            # Before any await: the fetcher sends its next fetch on its next turn.
            self.consumer.pause(*self.partitions)
        return found

    async def _read(self, ends: Mapping[TopicPartition, int], found: list[Tracked]) -> None:
        while await behind(self.consumer, ends):
            batch = await self.consumer.getmany(timeout_ms=200)
            for tp, records in batch.items():
                for rec in records:
                    try:
                        envelope = json.loads(rec.value)
                    except (ValueError, TypeError):
                        continue
                    if isinstance(envelope, dict) and "type" in envelope:
                        found.append(Tracked(tp.topic, tp.partition, rec.offset, envelope))



@dataclass
class Quiet:
    """How long the services took to settle, over the run."""

    waits: int = 0
    seconds: float = 0.0
    checks: int = 0
    longest: float = 0.0


async def settle(api: Api, kafka: Kafka, stats: Quiet, *, within: float = 120.0,
                 poll: float = 0.004) -> dict[TopicPartition, int]:
    """Wait until nothing is in flight; returns the end offsets at that moment.

    The end offsets first; then from every service, once it has caught up with them and
    emptied its outbox (or after a second), its consumer's positions and after them its
    outbox (`POST /admin/backlog/wait`: a request per service and round, not one every few
    milliseconds); then the end offsets again, unchanged. An event on Kafka before the
    first end offsets counts as lag until every group that reads it has finished it; one
    relayed after them changes the second. A consumer that finished a record before its
    service read its position committed the record's events to the outbox before that, so
    they are counted there or have been relayed. When only the second end offsets failed a
    round, the next round starts from them (read a moment ago) instead of asking again. Slow
    is fine as long as something moves; `within` seconds without any progress is an error.
    """
    began = last_move = walltime.monotonic()
    seen: tuple[object, ...] = ()
    ends: dict[TopicPartition, int] | None = None
    while True:
        stats.checks += 1
        round_began = walltime.monotonic()
        if ends is None:
            ends = await kafka.end_offsets()
        positions, pending = await api.caught_up(ends)
        lag = await kafka.lag(ends, positions)
        again = None
        if not any(lag.values()) and not any(pending.values()):
            again = await kafka.end_offsets()
            if again == ends:
                took = walltime.monotonic() - began
                stats.waits += 1
                stats.seconds += took
                stats.longest = max(stats.longest, took)
                return again
        now = walltime.monotonic()
        state = (tuple(sorted(ends.items())), tuple(sorted(lag.items())))
        if state != seen:
            seen, last_move = state, now
        elif now - last_move > within:
            raise SimulationError(
                f"the services made no progress for {within:.0f}s: outbox pending "
                f"{pending}, consumer lag {lag} — see `transferpunt logs`")
        # The end offsets that ended a round moved by events relayed meanwhile: read just
        # now, they are where the next round starts (a request to the broker fewer per round).
        ends = again
        if now - round_began < poll:  # the services did not wait: do not spin
            await asyncio.sleep(poll if now - began < 1 else min(0.05, poll * 10))
            ends = None  # read after the rest


# ---- the run ------------------------------------------------------------------------------


PHASES = ("intake", "withdraw", "home", "decide", "tenancy", "signal", "acknowledge",
          "checkin", "complete")
ALLOCATING = {"intake", "withdraw", "home"}
# A day's phases in two lanes that run side by side, each lane one phase after the other:
# what moves people and homes (intake, matching, the contingent) and what aftercare records.
# Nothing in the second waits for the first on the same day — a tenancy's trajectory opens
# through Kafka, and its check-ins are planned from the events read at the day's end — just
# as caseworkers and supporters do not wait for each other. An ordered run keeps one lane.
LANES = (("intake", "withdraw", "home", "decide", "tenancy"),
         ("signal", "acknowledge", "checkin", "complete"))


def day_lanes(actions: Iterable[Action], *, ordered: bool) -> list[list[list[Action]]]:
    """The day's actions by lane, each lane a list of its phases' actions in phase order
    (empty phases and lanes left out)."""
    by_phase: defaultdict[str, list[Action]] = defaultdict(list)
    for action in sorted(actions):
        by_phase[PHASES[action.phase]].append(action)
    lanes = (PHASES,) if ordered else LANES
    return [phases for phases in ([by_phase[p] for p in lane if by_phase[p]] for lane in lanes)
            if phases]


@dataclass(order=True)
class Action:
    phase: int
    seq: int
    kind: str = field(compare=False)
    args: dict[str, Any] = field(compare=False, default_factory=dict)


@dataclass
class Observed:
    """Business-time durations (seconds) the simulator saw in the events of its run."""

    intake_to_first_proposal: list[float] = field(default_factory=list)
    proposal_to_decision: list[float] = field(default_factory=list)
    intake_to_tenancy_start: list[float] = field(default_factory=list)
    tenancy_to_aftercare_end: list[float] = field(default_factory=list)


@dataclass
class SimulationResult:
    scenario: Scenario
    plan: Plan
    started: datetime
    ended: date | None = None
    wall_seconds: float = 0.0
    steps: int = 0
    business_days: int = 0
    actions: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    decline_reasons: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    returns: Counter[str] = field(default_factory=Counter)
    observed: Observed = field(default_factory=Observed)
    max_deviation: dict[str, float] = field(default_factory=dict)
    contingent: dict[str, Any] = field(default_factory=dict)  # GET /contingents/{year} at the end
    returns_report: dict[str, Any] = field(default_factory=dict)  # GET /returns at the end
    metrics_before: dict[str, str] = field(default_factory=dict)
    metrics_after: dict[str, str] = field(default_factory=dict)
    kafka_start: dict[str, int] = field(default_factory=dict)  # "topic:partition" -> offset
    kafka_end: dict[str, int] = field(default_factory=dict)
    quiet: Quiet = field(default_factory=Quiet)
    timings: defaultdict[str, float] = field(  # wall seconds per part of a step
        default_factory=lambda: defaultdict(float))
    errors: list[str] = field(default_factory=list)
    personal_data_file: Path | None = None
    urls: dict[str, str] = field(default_factory=dict)


def _offsets(offsets: Mapping[TopicPartition, int]) -> dict[str, int]:
    return {f"{tp.topic}:{tp.partition}": o for tp, o in sorted(offsets.items())}


def _duration(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=AMSTERDAM)


class Simulation:
    """Plays a plan against the running services (see the module docstring)."""

    def __init__(self, plan: Plan, urls: Mapping[str, str], bootstrap: str, *,
                 out_dir: Path | None = None, show_progress: bool = False,
                 say: Progress | None = None, max_errors: int = 50) -> None:
        self.plan = plan
        self.s = plan.scenario
        self.urls = dict(urls)
        self.bootstrap = bootstrap
        self.out_dir = out_dir
        self.show_progress = show_progress
        self.say = say or (lambda _: None)
        self.max_errors = max_errors
        self.result = SimulationResult(self.s, plan, datetime.now(UTC), urls=dict(urls))
        self.schedule: dict[date, list[Action]] = defaultdict(list)
        self._seq = 0
        self.today = self.s.first_day
        # What the simulator knows about the services' state, from HTTP answers and events.
        self.home_index: dict[str, int] = {}  # home_id -> plan index
        self.home_corp: dict[str, str] = {}
        self.case_intake: dict[str, int] = {}  # case_id -> plan index (or re-intake index)
        self.proposals_per_home: Counter[str] = Counter()
        self.open_proposals: dict[str, datetime] = {}  # match_id -> deadline
        # proposals matching cancelled (the candidate withdrew, the home was withdrawn): the
        # corporation sees that and decides nothing; its planned decision is dropped
        self.cancelled_matches: set[str] = set()
        self.proposed_cases: set[str] = set()
        self.submitted_cases: set[str] = set()
        self.case_home: dict[str, str] = {}
        self.home_member: dict[str, str] = {}
        self.people: dict[int, PlannedIntake] = {i.index: i for i in plan.intakes}
        self.extra_texts: list[str] = []
        self._reintakes = 0
        self._deviation_dirty = False
        self._log_order: list[tuple[int, ...]] = []

    # -- scheduling ------------------------------------------------------------------------

    def at(self, day: date, what: str, /, **args: Any) -> None:
        self._seq += 1
        self.schedule[day].append(Action(PHASES.index(what), self._seq, what, args))

    def log(self, what: str, /, order: tuple[int, ...] | None = None, **fields: Any) -> None:
        """One line of the action log (no personal data). Lines of a day are sorted by the
        action that wrote them, however the concurrent requests came back."""
        day = (self.today - self.s.first_day).days
        self._log_order.append((day, *(order or _ORDER.get())))
        self.result.actions.append({"day": day, "kind": what, **fields})

    @contextlib.contextmanager
    def _timed(self, part: str) -> Iterator[None]:
        began = walltime.monotonic()
        try:
            yield
        finally:
            self.result.timings[part] += walltime.monotonic() - began

    async def _settle(self) -> None:
        with self._timed("settle"):
            ends = await settle(self.api, self.kafka, self.result.quiet)
        with self._timed("read events"):
            await self._after_day(ends)

    def _sorted_log(self) -> list[dict[str, Any]]:
        keyed = sorted(zip(self._log_order, range(len(self._log_order)), strict=True))
        return [self.result.actions[i] for _, i in keyed]

    def _unprefixed(self, org: str | None) -> str | None:
        p = self.s.id_prefix
        return org[len(p):] if org and p and org.startswith(p) else org

    def fail(self, what: str, response: Reply) -> None:
        try:
            detail = json.dumps(response.json().get("detail"))[:300]
        except ValueError:
            detail = response.text[:300]
        self.result.errors.append(f"{self.today} {what}: HTTP {response.status_code} {detail}")
        self.result.counts[f"error:{what}"] += 1
        if len(self.result.errors) >= self.max_errors:
            raise SimulationError(
                f"{len(self.result.errors)} requests failed; the first: "
                + "; ".join(self.result.errors[:3]))

    # -- the loop --------------------------------------------------------------------------

    async def run(self) -> SimulationResult:
        began = walltime.monotonic()
        self._plan_arrivals()
        if self.out_dir is not None:
            self.result.personal_data_file = write_personal_data(
                self.plan, self.out_dir / "sim-personal-data.json")
        async with HttpClient(timeout=60, max_connections=HTTP_CONNECTIONS) as http:
            self.api = Api(self.urls, http)
            self.kafka = Kafka(self.bootstrap)
            await self.kafka.start()
            try:
                await self._setup_region()
                # The window of the run: what the services published from here on, and the
                # metrics they had observed until here (nothing is in flight in between).
                self.result.kafka_start = _offsets(await self.kafka.end_offsets())
                self.result.metrics_before = await self.api.metrics_text()
                await self._days()
                self.result.metrics_after = await self.api.metrics_text()
                await self._final_views()
            finally:
                if self.out_dir is not None:
                    write_personal_data(self.plan, self.out_dir / "sim-personal-data.json",
                                        self.extra_texts)
                await self.kafka.stop()
        self.result.wall_seconds = walltime.monotonic() - began
        self.result.actions = self._sorted_log()
        if self.out_dir is not None:
            with (self.out_dir / "sim-actions.jsonl").open("w") as out:
                for row in self.result.actions:
                    out.write(json.dumps(row, default=str) + "\n")
        return self.result

    def _plan_arrivals(self) -> None:
        for intake in self.plan.intakes:
            self.at(intake.day, "intake", index=intake.index)
        for home in self.plan.homes:
            self.at(home.day, "home", index=home.index)

    async def _setup_region(self) -> None:
        api, s = self.api, self.s
        await api.set_clock(datetime.combine(s.first_day, DAY_STARTS_AT))
        for member in self.plan.members:
            r = await api.call("POST", "contingent", "/members",
                               body={"member_id": member.member_id, "name": member.name})
            if r.status_code not in (201, 409):
                raise SimulationError(f"registering member {member.member_id} failed: "
                                      f"HTTP {r.status_code} {r.text[:300]}")
        r = await api.call("PUT", "contingent", f"/contingents/{s.year}", body={
            "total_homes": s.contingent, "method": s.method, "min_per_member": 0,
            "cap_at_need": True,
            "members": [{"member_id": m.member_id, "need": m.need} for m in self.plan.members]})
        if r.status_code != 200:
            raise SimulationError(f"setting the {s.year} contingent failed: HTTP "
                                  f"{r.status_code} {r.text[:300]} (a year already in use? "
                                  "simulate another year)")
        self.result.contingent = r.json()
        await self._settle()

    def _next_day(self) -> date | None:
        pending = [d for d, actions in self.schedule.items() if actions and d > self.today]
        if self.open_proposals:  # visit each deadline so an expiry happens on its day
            pending += [self._deadline_day(d) for d in self.open_proposals.values()]
        pending = [d for d in pending if d > self.today]
        if not pending:
            return None
        upcoming = min(pending)
        if self.s.every_day:
            upcoming = self.today + timedelta(days=1)
        if self.s.horizon is not None and upcoming > self.s.horizon:
            return None
        return upcoming

    @staticmethod
    def _deadline_day(deadline: datetime) -> date:
        day = deadline.astimezone(UTC).date()
        return day if datetime.combine(day, DAY_STARTS_AT) >= deadline else \
            day + timedelta(days=1)

    async def _days(self) -> None:
        progress = _ProgressBar(self) if self.show_progress else None
        try:
            if self.schedule.get(self.today):
                await self._step(self.today, move_clock=False)
                if progress:
                    progress.update()
            while (day := self._next_day()) is not None:
                await self._step(day)
                if progress:
                    progress.update()
        finally:
            if progress:
                progress.close()
        self.result.ended = self.today
        self.result.business_days = (self.today - self.s.first_day).days + 1

    async def _step(self, day: date, *, move_clock: bool = True) -> None:
        self.today = day
        self.result.steps += 1
        if move_clock:
            with self._timed("clock"):
                await self.api.set_clock(datetime.combine(day, DAY_STARTS_AT))
        await self._await_expiries()
        lanes = day_lanes(self.schedule.pop(day, []), ordered=self.s.ordered)
        with self._timed("actions"):  # an ordered run's settling between actions included
            await asyncio.gather(*(self._lane(phases) for phases in lanes))
        await self._settle()
        if self._deviation_dirty:
            with self._timed("deviation"):
                await self._track_deviation()

    async def _lane(self, phases: list[list[Action]]) -> None:
        for todo in phases:
            phase = PHASES[todo[0].phase]
            if self.s.ordered and phase in ALLOCATING | {"decide"}:
                for action in todo:  # each one settled before the next: the same order always
                    await self._perform(action)
                    await self._settle()
            else:
                with self._timed(f"phase {phase}"):
                    await asyncio.gather(*(self._perform(a) for a in todo))

    async def _await_expiries(self, within: float = 30.0) -> None:
        """Proposals past their deadline expire by matching's periodic job; wait for it so
        the expiry carries today's business time."""
        now = datetime.combine(self.today, DAY_STARTS_AT)
        began = walltime.monotonic()
        while any(deadline <= now for deadline in self.open_proposals.values()):
            await self._settle()
            if not any(deadline <= now for deadline in self.open_proposals.values()):
                return
            if walltime.monotonic() - began > within:
                self.result.errors.append(
                    f"{self.today} matching did not expire proposals past their deadline "
                    f"within {within:.0f}s (run it with TRANSFERPUNT_MATCHING_JOB_SECONDS=0.1)")
                for match_id, deadline in list(self.open_proposals.items()):
                    if deadline <= now:
                        del self.open_proposals[match_id]
                return
            await asyncio.sleep(0.02)

    # -- actions ---------------------------------------------------------------------------

    async def _perform(self, action: Action) -> None:
        handler: Callable[..., Awaitable[None]] = getattr(self, f"_do_{action.kind}")
        _ORDER.set((action.phase, action.seq))
        began = walltime.monotonic()
        try:
            await handler(**action.args)
        except TransportError as exc:  # the answer was lost: recorded, the year goes on
            self.result.errors.append(f"{self.today} {action.kind}: {type(exc).__name__} "
                                      "(no answer; not repeated)")
            self.result.counts[f"error:{action.kind}"] += 1
            if len(self.result.errors) >= self.max_errors:
                raise SimulationError(f"{len(self.result.errors)} requests failed; the first: "
                                      + "; ".join(self.result.errors[:3])) from exc
        self.result.timings[f"request {action.kind}"] += walltime.monotonic() - began
        self.result.counts[f"request {action.kind}"] += 1

    async def _do_intake(self, index: int, again: bool = False) -> None:
        planned = self.people[index]
        if self.s.ordered:  # distinct submission moments: a deterministic waiting order
            moment = datetime.combine(self.today, DAY_STARTS_AT) + timedelta(
                seconds=1 + index % 3600)
            await self.api.set_clock(moment, ("intake",))
        body = dict(planned.body)
        body["ready_from"] = max(date.fromisoformat(body["ready_from"]),
                                 self.today).isoformat()
        r = await self.api.call("POST", "intake", "/intakes", role="caseworker",
                                org=planned.member_id, body=body)
        self.log("intake", ref=f"i{index}", member=self._unprefixed(planned.member_id),
                 again=again, status=r.status_code)
        if r.status_code != 201:
            self.fail("intake", r)
            return
        case_id = r.json()["case_id"]
        self.case_intake[case_id] = index
        self.result.counts["intakes"] += 1
        if again:
            self.result.counts["re-intakes"] += 1
        if planned.withdraw_on is not None and not again:
            self.at(max(planned.withdraw_on, self.today + timedelta(days=1)), "withdraw",
                    case_id=case_id, index=index)

    async def _do_withdraw(self, case_id: str, index: int) -> None:
        if case_id in self.proposed_cases:
            return  # a proposal came first: the client stays
        member = self.people[index].member_id
        reason = keyed_rng(self.s.seed, "withdraw", index).choice(
            ("housed_elsewhere", "client_request", "lost_contact"))
        r = await self.api.call("POST", "intake", f"/intakes/{case_id}/withdraw",
                                role="caseworker", org=member, body={"reason": reason})
        self.log("withdraw", ref=f"i{index}", reason=reason, status=r.status_code)
        if r.status_code == 200:
            self.result.counts["withdrawals"] += 1
        elif r.status_code != 409:
            self.fail("withdraw", r)

    async def _do_home(self, index: int) -> None:
        home = self.plan.homes[index]
        r = await self.api.call("POST", "matching", "/homes", role="corporation",
                                org=home.corporation_id, body=home.body)
        self.log("home", ref=f"h{index}", corporation=self._unprefixed(home.corporation_id),
                 municipality=home.body["municipality"], status=r.status_code)
        if r.status_code != 201:
            self.fail("home", r)
            return
        home_id = r.json()["home_id"]
        self.home_index[home_id] = index
        self.home_corp[home_id] = home.corporation_id
        self.result.counts["homes"] += 1

    async def _do_decide(self, match_id: str, home_id: str, round: int,
                         decision: Decision, member: str) -> None:
        corp = self.home_corp[home_id]
        index = self.home_index[home_id]
        ref: dict[str, Any] = {"ref": f"h{index}", "round": round,
                               "member": self._unprefixed(member)}
        if match_id in self.cancelled_matches:
            self.log("decision dropped", **ref, reason="proposal cancelled")
            return
        if decision.outcome == "decline":
            body = {"reason": decision.reason} | ({"note": decision.note} if decision.note else {})
            r = await self.api.call("POST", "matching", f"/matches/{match_id}/decline",
                                    role="corporation", org=corp, body=body)
            self.log("decline", **ref, reason=decision.reason, status=r.status_code)
        else:
            r = await self.api.call("POST", "matching", f"/matches/{match_id}/accept",
                                    role="corporation", org=corp)
            self.log("accept" if decision.outcome == "accept" else "late-accept", **ref,
                     status=r.status_code)
        if decision.outcome == "late":
            self.result.counts["late decisions refused"] += r.status_code == 409
            return
        if r.status_code != 200:
            self.fail(decision.outcome, r)
            return
        if decision.outcome == "accept":
            signed, start = self.plan.tenancy(index, self.today)
            self.at(signed, "tenancy", match_id=match_id, home_id=home_id, start=start)

    async def _do_tenancy(self, match_id: str, home_id: str, start: date) -> None:
        index = self.home_index[home_id]
        body = {"signed_on": self.today.isoformat(), "start_date": start.isoformat()}
        r = await self.api.call("POST", "matching", f"/matches/{match_id}/tenancy",
                                role="corporation", org=self.home_corp[home_id], body=body)
        self.log("tenancy", ref=f"h{index}", start=(start - self.s.first_day).days,
                 status=r.status_code)
        if r.status_code != 200:
            self.fail("tenancy", r)

    async def _do_signal(self, home_id: str, member: str, kind: str, months: int | None,
                         acknowledge_on: date | None) -> None:
        index = self.home_index[home_id]
        body: dict[str, Any] = {"kind": kind, "home_id": home_id,
                                "description": "melding van de corporatie"}
        if months:
            body["months_owed"] = months
        r = await self.api.call("POST", "aftercare", "/signals", role="corporation",
                                org=self.home_corp[home_id], body=body)
        self.log("signal", ref=f"h{index}", signal=kind, status=r.status_code)
        if r.status_code == 409:
            return  # the trajectory closed meanwhile
        if r.status_code != 201:
            self.fail("signal", r)
            return
        self.result.counts["signals"] += 1
        if acknowledge_on is not None:
            self.at(acknowledge_on, "acknowledge", signal_id=r.json()["signal_id"],
                    member=member, index=index)

    async def _do_acknowledge(self, signal_id: str, member: str, index: int) -> None:
        r = await self.api.call("POST", "aftercare", f"/signals/{signal_id}/acknowledge",
                                role="supporter", org=member)
        self.log("acknowledge", ref=f"h{index}", status=r.status_code)
        if r.status_code not in (200, 409):
            self.fail("acknowledge", r)

    async def _do_checkin(self, trajectory_id: str, member: str, index: int, held_on: date,
                          body: dict[str, Any]) -> None:
        r = await self.api.call("POST", "aftercare", f"/trajectories/{trajectory_id}/checkins",
                                role="supporter", org=member,
                                body={**body, "held_on": held_on.isoformat()})
        self.log("checkin", ref=f"h{index}", held=(held_on - self.s.first_day).days,
                 status=r.status_code)
        if r.status_code == 201:
            self.result.counts["check-ins"] += 1
        elif r.status_code != 409:
            self.fail("checkin", r)

    async def _do_complete(self, trajectory_id: str, member: str, index: int,
                           outcome: str) -> None:
        r = await self.api.call("POST", "aftercare", f"/trajectories/{trajectory_id}/complete",
                                role="supporter", org=member, body={"outcome": outcome})
        self.log("complete", ref=f"h{index}", outcome=outcome, status=r.status_code)
        if r.status_code != 200:
            self.fail("complete", r)

    # -- reading the day's events ----------------------------------------------------------

    async def _after_day(self, ends: Mapping[TopicPartition, int]) -> None:
        events = await self.kafka.read_until(ends)
        self.result.kafka_end = _offsets(ends)
        opened = []
        for event in events:
            self._count(event)
            if event.type == "TrajectoryOpened":  # after the batch: its tenancy may come later
                opened.append(event)
                continue
            handler = getattr(self, f"_on_{event.type}", None)
            if handler is not None:
                handler(event)
        mine = [(str(e.data["trajectory_id"]), str(e.data["member_id"])) for e in opened
                if str(e.envelope["case_id"]) in self.case_home]
        if mine:
            with self._timed("plan aftercare"):
                await asyncio.gather(*(self._plan_aftercare(*o) for o in mine))

    def _count(self, event: Tracked) -> None:
        if event.type in ("AllocationDecided", "MatchDeclined", "MatchExpired",
                          "MatchCancelled", "TenancyStarted"):
            self._deviation_dirty = True

    def _on_IntakeSubmitted(self, event: Tracked) -> None:
        self.submitted_cases.add(str(event.envelope["case_id"]))

    def _on_MatchProposed(self, event: Tracked) -> None:
        d = event.data
        home_id, match_id = str(d["home_id"]), str(d["match_id"])
        case_id = str(event.envelope["case_id"])
        deadline = datetime.fromisoformat(d["deadline"])
        submitted = datetime.fromisoformat(d["intake_submitted_at"])
        # Our own cases count from the POST's answer: a day's events are read across topics,
        # so a proposal can come before its IntakeSubmitted in one read (then it was missed).
        first = case_id not in self.proposed_cases and (
            case_id in self.submitted_cases or case_id in self.case_intake)
        self.proposed_cases.add(case_id)
        if home_id not in self.home_index:
            return  # somebody else's home
        self.result.counts["proposals"] += 1
        if first:
            self.result.observed.intake_to_first_proposal.append(
                _duration(event.occurred_at, submitted))
        self.open_proposals[match_id] = deadline
        self.proposals_per_home[home_id] += 1
        round_ = self.proposals_per_home[home_id]
        self.log("proposed", (len(PHASES), self.home_index[home_id], round_),
                 ref=f"h{self.home_index[home_id]}", round=round_,
                 member=self._unprefixed(str(d["member_id"])))
        decision = self.plan.decision(self.home_index[home_id], round_)
        day = add_working_days(self.today, decision.working_days)
        if decision.outcome != "late" and datetime.combine(day, DAY_STARTS_AT) >= deadline:
            decision = Decision("late", decision.working_days)  # a short week: too late
        if decision.outcome == "late":
            day = max(day, add_working_days(self._deadline_day(deadline), 1))
        self.at(day, "decide", match_id=match_id, home_id=home_id, round=round_,
                decision=decision, member=str(d["member_id"]))

    def _ended(self, event: Tracked, outcome: str) -> None:
        d = event.data
        self.open_proposals.pop(str(d["match_id"]), None)
        if str(d["home_id"]) not in self.home_index:
            return
        if outcome != "cancelled":
            self.result.observed.proposal_to_decision.append(
                _duration(event.occurred_at, datetime.fromisoformat(d["proposed_at"])))
        self.result.counts[outcome] += 1

    def _on_MatchAccepted(self, event: Tracked) -> None:
        self._ended(event, "accepted")

    def _on_MatchDeclined(self, event: Tracked) -> None:
        self._ended(event, "declined")
        if str(event.data["home_id"]) in self.home_index:
            self.result.decline_reasons[str(event.data["reason"])] += 1

    def _on_MatchExpired(self, event: Tracked) -> None:
        self._ended(event, "expired")

    def _on_MatchCancelled(self, event: Tracked) -> None:
        self.cancelled_matches.add(str(event.data["match_id"]))
        self._ended(event, "cancelled")

    def _on_TenancyStarted(self, event: Tracked) -> None:
        d = event.data
        home_id, case_id = str(d["home_id"]), str(event.envelope["case_id"])
        if home_id not in self.home_index:
            return
        self.case_home[case_id] = home_id
        self.home_member[home_id] = str(d["member_id"])
        self.result.counts["tenancies"] += 1
        start = _midnight(date.fromisoformat(d["start_date"]))
        self.result.observed.intake_to_tenancy_start.append(
            max(0.0, _duration(start, datetime.fromisoformat(d["intake_submitted_at"]))))

    def _on_AftercareCompleted(self, event: Tracked) -> None:
        d = event.data
        case_id = str(event.envelope["case_id"])
        if case_id not in self.case_home:
            return
        outcome = str(d["outcome"])
        self.result.outcomes[outcome] += 1
        days = d.get("duration_days")
        if days is None:
            days = (date.fromisoformat(d["completed_on"])
                    - date.fromisoformat(d["tenancy_start"])).days
        self.result.observed.tenancy_to_aftercare_end.append(float(days) * 86_400)
        if outcome == "returned_to_shelter":
            self._maybe_return(case_id)

    def _on_ReturnToHomelessness(self, event: Tracked) -> None:
        days = int(event.data.get("days_after_tenancy", 0))
        self.result.returns["within 12 months"] += days <= 365
        self.result.returns["within 24 months"] += days <= 730

    def _maybe_return(self, case_id: str) -> None:
        """Some clients back in the shelter get a new intake: a return to homelessness."""
        index = self.case_intake.get(case_id)
        if index is None or index >= len(self.plan.intakes):
            return
        rng = keyed_rng(self.s.seed, "return", index)
        day = add_working_days(self.today, rng.randint(10, 40))
        if rng.random() >= self.s.return_share or day >= self.s.arrivals_end:
            return
        self._reintakes += 1
        again = len(self.plan.intakes) + self._reintakes
        original = self.people[index]
        ready = (day + timedelta(days=rng.randint(0, 14))).isoformat()
        self.people[again] = PlannedIntake(again, day, original.member_id, original.person,
                                           {**original.body, "ready_from": ready}, None)
        self.at(day, "intake", index=again, again=True)

    async def _plan_aftercare(self, trajectory_id: str, member: str) -> None:
        """A trajectory opened: schedule its check-ins, maybe a signal, and its closing."""
        try:
            r = await self.api.call("GET", "aftercare", f"/trajectories/{trajectory_id}",
                                    role="supporter", org=member)
        except TransportError as exc:
            self.result.errors.append(f"{self.today} trajectory {type(exc).__name__}")
            return
        if r.status_code != 200:
            self.fail("trajectory", r)
            return
        t = r.json()
        home_id = str(t["home_id"])
        index = self.home_index[home_id]
        rng = keyed_rng(self.s.seed, "aftercare", index)
        start, ends = date.fromisoformat(t["tenancy_start"]), date.fromisoformat(t["ends_on"])
        outcome = _weighted(rng, OUTCOMES)
        closing = ends
        if outcome != "stable" and rng.random() < 0.65 and (ends - start).days > 90:
            closing = start + timedelta(days=rng.randint(60, (ends - start).days - 14))
        close_on = next_day_on_or_after(closing, SUPPORT_DAYS)
        self.at(close_on, "complete", trajectory_id=trajectory_id, member=member, index=index,
                outcome=outcome)
        first = self.people.get(self.case_intake.get(str(t["case_id"]), -1))
        name = first.person.name.split()[0] if first else "de huurder"
        for due in t.get("schedule", []):
            due_on = date.fromisoformat(due["due_on"])
            when = rng.random()
            if when < 0.06:
                continue  # missed: the sweep raises an overdue alert
            shift = rng.randint(16, 25) if when < 0.12 else rng.randint(-5, 6)
            held = max(start, due_on + timedelta(days=shift))
            if held >= closing:
                continue
            body = {"status": _weighted(rng, {"stable": 72, "attention": 22, "crisis": 6}),
                    "scores": {d: rng.randint(2, 5) for d in rng.sample(
                        ("rent_and_money", "debts", "daily_living", "health", "social_network",
                         "neighbourhood"), rng.randint(2, 4))},
                    "agreed_actions": rng.sample(_ACTIONS, rng.randint(0, 2))}
            if rng.random() < 0.5:
                note = f"Huisbezoek bij {name}; het gaat {rng.choice(('goed', 'wisselend'))}."
                body["private_notes"] = note
                self.extra_texts.append(note)
            self.at(next_day_on_or_after(held, SUPPORT_DAYS), "checkin",
                    trajectory_id=trajectory_id, member=member, index=index, held_on=held,
                    body=body)
        if rng.random() < self.s.signal_share and (closing - start).days > 60:
            raised = next_day_on_or_after(start + timedelta(days=rng.randint(30, (
                closing - start).days - 20)), range(5))
            kind = _weighted(rng, {"rent_arrears": 60, "nuisance": 30, "other": 10})
            acknowledge = None
            if rng.random() < 0.8:
                acknowledge = next_day_on_or_after(add_working_days(raised, rng.randint(1, 3)),
                                                   range(5))
            self.at(raised, "signal", home_id=home_id, member=member, kind=kind,
                    months=rng.randint(1, 3) if kind == "rent_arrears" else None,
                    acknowledge_on=acknowledge)

    # -- the coordinator's views -----------------------------------------------------------

    async def _track_deviation(self) -> None:
        self._deviation_dirty = False
        try:
            r = await self.api.call("GET", "contingent", f"/contingents/{self.s.year}")
        except TransportError:
            return  # the next day looks again
        if r.status_code != 200:
            return
        for line in r.json().get("shares", []):
            member, deviation = line["member_id"], abs(float(line.get("deviation", 0.0)))
            self.result.max_deviation[member] = max(self.result.max_deviation.get(member, 0.0),
                                                    deviation)

    async def _final_views(self) -> None:
        r = await self.api.call("GET", "contingent", f"/contingents/{self.s.year}")
        if r.status_code == 200:
            self.result.contingent = r.json()
        r = await self.api.call("GET", "aftercare", "/returns")
        if r.status_code == 200:
            self.result.returns_report = r.json()


class _ProgressBar:
    """A rich progress bar over business days, with the counts that matter."""

    def __init__(self, sim: Simulation) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.sim = sim
        self.progress = Progress(
            TextColumn("[bold]{task.fields[today]}"), BarColumn(),
            TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), transient=False)
        self.progress.start()
        self.task = self.progress.add_task("year", total=self._total(), today="", counts="")

    def _total(self) -> int:
        s = self.sim.s
        end = s.horizon or (s.arrivals_end + timedelta(days=460))
        last = max(self.sim.schedule, default=s.first_day)
        return max((end - s.first_day).days, (last - s.first_day).days, 1)

    def update(self) -> None:
        c = self.sim.result.counts
        counts = (f"intakes {c['intakes']}  homes {c['homes']}  proposals {c['proposals']}  "
                  f"tenancies {c['tenancies']}  closed {sum(self.sim.result.outcomes.values())}")
        self.progress.update(self.task, completed=(self.sim.today - self.sim.s.first_day).days,
                             total=self._total(), today=str(self.sim.today), counts=counts)

    def close(self) -> None:
        self.progress.update(self.task, completed=self._total())
        self.progress.stop()


async def simulate(scenario: Scenario, urls: Mapping[str, str], bootstrap: str, *,
                   out_dir: Path | None = None, show_progress: bool = False,
                   say: Progress | None = None) -> SimulationResult:
    """Plan the scenario and play it against the running services."""
    plan = make_plan(scenario)
    return await Simulation(plan, urls, bootstrap, out_dir=out_dir,
                            show_progress=show_progress, say=say).run()


async def first_free_year(urls: Mapping[str, str], at_least: int) -> int:
    """The first contingent year from `at_least` on that has no contingent yet and lies after
    every service's business time (a rerun on the same database moves on a year)."""
    async with HttpClient(timeout=20, max_connections=HTTP_CONNECTIONS) as http:
        api = Api(urls, http)
        latest = max([await api.clock_now(s) for s in SERVICES])
        year = max(at_least, latest.year if latest <= datetime(latest.year, 1, 1, 9,
                                                                tzinfo=UTC) else latest.year + 1)
        while year <= 2100:
            r = await api.call("GET", "contingent", f"/contingents/{year}")
            if r.status_code == 404:
                return year
            year += 1
    raise SimulationError("no free contingent year up to 2100 (events allow no later one); "
                          "start on a fresh var/ (transferpunt down; make clean-var)")
