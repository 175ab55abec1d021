"""What the intake does with matching's and aftercare's events (run by the shared idempotent
consumer: the inbox entry, the case's new state and any outbox event commit together)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.adapters.db.repository import lock_cases
from services.intake.adapters.db.unit_of_work import SqlUnitOfWork
from services.intake.application import track_case_status as track
from services.intake.domain.intake import ProposalOutcome
from shared.clock import Clock
from shared.consumer import Handler
from shared.envelope import Envelope
from shared.events import Event
from shared.events.aftercare import AftercareCompleted
from shared.events.matching import (
    MatchCancelled,
    MatchDeclined,
    MatchExpired,
    MatchProposed,
    TenancyStarted,
)
from shared.outbox import Outbox


def build_handlers(outbox: Outbox, _clock: Clock) -> dict[str, Handler]:
    def uow(session: AsyncSession) -> SqlUnitOfWork:
        # a transaction of several events saves their cases in one statement at commit
        return SqlUnitOfWork(session, outbox, saves_at_commit=True)

    async def match_proposed(session: AsyncSession, event: Event, env: Envelope) -> None:
        assert isinstance(event, MatchProposed)
        await track.record_proposal(uow(session), str(env.case_id), str(event.match_id),
                                    env.occurred_at)

    async def match_declined(session: AsyncSession, event: Event, env: Envelope) -> None:
        assert isinstance(event, MatchDeclined)
        if event.decided_by == "client":
            await track.record_client_decline(uow(session), str(env.case_id),
                                              str(event.match_id), env.occurred_at)
            return
        await track.end_proposal(uow(session), str(env.case_id), str(event.match_id),
                                 ProposalOutcome.CORPORATION_DECLINED, env.occurred_at)

    async def match_expired(session: AsyncSession, event: Event, env: Envelope) -> None:
        assert isinstance(event, MatchExpired)
        await track.end_proposal(uow(session), str(env.case_id), str(event.match_id),
                                 ProposalOutcome.EXPIRED, env.occurred_at)

    async def match_cancelled(session: AsyncSession, event: Event, env: Envelope) -> None:
        assert isinstance(event, MatchCancelled)
        if event.cause == "intake_withdrawn":
            return  # our own withdrawal, already recorded here
        await track.end_proposal(uow(session), str(env.case_id), str(event.match_id),
                                 ProposalOutcome.HOME_WITHDRAWN, env.occurred_at)

    async def tenancy_started(session: AsyncSession, event: Event, env: Envelope) -> None:
        assert isinstance(event, TenancyStarted)
        await track.record_tenancy(uow(session), str(env.case_id), str(event.match_id),
                                   event.start_date, env.occurred_at)

    async def aftercare_completed(session: AsyncSession, event: Event, env: Envelope) -> None:
        assert isinstance(event, AftercareCompleted)
        await track.close_case(uow(session), str(env.case_id), env.occurred_at)

    return {
        "MatchProposed": match_proposed,
        "MatchDeclined": match_declined,
        "MatchExpired": match_expired,
        "MatchCancelled": match_cancelled,
        "TenancyStarted": tenancy_started,
        "AftercareCompleted": aftercare_completed,
    }


async def lock_cases_of(session: AsyncSession,
                        events: Sequence[tuple[Event, Envelope]]) -> None:
    """The consumer's `prepare`: every event the intake handles changes its case, read and
    locked first (`track_case_status`); a transaction of several reads them all at once."""
    await lock_cases(session, [str(envelope.case_id) for _, envelope in events])
