"""Driving the aftercare service in tests: business time, other services' events, reading.

Matching's and intake's events are simulated by publishing envelopes straight to Kafka.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from shared.auth import mint_token
from shared.events import Event, envelope_for
from shared.events.common import Contract, Household
from shared.events.intake import IntakeSubmitted, MatchingProfile
from shared.events.matching import TenancyStarted
from shared.settings import ServiceSettings
from shared.topics import events_topic
from tests.support.kafka import envelope_of, eventually, find_records, publish_raw

REGION = ZoneInfo("Europe/Amsterdam")


def auth(role: str, org: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(ServiceSettings(), role=role, org=org)}"}


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def metric_value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def of_type(kind: str, **data: object) -> Callable[[dict[str, Any]], bool]:
    """An event predicate: this type, with these data fields."""

    def match(envelope: dict[str, Any]) -> bool:
        fields = envelope.get("data", {})
        return envelope.get("type") == kind and all(
            fields.get(k) == v for k, v in data.items())

    return match


@dataclass
class Tenancy:
    case_id: uuid.UUID
    home_id: uuid.UUID
    client_ref: str
    member_id: str
    corporation_id: str
    start: date
    trajectory_id: str = ""

    @property
    def supporter(self) -> dict[str, str]:
        return auth("supporter", self.member_id)

    @property
    def corporation(self) -> dict[str, str]:
        return auth("corporation", self.corporation_id)


@dataclass
class Aftercare:
    """The service under test, its business clock, and the Kafka topics around it."""

    url: str
    bootstrap: str
    http: httpx.AsyncClient

    # -- business time -------------------------------------------------------------------

    async def now(self) -> datetime:
        r = await self.http.get(f"{self.url}/admin/clock")
        return datetime.fromisoformat(r.json()["now"])

    async def today(self) -> date:
        return (await self.now()).astimezone(REGION).date()

    async def move_to(self, day: date, at: time = time(10, 0)) -> None:
        """Business time jumps to ``day`` (Amsterdam time); it never moves backwards."""
        await self._set(datetime.combine(day, at, tzinfo=REGION))

    async def advance(self, delta: timedelta) -> None:
        await self._set(await self.now() + delta)

    async def _set(self, moment: datetime) -> None:
        # Sent in UTC, as the system clock gives it: a moment kept in Amsterdam time would
        # hide any place that takes a UTC moment's date for the region's date.
        r = await self.http.put(f"{self.url}/admin/clock",
                                json={"now": moment.astimezone(UTC).isoformat()},
                                headers=auth("coordinator", "region"))
        assert r.status_code == 200, r.text

    # -- other services' events ----------------------------------------------------------

    async def publish(self, event: Event, *, case_id: uuid.UUID,
                      occurred_at: datetime | None = None) -> None:
        envelope = envelope_for(event, case_id=case_id,
                                occurred_at=occurred_at or await self.now(),
                                recorded_at=datetime.now(UTC))
        await publish_raw(self.bootstrap, events_topic(event.producer), envelope.to_bytes(),
                          key=str(case_id).encode())

    def tenancy(self, *, member_id: str, corporation_id: str, start: date,
                client_ref: str | None = None) -> Tenancy:
        return Tenancy(case_id=uuid.uuid4(), home_id=uuid.uuid4(),
                       client_ref=client_ref or unique("client_ref_"), member_id=member_id,
                       corporation_id=corporation_id, start=start)

    async def start_tenancy(self, tenancy: Tenancy, contract: Contract | None = None) -> Tenancy:
        """Matching's TenancyStarted; returns once aftercare has opened the trajectory."""
        await self.publish(self.tenancy_started(tenancy, contract), case_id=tenancy.case_id)
        listed = await eventually(lambda: self.listed(tenancy))
        tenancy.trajectory_id = listed["trajectory_id"]
        return tenancy

    @staticmethod
    def tenancy_started(tenancy: Tenancy, contract: Contract | None = None) -> TenancyStarted:
        return TenancyStarted(
            match_id=uuid.uuid4(), home_id=tenancy.home_id, client_ref=tenancy.client_ref,
            member_id=tenancy.member_id, corporation_id=tenancy.corporation_id,
            municipality="Utrecht", contingent_year=tenancy.start.year,
            signed_on=tenancy.start - timedelta(days=7), start_date=tenancy.start,
            contract=contract or Contract(type="own_name"),
            intake_submitted_at=datetime.combine(tenancy.start - timedelta(days=90), time(9),
                                                 tzinfo=UTC),
        )

    async def submit_intake(self, *, client_ref: str, member_id: str, on: date,
                            case_id: uuid.UUID | None = None) -> uuid.UUID:
        """Intake's IntakeSubmitted, submitted on ``on`` (business time)."""
        case_id = case_id or uuid.uuid4()
        await self.publish(IntakeSubmitted(
            client_ref=client_ref, member_id=member_id, consent=True,
            profile=MatchingProfile(
                household=Household(adults=1, children=0), required_bedrooms=1,
                monthly_income=Decimal("1500.00"), max_rent=Decimal("600.00"),
                ready_from=on),
        ), case_id=case_id, occurred_at=datetime.combine(on, time(11), tzinfo=REGION))
        return case_id

    # -- reading -------------------------------------------------------------------------

    async def listed(self, tenancy: Tenancy) -> Any:
        """The tenancy's entry in its supporter's list (None while not there)."""
        r = await self.http.get(f"{self.url}/trajectories", headers=tenancy.supporter)
        return next((t for t in r.json() if t["case_id"] == str(tenancy.case_id)), None)

    async def detail(self, tenancy: Tenancy) -> Any:
        r = await self.http.get(f"{self.url}/trajectories/{tenancy.trajectory_id}",
                                headers=tenancy.supporter)
        assert r.status_code == 200, r.text
        return r.json()

    async def check_in(self, tenancy: Tenancy, held_on: date, status: str = "stable",
                       **extra: Any) -> httpx.Response:
        return await self.http.post(
            f"{self.url}/trajectories/{tenancy.trajectory_id}/checkins",
            json={"held_on": held_on.isoformat(), "status": status, **extra},
            headers=tenancy.supporter)

    async def metrics(self) -> str:
        return (await self.http.get(f"{self.url}/metrics")).text

    async def events(self, predicate: Callable[[dict[str, Any]], bool], *, count: int = 1,
                     seconds: float = 30.0) -> list[dict[str, Any]]:
        """Aftercare's own events on Kafka that match (read from the beginning)."""
        records = await find_records(
            self.bootstrap, events_topic("aftercare"),
            lambda rec: predicate(envelope_of(rec)), count=count, seconds=seconds)
        return [envelope_of(r) for r in records]

    async def raw_events_about(self, tenancy: Tenancy, *, seconds: float = 5.0) -> list[bytes]:
        """Every aftercare event about one case, as published (bytes)."""
        records = await find_records(
            self.bootstrap, events_topic("aftercare"),
            lambda rec: rec.key == str(tenancy.case_id).encode(), count=10_000,
            seconds=seconds)
        return [r.value for r in records]
