"""What the contingent does with matching's events (run by the shared idempotent consumer,
inside its transaction: the inbox, the effect and the outbox commit together).

- AllocationRequested → who is owed the home → AllocationDecided (keyed by the home);
- TenancyStarted → the home is consumed from the member's share;
- HomeWithdrawn → the home's allocation is released.
MatchDeclined, MatchExpired and MatchCancelled need nothing here: matching asks again with a
higher round, and that request releases the earlier allocation.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from services.contingent.adapters.db.unit_of_work import SqlUnit
from services.contingent.application.allocate_home import allocate_home
from services.contingent.application.record_tenancy import record_tenancy
from services.contingent.application.release_home import release_home
from shared.clock import Clock
from shared.consumer import Handler
from shared.envelope import Envelope
from shared.events import Event
from shared.events.matching import AllocationRequested, HomeWithdrawn, TenancyStarted
from shared.outbox import Outbox

log = logging.getLogger(__name__)


def build_handlers(outbox: Outbox, clock: Clock) -> dict[str, Handler]:
    def unit(session: AsyncSession) -> SqlUnit:
        return SqlUnit(session, outbox, clock.now())

    async def allocation_requested(session: AsyncSession, event: Event, env: Envelope) -> None:
        assert isinstance(event, AllocationRequested)
        await allocate_home(
            unit(session), year=event.contingent_year, home_id=event.home_id,
            round=event.round, eligible=event.eligible_members, event_id=env.event_id,
            at=env.occurred_at,
        )

    async def tenancy_started(session: AsyncSession, event: Event, env: Envelope) -> None:
        assert isinstance(event, TenancyStarted)
        result = await record_tenancy(
            unit(session), year=event.contingent_year, home_id=event.home_id,
            member_id=event.member_id, corporation_id=event.corporation_id,
            event_id=env.event_id, at=env.occurred_at,
        )
        _log(result.applied, result.message)

    async def home_withdrawn(session: AsyncSession, event: Event, env: Envelope) -> None:
        assert isinstance(event, HomeWithdrawn)
        result = await release_home(
            unit(session), year=event.contingent_year, home_id=event.home_id,
            event_id=env.event_id, at=env.occurred_at, note="home withdrawn",
        )
        _log(result.applied, result.message)

    return {
        "AllocationRequested": allocation_requested,
        "TenancyStarted": tenancy_started,
        "HomeWithdrawn": home_withdrawn,
    }


def _log(applied: bool, message: str) -> None:
    log.log(logging.DEBUG if applied else logging.INFO, "contingent: %s", message)
