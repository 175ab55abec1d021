"""A test's own corner of the region: its own member ids and contingent year, matching's
events published straight to Kafka (as the matching service would), and the contingent's
HTTP API and Kafka output read back."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from shared.auth import mint_token
from shared.events import Event, envelope_for
from shared.events.matching import AllocationRequested, HomeWithdrawn, TenancyStarted
from shared.settings import ServiceSettings
from shared.topics import dead_letter_topic, events_topic
from tests.support.kafka import envelope_of, eventually, find_records
from tests.support.years import CONTINGENT_SUITE

# This suite's own years (tests/support/years.py), counted up from a random start: a run
# uses well under a thousand, and the start keeps runs against a long-lived database
# (DATABASE_URL set) apart as well.
_years = itertools.count(random.randrange(CONTINGENT_SUITE.start, CONTINGENT_SUITE.stop - 1000,
                                          100))


def next_year() -> int:
    return next(_years)


def auth(role: str, org: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(ServiceSettings(), role=role, org=org)}"}


COORDINATOR = auth("coordinator", "region")
AT = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class Region:
    http: httpx.AsyncClient
    url: str
    bootstrap: str
    run: str
    year: int
    producer: AIOKafkaProducer
    _members: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # --- members and the year -------------------------------------------------------------

    def member(self) -> str:
        return f"m{self.run}x{next(self._members):02d}"

    async def register(self, *member_ids: str) -> None:
        for m in member_ids:
            r = await self.http.post(f"{self.url}/members", headers=COORDINATOR,
                                     json={"member_id": m, "name": f"Member {m}"})
            assert r.status_code == 201, r.text

    async def put(self, needs: dict[str, int], total: int, *, year: int | None = None,
                  expect: int = 200, **rules: Any) -> dict[str, Any]:
        r = await self.http.put(
            f"{self.url}/contingents/{year or self.year}", headers=COORDINATOR,
            json={"total_homes": total, "method": rules.pop("method", "sainte_lague"),
                  "members": [{"member_id": m, "need": n} for m, n in needs.items()], **rules})
        assert r.status_code == expect, r.text
        return r.json()  # type: ignore[no-any-return]

    async def setup(self, needs: dict[str, int], total: int, **rules: Any) -> dict[str, Any]:
        await self.register(*needs)
        return await self.put(needs, total, **rules)

    async def view(self, headers: dict[str, str] = COORDINATOR,
                   year: int | None = None) -> dict[str, Any]:
        r = await self.http.get(f"{self.url}/contingents/{year or self.year}", headers=headers)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    async def lines(self, year: int | None = None) -> dict[str, dict[str, Any]]:
        return {s["member_id"]: s for s in (await self.view(year=year))["shares"]}

    async def ledger(self, **params: Any) -> list[dict[str, Any]]:
        r = await self.http.get(f"{self.url}/contingents/{self.year}/ledger",
                                headers=COORDINATOR, params=params)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    async def post(self, path: str, body: Any = None,
                   headers: dict[str, str] = COORDINATOR) -> httpx.Response:
        return await self.http.post(f"{self.url}/contingents/{self.year}{path}",
                                    headers=headers, json=body)

    # --- matching's events ----------------------------------------------------------------

    async def publish(self, event: Event, case_id: uuid.UUID,
                      occurred_at: datetime = AT) -> uuid.UUID:
        envelope = envelope_for(event, case_id=case_id, occurred_at=occurred_at,
                                recorded_at=datetime.now(UTC))
        await self.producer.send_and_wait(events_topic("matching"), envelope.to_bytes(),
                                          key=str(case_id).encode())
        return envelope.event_id

    async def request(self, home_id: uuid.UUID, eligible: Sequence[str], round: int = 1,
                      year: int | None = None, at: datetime = AT) -> uuid.UUID:
        return await self.publish(AllocationRequested(
            home_id=home_id, contingent_year=year or self.year, round=round,
            eligible_members=list(eligible)), home_id, at)

    async def tenancy(self, home_id: uuid.UUID, member_id: str, corporation: str = "c01",
                      at: datetime = AT, case_id: uuid.UUID | None = None,
                      year: int | None = None) -> uuid.UUID:
        """TenancyStarted, keyed by the client's case (one case's events stay in order)."""
        event = tenancy_started(year or self.year, home_id, member_id, corporation)
        return await self.publish(event, case_id or uuid.uuid4(), at)

    async def withdraw(self, home_id: uuid.UUID, at: datetime = AT) -> uuid.UUID:
        return await self.publish(HomeWithdrawn(home_id=home_id, corporation_id="c01",
                                                contingent_year=self.year), home_id, at)

    # --- what the contingent did ----------------------------------------------------------

    async def decided(self, home_id: uuid.UUID, round: int = 1) -> dict[str, Any]:
        """The AllocationDecided envelope for this home and round, read from Kafka."""
        [record] = await find_records(
            self.bootstrap, events_topic("contingent"),
            lambda r: (e := envelope_of(r)).get("type") == "AllocationDecided"
            and e.get("case_id") == str(home_id) and e["data"]["round"] == round)
        assert record.key == str(home_id).encode()
        return envelope_of(record)

    async def events(self, event_type: str, predicate: Callable[[dict[str, Any]], bool],
                     count: int = 1, seconds: float = 30.0) -> list[dict[str, Any]]:
        """Events of this type whose data fits; waits until `count` are found or `seconds`
        have passed (so asking for one more than expected proves there are no more)."""
        records = await find_records(
            self.bootstrap, events_topic("contingent"),
            lambda r: (e := envelope_of(r)).get("type") == event_type and predicate(e["data"]),
            count=count, seconds=seconds)
        return [envelope_of(r) for r in records]

    async def dead_letters(self, marker: str, count: int = 1) -> list[Any]:
        return await find_records(self.bootstrap, dead_letter_topic("contingent"),
                                  lambda r: marker.encode() in r.value, count=count)

    async def ledger_until(self, check: Callable[[list[dict[str, Any]]], bool],
                           seconds: float = 30.0, every: float = 0.3,
                           **params: Any) -> list[dict[str, Any]]:
        async def ready() -> list[dict[str, Any]] | None:
            entries = await self.ledger(**params)
            return entries if check(entries) else None

        return await eventually(ready, seconds=seconds, every=every)  # type: ignore[no-any-return]


def tenancy_started(year: int, home_id: uuid.UUID, member_id: str,
                    corporation: str = "c01") -> TenancyStarted:
    return TenancyStarted(
        match_id=uuid.uuid4(), home_id=home_id, client_ref=f"ref{uuid.uuid4().hex}",
        member_id=member_id, corporation_id=corporation, municipality="Utrecht",
        contingent_year=year, signed_on=date(2027, 2, 20), start_date=date(2027, 3, 1),
        contract={"type": "own_name"}, intake_submitted_at=datetime(2027, 1, 5, tzinfo=UTC),
    )


def kinds(entries: list[dict[str, Any]], home_id: uuid.UUID) -> list[str]:
    return [e["kind"] for e in entries if e["home_id"] == str(home_id)]


async def settle(seconds: float = 1.0) -> None:
    await asyncio.sleep(seconds)


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
