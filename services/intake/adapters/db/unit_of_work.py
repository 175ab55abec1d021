"""One database transaction for a use case: the case, the outbox and the access log commit
together or not at all (a rejected request changes nothing). Opening an intake writes in one
statement (the case and its event), so it runs without a transaction around it
(`one_statement`, `shared.db.in_one_statement`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.intake.adapters.db.repository import SqlAccessLog, SqlIntakeRepository
from shared.db import in_one_statement
from shared.events.base import Event
from shared.outbox import Outbox


class SqlUnitOfWork:
    def __init__(self, session: AsyncSession, outbox: Outbox, *,
                 saves_at_commit: bool = False) -> None:
        self.session = session
        self.intakes = SqlIntakeRepository(session, saves_at_commit=saves_at_commit,
                                           outbox=outbox)
        self.access_log = SqlAccessLog(session)
        self._outbox = outbox

    async def publish(self, event: Event, *, case_id: str, occurred_at: datetime) -> None:
        await self._outbox.add(self.session, event, case_id=UUID(case_id),
                               occurred_at=occurred_at.astimezone(UTC))


@asynccontextmanager
async def unit_of_work(
    sessions: async_sessionmaker[AsyncSession], outbox: Outbox, *, one_statement: bool = False,
) -> AsyncIterator[SqlUnitOfWork]:
    """Begin a transaction; commit when the block ends normally, roll back when it raises.
    `one_statement`: the use case writes in one statement (`open_intake`), which needs no
    transaction around it — two round trips fewer on the busiest write."""
    session = in_one_statement(sessions) if one_statement else sessions()
    async with session, session.begin():
        yield SqlUnitOfWork(session, outbox)
