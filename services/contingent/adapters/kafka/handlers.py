"""What the contingent does with matching's events (run by the shared idempotent consumer)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.contingent.application.allocate_home import allocate_home, consume_home, release_home
from shared.clock import Clock
from shared.consumer import Handler
from shared.envelope import Envelope
from shared.events import Event
from shared.events.matching import AllocationRequested, HomeWithdrawn, TenancyStarted
from shared.outbox import Outbox


def build_handlers(outbox: Outbox, clock: Clock) -> dict[str, Handler]:
    async def allocation_requested(session: AsyncSession, event: Event, env: Envelope) -> None:
        assert isinstance(event, AllocationRequested)
        await allocate_home(
            session, outbox, year=event.contingent_year, home_id=event.home_id,
            round=event.round, eligible=event.eligible_members, event_id=env.event_id,
            at=env.occurred_at,
        )

    async def tenancy_started(session: AsyncSession, event: Event, env: Envelope) -> None:
        assert isinstance(event, TenancyStarted)
        await consume_home(session, year=event.contingent_year, home_id=event.home_id,
                           member_id=event.member_id, event_id=env.event_id, at=env.occurred_at)

    async def home_withdrawn(session: AsyncSession, event: Event, env: Envelope) -> None:
        assert isinstance(event, HomeWithdrawn)
        await release_home(session, year=event.contingent_year, home_id=event.home_id,
                           event_id=env.event_id, at=env.occurred_at)

    return {
        "AllocationRequested": allocation_requested,
        "TenancyStarted": tenancy_started,
        "HomeWithdrawn": home_withdrawn,
    }
