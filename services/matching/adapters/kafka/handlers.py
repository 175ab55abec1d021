"""What matching does with other services' events (run by the shared idempotent consumer)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.adapters.db.tables import candidates, matches
from services.matching.application.decide_match import end_proposal
from services.matching.application.mediate import offer_waiting_homes, propose
from shared.clock import Clock
from shared.consumer import Handler
from shared.envelope import Envelope
from shared.events import Event
from shared.events.contingent import AllocationDecided
from shared.events.intake import IntakeSubmitted, IntakeUpdated, IntakeWithdrawn
from shared.outbox import Outbox


def build_handlers(outbox: Outbox, clock: Clock) -> dict[str, Handler]:
    async def intake_submitted(session: AsyncSession, event: Event, env: Envelope) -> None:
        assert isinstance(event, IntakeSubmitted)
        profile = event.profile.model_dump(mode="json")
        await session.execute(insert(candidates).values(
            case_id=env.case_id, client_ref=event.client_ref, member_id=event.member_id,
            profile=profile, status="waiting", submitted_at=env.occurred_at,
        ).on_conflict_do_nothing())
        await offer_waiting_homes(session, outbox, profile)

    async def intake_updated(session: AsyncSession, event: Event, env: Envelope) -> None:
        assert isinstance(event, IntakeUpdated)
        profile = event.profile.model_dump(mode="json")
        await session.execute(sa.update(candidates).where(candidates.c.case_id == env.case_id)
                              .values(profile=profile))
        await offer_waiting_homes(session, outbox, profile)

    async def intake_withdrawn(session: AsyncSession, event: Event, env: Envelope) -> None:
        assert isinstance(event, IntakeWithdrawn)
        await session.execute(sa.update(candidates).where(candidates.c.case_id == env.case_id)
                              .values(status="withdrawn"))
        open_match = (await session.execute(
            sa.select(matches).where(matches.c.case_id == env.case_id,
                                     matches.c.status == "proposed").with_for_update()
        )).one_or_none()
        if open_match is not None:
            await end_proposal(session, outbox, clock.now(), open_match, status="cancelled")

    async def allocation_decided(session: AsyncSession, event: Event, env: Envelope) -> None:
        assert isinstance(event, AllocationDecided)
        await propose(
            session, outbox, clock.now(), event.home_id, event.round, event.member_id,
            explanation={"home_number": event.home_number, "skipped": event.skipped,
                         "reason": event.reason, "allocation_event_id": str(env.event_id)},
        )

    return {
        "IntakeSubmitted": intake_submitted,
        "IntakeUpdated": intake_updated,
        "IntakeWithdrawn": intake_withdrawn,
        "AllocationDecided": allocation_decided,
    }
