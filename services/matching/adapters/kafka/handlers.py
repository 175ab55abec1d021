"""What matching does with other services' events (run by the shared idempotent consumer:
each handler runs inside the transaction that also records the event id in the inbox).

Two lanes read side by side (`main.py`): intake's events (candidates entering, changing,
leaving the pool) and the contingent's (allocation answers, new contingents), so proposals
do not queue behind intakes.

Every handler that brings a home or a candidate into the pool takes the pool lock before
anything else (`pool_lock_for`): exclusively when a candidate may enter (an intake, its
update or withdrawal, a client's answer, a new contingent), shared when only a home does (an
answer naming nobody: its home waits again; homes need not see each other, see
`Unit.hold_pool`). An allocation answer that names a member only turns a home the
contingent is deciding about into a proposal — nothing enters the pool — so it takes no
pool lock and does not wait for offers and intakes (nor they for it).

The consumer handles several events in one transaction; `pool_lock_for` keeps the three
kinds in separate transactions. An answer holding a home's row while a later event of its
transaction waits for the pool lock would reverse the order every HTTP request keeps (pool →
home → candidate → match), and deadlock with a request that holds the pool lock and wants
that home; and a transaction holding the lock shared cannot take it exclusively later."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.adapters.db.repository import ask_homes_at_commit, lock_homes
from services.matching.application import contingent_years
from services.matching.application.decide_match import record_client_response
from services.matching.application.mediate import propose_on_decision
from services.matching.application.ports import Mailbox, Throughput
from services.matching.application.register_candidate import (
    register_candidate,
    update_candidate,
)
from services.matching.application.rules import MatchingRules
from services.matching.application.unit import Services, Unit
from services.matching.application.withdraw import withdraw_intake
from shared.clock import Clock
from shared.consumer import Handler
from shared.envelope import Envelope
from shared.events import Event
from shared.events.contingent import AllocationDecided, ContingentSet, Redistributed
from shared.events.intake import ClientResponded, IntakeSubmitted, IntakeUpdated, IntakeWithdrawn
from shared.outbox import Outbox

log = logging.getLogger(__name__)


def pool_lock_for(event: Event) -> str | None:
    """How handling the event holds the pool lock: "exclusive" when a candidate may enter the
    pool, "shared" when only a home may (an answer naming nobody: its home waits again), None
    for an answer naming a member (it turns a home into a proposal; nothing enters).

    Also the consumer's transaction key: consecutive events that hold the lock the same way
    share a transaction."""
    if isinstance(event, AllocationDecided):
        return "shared" if event.member_id is None else None
    return "exclusive"


async def prepare(session: AsyncSession, events: Sequence[tuple[Event, Envelope]]) -> None:
    """The consumer's `prepare`, for a transaction of several events:
    - answers naming a member lock all their homes at once (`lock_answered_homes`);
    - intakes alone write the homes they ask about at the commit, in one statement
      (`repository.ask_homes_at_commit`)."""
    if all(isinstance(event, IntakeSubmitted) for event, _ in events):
        ask_homes_at_commit(session)
    else:
        await lock_answered_homes(session, events)


async def lock_answered_homes(session: AsyncSession,
                              events: Sequence[tuple[Event, Envelope]]) -> None:
    """A transaction of answers naming a member locks all their homes at once — each
    answer's first step (`propose_on_decision`). Not in a transaction that takes the pool
    lock (`pool_lock_for`): homes are locked after the pool lock, never before it."""
    answers = [event for event, _ in events
               if isinstance(event, AllocationDecided) and pool_lock_for(event) is None]
    if len(answers) == len(events):
        await lock_homes(session, [answer.home_id for answer in answers])


def handlers_for(
    rules: MatchingRules, mailbox: Mailbox, throughput: Throughput,
) -> Callable[[Outbox, Clock], dict[str, Handler]]:
    """The runtime's handler factory (it hands us its outbox and clock)."""

    def build(outbox: Outbox, clock: Clock) -> dict[str, Handler]:
        services = Services(outbox, rules, mailbox, throughput)

        def unit(session: AsyncSession) -> Unit:
            return services.unit(session, clock.now())

        def pool_first_when_needed(handler: Handler) -> Handler:
            async def handle(session: AsyncSession, event: Event, env: Envelope) -> None:
                lock = pool_lock_for(event)
                if lock is not None:
                    await unit(session).hold_pool(shared=lock == "shared")
                await handler(session, event, env)
            return handle

        async def intake_submitted(session: AsyncSession, event: Event, env: Envelope) -> None:
            assert isinstance(event, IntakeSubmitted)
            await register_candidate(unit(session), env.case_id, event, env.occurred_at)

        async def intake_updated(session: AsyncSession, event: Event, env: Envelope) -> None:
            assert isinstance(event, IntakeUpdated)
            await update_candidate(unit(session), env.case_id, event)

        async def intake_withdrawn(session: AsyncSession, event: Event, env: Envelope) -> None:
            assert isinstance(event, IntakeWithdrawn)
            outcome = await withdraw_intake(unit(session), env.case_id)
            log.info("intake withdrawn: %s", outcome)

        async def client_responded(session: AsyncSession, event: Event, env: Envelope) -> None:
            assert isinstance(event, ClientResponded)
            outcome = await record_client_response(unit(session), event)
            log.info("client response: %s", outcome)

        async def allocation_decided(session: AsyncSession, event: Event,
                                     env: Envelope) -> None:
            assert isinstance(event, AllocationDecided)
            await propose_on_decision(unit(session), event)

        async def contingent_set(session: AsyncSession, event: Event, env: Envelope) -> None:
            assert isinstance(event, ContingentSet)  # new shares: waiting homes ask again
            await contingent_years.contingent_set(unit(session), event)

        async def redistributed(session: AsyncSession, event: Event, env: Envelope) -> None:
            assert isinstance(event, Redistributed)  # new shares: waiting homes ask again
            await contingent_years.shares_redistributed(unit(session), event)

        return {name: pool_first_when_needed(handler) for name, handler in {
            "IntakeSubmitted": intake_submitted,
            "IntakeUpdated": intake_updated,
            "IntakeWithdrawn": intake_withdrawn,
            "ClientResponded": client_responded,
            "AllocationDecided": allocation_decided,
            "ContingentSet": contingent_set,
            "Redistributed": redistributed,
        }.items()}

    return build
