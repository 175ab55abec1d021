"""One transaction around a use case: the repositories, the outbox, and the metrics.

Events go into the outbox in the same transaction as the state change. Metrics are observed
only after that transaction has committed, so a rolled-back request or a retried message
never counts twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.contingent.adapters import metrics
from services.contingent.adapters.db.repository import SqlContingentRepository, SqlMemberDirectory
from services.contingent.domain.contingent import Contingent, LedgerEntry
from shared.clock import Clock
from shared.db import after_commit
from shared.events import Event
from shared.outbox import Outbox


class SqlUnit:
    def __init__(self, session: AsyncSession, outbox: Outbox, now: datetime) -> None:
        self.session = session
        self.now = now
        self.contingents = SqlContingentRepository(session, on_saved=self._saved)
        self.members = SqlMemberDirectory(session)
        self._outbox = outbox

    async def publish(self, event: Event, *, case_id: UUID,
                      occurred_at: datetime | None = None) -> None:
        await self._outbox.add(self.session, event, case_id=case_id,
                               occurred_at=occurred_at or self.now)

    def _saved(self, contingent: Contingent, entries: Sequence[LedgerEntry]) -> None:
        after_commit(self.session, metrics.observation(contingent, entries))


UnitFactory = Callable[[], AbstractAsyncContextManager[SqlUnit]]


def unit_factory(sessions: async_sessionmaker[AsyncSession], outbox: Outbox,
                 clock: Clock) -> UnitFactory:
    """A new transaction per call: ``async with new_unit() as unit: ...`` commits at the end."""

    @asynccontextmanager
    async def new_unit() -> AsyncIterator[SqlUnit]:
        async with sessions() as session, session.begin():
            yield SqlUnit(session, outbox, clock.now())

    return new_unit
