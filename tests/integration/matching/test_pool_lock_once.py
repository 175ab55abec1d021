"""Matching's pool lock is taken once per transaction: the shared consumer handles several
events in one transaction, each handler takes the lock first (so no row lock is ever held
before it), and only the first of them pays a round trip for it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from services.matching.application.unit import PoolLockUpgrade, Unit
from tests.support.statements import Sent, statements_sent

pytestmark = pytest.mark.infra


def unit(session: AsyncSession) -> Unit:
    nothing: Any = None  # the lock needs the session only
    return Unit(session, nothing, nothing, datetime.now(UTC), nothing, nothing)


async def test_the_pool_lock_is_taken_once_per_transaction_and_again_in_the_next(
        infra: Any) -> None:
    engine = create_async_engine(infra.database_url)
    held = sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                   "AND pid = pg_backend_pid() AND granted")

    def taken(sent: list[Sent]) -> int:
        return len([s for s in sent if "pg_advisory_xact_lock" in s.statement])

    try:
        async with AsyncSession(engine) as session:
            with statements_sent(engine) as sent:
                async with session.begin():
                    for _ in range(3):  # three events' units in one transaction
                        await unit(session).hold_pool()
                    assert taken(sent) == 1
                    assert await session.scalar(held) == 1
                async with session.begin():  # the next transaction must take it again
                    assert await session.scalar(held) == 0
                    await unit(session).hold_pool()
                    assert taken(sent) == 2
                    assert await session.scalar(held) == 1
    finally:
        await engine.dispose()


async def test_a_shared_hold_is_taken_once_and_never_turned_exclusive(infra: Any) -> None:
    """Offers hold the pool lock shared. A transaction holding it shared is refused the
    exclusive lock (it could deadlock with the other shared holders); one holding it
    exclusively already has all a shared hold gives."""
    engine = create_async_engine(infra.database_url)
    modes = sa.text("SELECT mode FROM pg_locks WHERE locktype = 'advisory' "
                    "AND pid = pg_backend_pid() AND granted ORDER BY mode")
    try:
        async with AsyncSession(engine) as session:
            with statements_sent(engine) as sent:
                async with session.begin():
                    await unit(session).hold_pool(shared=True)
                    await unit(session).hold_pool(shared=True)
                    assert (await session.scalars(modes)).all() == ["ShareLock"]
                    with pytest.raises(PoolLockUpgrade):
                        await unit(session).hold_pool()
                    assert (await session.scalars(modes)).all() == ["ShareLock"]
                async with session.begin():
                    await unit(session).hold_pool()
                    await unit(session).hold_pool(shared=True)
                    assert (await session.scalars(modes)).all() == ["ExclusiveLock"]
            assert len([s for s in sent if "pg_advisory_xact_lock" in s.statement]) == 2
    finally:
        await engine.dispose()
