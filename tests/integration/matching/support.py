"""A test's little region: members with a contingent, corporations, intakes published to Kafka
as the intake service would, homes offered over HTTP, and business time moved on demand."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from services.matching.adapters.db.tables import candidates, homes, outbox
from services.matching.adapters.email import NotificationTable
from services.matching.adapters.http.schemas import HomeIn
from services.matching.adapters.kafka.handlers import handlers_for
from services.matching.adapters.metrics import PrometheusThroughput
from services.matching.application.mediate import propose_on_decision
from services.matching.application.offer_home import offer_home
from services.matching.application.register_candidate import register_candidate
from services.matching.application.unit import Services
from services.matching.settings import MatchingSettings
from shared.auth import mint_token
from shared.clock import ManualClock
from shared.consumer import Handler
from shared.events import Event, envelope_for
from shared.events.contingent import AllocationDecided
from shared.events.intake import (
    ClientResponded,
    IntakeSubmitted,
    IntakeUpdated,
    IntakeWithdrawn,
    MatchingProfile,
)
from shared.outbox import Outbox
from shared.settings import ServiceSettings
from shared.topics import events_topic
from tests.support.kafka import envelope_of, eventually, find_records, publish_raw
from tests.support.years import PARKING

if TYPE_CHECKING:
    from tests.integration.matching.conftest import MatchingUnderTest

# Monday 1 March 2027, 09:00 in Amsterdam: the business time the matching under test starts at.
BUSINESS_START = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


def auth(role: str, org: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(ServiceSettings(), role=role, org=org)}"}


COORDINATOR = auth("coordinator", "region")


def profile(**changes: Any) -> MatchingProfile:
    """A single adult on a low income who fits a one-bedroom social home."""
    data: dict[str, Any] = {
        "household": {"adults": 1, "children": 0}, "required_bedrooms": 1,
        "monthly_income": "1500.00", "max_rent": "700.00", "urgency": "normal",
        "ready_from": "2027-01-01", "cluster_preference": "no_preference",
        "support_hours_per_week": 4,
        "risks": [{"category": "debts", "mitigation": "budget coaching and direct rent debit"}],
    }
    data.update(changes)
    return MatchingProfile.model_validate(data)


@dataclass
class Intake:
    case_id: uuid.UUID
    client_ref: str
    member_id: str


@dataclass
class Scenario:
    http: httpx.AsyncClient
    env: MatchingUnderTest
    run: str
    year: int
    members: list[str] = field(default_factory=list)

    # --- names ---------------------------------------------------------------------------

    def member(self, n: int = 1) -> str:
        return f"m{self.run}{n}"

    def corporation(self, n: int = 1) -> str:
        return f"c{self.run}{n}"

    def mail_of(self, org: str) -> str:
        return f"{org}@mail.test"

    @property
    def url(self) -> str:
        return self.env.url

    # --- the contingent --------------------------------------------------------------------

    async def contingent(self, needs: dict[str, int], total: int = 10) -> None:
        for member_id in needs:
            await self.register(member_id)
        r = await self.http.put(
            f"{self.env.contingent_url}/contingents/{self.year}", headers=COORDINATOR,
            json={"total_homes": total, "method": "sainte_lague",
                  "members": [{"member_id": m, "need": n} for m, n in needs.items()]})
        assert r.status_code == 200, r.text

    async def register(self, member_id: str) -> None:
        r = await self.http.post(f"{self.env.contingent_url}/members", headers=COORDINATOR,
                                 json={"member_id": member_id, "name": f"Member {member_id}"})
        assert r.status_code in (201, 409), r.text

    # --- intake events, as the intake service publishes them ------------------------------

    async def publish(self, event: Event, case_id: uuid.UUID,
                      occurred_at: datetime | None = None) -> dict[str, Any]:
        envelope = envelope_for(event, case_id=case_id,
                                occurred_at=occurred_at or await self.now(),
                                recorded_at=datetime.now(UTC))
        await publish_raw(self.env.bootstrap, events_topic("intake"), envelope.to_bytes(),
                          str(case_id).encode())
        data: dict[str, Any] = json.loads(envelope.to_bytes())
        return data

    async def intake(self, member_id: str, *, submitted_at: datetime | None = None,
                     **changes: Any) -> Intake:
        case_id = uuid.uuid4()
        client_ref = f"ref{uuid.uuid4().hex}"
        await self.publish(IntakeSubmitted(client_ref=client_ref, member_id=member_id,
                                           profile=profile(**changes), consent=True),
                           case_id, submitted_at)
        intake = Intake(case_id, client_ref, member_id)
        await self.wait_until_known(intake)
        return intake

    async def wait_until_known(self, intake: Intake) -> None:
        """Wait until matching has stored the candidate (its own table)."""
        async def known() -> bool:
            return await self.candidate_status(intake) is not None
        await eventually(known, seconds=30)

    async def candidate_status(self, intake: Intake) -> str | None:
        status: str | None = await self.sql_value(
            "SELECT status FROM matching.candidates WHERE case_id = :c", c=intake.case_id)
        return status

    async def sql_value(self, statement: str, **params: Any) -> Any:
        rows = await self.sql_rows(statement, **params)
        return rows[0][0] if rows else None

    async def sql_rows(self, statement: str, **params: Any) -> list[tuple[Any, ...]]:
        engine = create_async_engine(self.env.database_url)
        try:
            async with engine.connect() as conn:
                return [tuple(r) for r in await conn.execute(sa.text(statement), params)]
        finally:
            await engine.dispose()

    async def update_intake(self, intake: Intake, **changes: Any) -> None:
        await self.publish(IntakeUpdated(client_ref=intake.client_ref,
                                         member_id=intake.member_id,
                                         changed=sorted(changes), profile=profile(**changes)),
                           intake.case_id)

    async def withdraw_intake(self, intake: Intake) -> None:
        await self.publish(IntakeWithdrawn(client_ref=intake.client_ref,
                                           member_id=intake.member_id,
                                           reason="housed_elsewhere"), intake.case_id)

    async def client_responds(self, intake: Intake, match_id: str, response: str,
                              reason: str | None = None) -> None:
        await self.publish(ClientResponded(match_id=match_id, member_id=intake.member_id,
                                           response=response, reason=reason),
                           intake.case_id)

    # --- homes and proposals over HTTP ----------------------------------------------------

    def home(self, **changes: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "municipality": "Enschede", "postcode4": "7511", "bedrooms": 1, "rent": "600.00",
            "available_from": "2027-04-01", "contingent_year": self.year,
        }
        body.update(changes)
        return body

    async def offer(self, corporation: str | None = None, **changes: Any) -> str:
        corporation = corporation or self.corporation()
        r = await self.http.post(f"{self.url}/homes", headers=auth("corporation", corporation),
                                 json=self.home(**changes))
        assert r.status_code == 201, r.text
        return str(r.json()["home_id"])

    async def matches_of_home(self, home_id: str,
                              corporation: str | None = None) -> list[dict[str, Any]]:
        corporation = corporation or self.corporation()
        r = await self.http.get(f"{self.url}/matches",
                                headers=auth("corporation", corporation))
        assert r.status_code == 200, r.text
        return sorted((m for m in r.json() if m["home_id"] == home_id),
                      key=lambda m: m["proposed_at"])

    async def open_proposal(self, home_id: str, corporation: str | None = None,
                            seconds: float = 30) -> dict[str, Any]:
        async def found() -> Any:
            return next((m for m in await self.matches_of_home(home_id, corporation)
                         if m["status"] == "proposed"), None)
        try:
            return await eventually(found, seconds=seconds)  # type: ignore[no-any-return]
        except AssertionError as missing:
            raise AssertionError(f"{missing}; {await self.home_trail(home_id)}") from None

    async def home_trail(self, home_id: str) -> str:
        """Where a home's allocation stands, in both services' tables (ids and states only),
        for a failure message: a proposal that never came says which step it stopped at."""
        home = await self.sql_rows(
            "SELECT status, allocation_round, requested_members, requested_at"
            " FROM matching.homes WHERE home_id = :h", h=home_id)
        decided = await self.sql_rows(
            "SELECT round, member_id, decided_at FROM contingent.allocations"
            " WHERE home_id = :h ORDER BY round", h=home_id)
        waiting = await self.sql_rows(
            "SELECT member_id, status FROM matching.candidates WHERE member_id LIKE :m",
            m=f"m{self.run}%")
        return (f"matching's home: {home}; the contingent's decisions: {decided}; "
                f"this test's candidates: {waiting}")

    async def next_proposal(self, home_id: str, after: dict[str, Any],
                            corporation: str | None = None) -> dict[str, Any]:
        async def found() -> Any:
            return next((m for m in await self.matches_of_home(home_id, corporation)
                         if m["status"] == "proposed" and m["match_id"] != after["match_id"]),
                        None)
        return await eventually(found)  # type: ignore[no-any-return]

    async def home_status(self, home_id: str, corporation: str | None = None) -> str:
        corporation = corporation or self.corporation()
        r = await self.http.get(f"{self.url}/homes/{home_id}",
                                headers=auth("corporation", corporation))
        assert r.status_code == 200, r.text
        return str(r.json()["status"])

    async def decide(self, match_id: str, action: str, corporation: str | None = None,
                     **body: Any) -> httpx.Response:
        corporation = corporation or self.corporation()
        return await self.http.post(f"{self.url}/matches/{match_id}/{action}",
                                    headers=auth("corporation", corporation),
                                    json=body or None)

    # --- business time --------------------------------------------------------------------

    async def now(self) -> datetime:
        r = await self.http.get(f"{self.url}/admin/clock")
        return datetime.fromisoformat(r.json()["now"])

    async def move_clock_to(self, moment: datetime) -> None:
        r = await self.http.put(f"{self.url}/admin/clock", headers=COORDINATOR,
                                json={"now": moment.isoformat()})
        assert r.status_code == 200, r.text

    async def today(self) -> date:
        return (await self.now()).date()

    # --- what went onto Kafka -------------------------------------------------------------

    async def matching_events(self, predicate: Any, count: int = 1,
                              seconds: float = 20) -> list[dict[str, Any]]:
        def matches(record: Any) -> bool:
            # Other suites put deliberately malformed events on the same topic.
            try:
                return bool(predicate(envelope_of(record)))
            except (KeyError, TypeError):
                return False

        records = await find_records(self.env.bootstrap, events_topic("matching"), matches,
                                     count=count, seconds=seconds)
        return [envelope_of(r) for r in records]


def later(moment: datetime, **delta: float) -> datetime:
    return moment + timedelta(**delta)


async def until(predicate: Callable[[], Any], seconds: float = 20.0) -> Any:
    """Poll a plain (non-async) check until it returns something truthy."""
    async def check() -> Any:
        return predicate()
    return await eventually(check, seconds=seconds)


class Direct:
    """The use cases called directly against the service's real database, for what HTTP and
    Kafka cannot time precisely (parallel transactions, an arrival mid-allocation). Events they
    append go out through the running service's outbox relay, as always.

    Its homes are offered for a parking year, never the scenario's: these tests answer for the
    contingent themselves and never set one, so the homes they leave waiting would otherwise
    sit in a year another test may take later — and when that test set its contingent, those
    homes would be allocated first and take its client (tests/support/years.py)."""

    def __init__(self, scenario: Scenario, now: datetime) -> None:
        self.s, self.now = scenario, now
        self.year = PARKING.start
        self.engine = create_async_engine(scenario.env.database_url, pool_size=10)
        self.services = Services(Outbox(outbox, "matching", ManualClock(now)),
                                 MatchingSettings().rules(), NotificationTable(enabled=False),
                                 PrometheusThroughput())

    async def close(self) -> None:
        await self.engine.dispose()

    async def add_candidate(self, member_id: str, **changes: Any) -> uuid.UUID:
        case_id = uuid.uuid4()
        async with self.engine.begin() as conn:
            await conn.execute(sa.insert(candidates).values(
                case_id=case_id, client_ref=f"ref{case_id.hex}", member_id=member_id,
                profile=profile(**changes).model_dump(mode="json"), status="waiting",
                submitted_at=self.now))
        return case_id

    async def add_allocating_homes(self, count: int, asked: list[str]) -> list[uuid.UUID]:
        """Homes whose AllocationRequested (round 1, naming `asked`) is with the contingent."""
        offer = self.s.home(contingent_year=self.year)
        offer.update(accessibility=[], near_support_point=False,
                     contract={"type": "own_name", "omklap_after_months": None,
                               "term_months": None})
        home_ids = [uuid.uuid4() for _ in range(count)]
        async with self.engine.begin() as conn:
            await conn.execute(sa.insert(homes), [dict(
                home_id=h, corporation_id=self.s.corporation(), offer=offer,
                contingent_year=self.year, status="allocating", allocation_round=1,
                offered_at=self.now, requested_members=asked, requested_at=self.now)
                for h in home_ids])
        return home_ids

    def round_one_answer(self, home_id: uuid.UUID, member_id: str | None) -> AllocationDecided:
        """The contingent's answer to a home's first request (round 1)."""
        return AllocationDecided(home_id=home_id, contingent_year=self.year, round=1,
                                 member_id=member_id, home_number=1, skipped=False,
                                 reason="test")

    async def answer(self, home_id: uuid.UUID, member_id: str | None) -> uuid.UUID | None:
        """The contingent's answer to round 1, handled in a transaction of its own."""
        answer = self.round_one_answer(home_id, member_id)
        async with AsyncSession(self.engine) as session, session.begin():
            return await propose_on_decision(self.services.unit(session, self.now), answer)

    def handlers(self) -> dict[str, Handler]:
        """The consumer's handlers, as the running service builds them."""
        return handlers_for(self.services.rules, self.services.mailbox,
                            self.services.throughput)(self.services.outbox,
                                                      ManualClock(self.now))

    async def handle(self, handler: Handler, home_id: uuid.UUID,
                     member_id: str | None) -> None:
        """The contingent's answer to round 1 through a consumer handler, committed."""
        answer = self.round_one_answer(home_id, member_id)
        envelope = envelope_for(answer, case_id=home_id, occurred_at=self.now,
                                recorded_at=self.now)
        async with AsyncSession(self.engine) as session, session.begin():
            await handler(session, answer, envelope)

    async def offer(self, **changes: Any) -> uuid.UUID:
        """POST /homes' use case, in a transaction of its own."""
        body = HomeIn(**self.s.home(contingent_year=self.year, **changes)).model_dump()
        async with AsyncSession(self.engine) as session, session.begin():
            return await offer_home(self.services.unit(session, self.now),
                                    self.s.corporation(), body)

    async def submit(self, member_id: str, **changes: Any) -> uuid.UUID:
        """IntakeSubmitted's use case, in a transaction of its own."""
        case_id = uuid.uuid4()
        event = IntakeSubmitted(client_ref=f"ref{case_id.hex}", member_id=member_id,
                                profile=profile(**changes), consent=True)
        async with AsyncSession(self.engine) as session, session.begin():
            await register_candidate(self.services.unit(session, self.now), case_id, event,
                                     self.now)
        return case_id

    async def home(self, home_id: uuid.UUID) -> Any:
        async with self.engine.connect() as conn:
            return (await conn.execute(
                sa.select(homes).where(homes.c.home_id == home_id))).one()
