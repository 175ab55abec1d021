"""What aftercare does with other services' events (run by the shared idempotent consumer).

Each handler runs in the consumer's transaction, next to the inbox row of the event: the
trajectory, its outbox events and the inbox entry commit together or not at all.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.aftercare.adapters.db.unit_of_work import SqlUnitOfWork
from services.aftercare.application.detect_return import detect_return
from services.aftercare.application.open_trajectory import open_trajectory
from services.aftercare.application.ports import SeenIntake
from services.aftercare.settings import AftercareSettings
from shared.clock import Clock
from shared.consumer import Handler
from shared.envelope import Envelope
from shared.events import Event
from shared.events.intake import IntakeSubmitted
from shared.events.matching import TenancyStarted
from shared.outbox import Outbox


def build_handlers(outbox: Outbox, clock: Clock, *, settings: AftercareSettings
                   ) -> dict[str, Handler]:
    policy = settings.policy()  # an inconsistent regional policy stops the start-up here

    async def tenancy_started(session: AsyncSession, event: Event, env: Envelope) -> None:
        assert isinstance(event, TenancyStarted)
        await open_trajectory(SqlUnitOfWork(session, outbox), event,
                              case_id=str(env.case_id), policy=policy, now=clock.now())

    async def intake_submitted(session: AsyncSession, event: Event, env: Envelope) -> None:
        assert isinstance(event, IntakeSubmitted)
        intake = SeenIntake(
            case_id=str(env.case_id), client_ref=event.client_ref, member_id=event.member_id,
            submitted_on=settings.business_date(env.occurred_at),
        )
        await detect_return(SqlUnitOfWork(session, outbox), intake, now=clock.now())

    return {"TenancyStarted": tenancy_started, "IntakeSubmitted": intake_submitted}
