"""One open case per client, decided by PostgreSQL as the case is stored: an intake that
meets an open case of its client stores nothing, also when that case is being stored at
the same moment in a transaction not yet committed (the insert waits for it). On a database
of the test's own, through the repository."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.intake.adapters.db.repository import SqlIntakeRepository
from services.intake.domain.intake import Intake, WithdrawalReason
from tests.integration.intake.support import submitted_intake

pytestmark = pytest.mark.infra

T0 = datetime(2091, 5, 4, 9, 0, tzinfo=UTC)


async def waiting_to_add(sessions: async_sessionmaker[AsyncSession], intake: Intake,
                         number: str) -> asyncio.Task[bool]:
    """The intake being added in a transaction of its own, shown to wait (for another
    transaction adding an open case of the same client)."""
    async def add() -> bool:
        async with sessions() as session, session.begin():
            return await SqlIntakeRepository(session).add(intake, number)

    waiting = asyncio.create_task(add())
    await asyncio.sleep(0.5)
    assert not waiting.done()
    return waiting


async def test_an_intake_waits_for_one_of_its_client_being_stored_and_is_not_stored(
        engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    first, second = submitted_intake("A", T0, "c-1"), submitted_intake("A", T0, "c-1")
    async with sessions() as holding, holding.begin():
        assert await SqlIntakeRepository(holding).add(first, "c-1")
        waiting = await waiting_to_add(sessions, second, "c-1")  # the first not committed
    assert await waiting is False
    async with sessions() as session:
        repository = SqlIntakeRepository(session)
        found = await repository.open_case_of(first.client_ref)
        assert found is not None and found.case_id == first.case_id
        assert await repository.get(second.case_id) is None


async def test_an_intake_is_stored_once_the_open_case_ended_or_was_never_committed(
        engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    withdrawn, rolled_back, again = (submitted_intake("B", T0, "c-2") for _ in range(3))
    async with sessions() as session, session.begin():
        assert await SqlIntakeRepository(session).add(withdrawn, "c-2")
    withdrawn.withdraw(WithdrawalReason.CLIENT_REQUEST, T0)
    async with sessions() as session, session.begin():
        await SqlIntakeRepository(session).save(withdrawn)

    async with sessions() as holding:
        await holding.begin()
        assert await SqlIntakeRepository(holding).add(rolled_back, "c-2")
        waiting = await waiting_to_add(sessions, again, "c-2")
        await holding.rollback()
    assert await waiting is True
