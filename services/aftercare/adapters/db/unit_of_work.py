"""One transaction around a use case: repositories, the outbox, and metrics after commit.

Events go into the outbox in the same transaction as the state change; metrics are observed
only once that transaction has committed, so a rolled-back request or a retried message
never counts twice.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.aftercare.adapters import metrics
from services.aftercare.adapters.db.repository import SqlIntakeLog, SqlTrajectoryRepository
from services.aftercare.application.integration_events import (
    return_event,
    to_integration_event,
)
from services.aftercare.application.ports import ReturnFound
from services.aftercare.domain.trajectory import AftercareTrajectory
from shared.db import after_commit
from shared.outbox import Outbox


class SqlUnitOfWork:
    def __init__(self, session: AsyncSession, outbox: Outbox) -> None:
        self.session = session
        self.trajectories = SqlTrajectoryRepository(session)
        self.intakes = SqlIntakeLog(session)
        self._outbox = outbox

    async def publish(self, trajectory: AftercareTrajectory, *, now: datetime) -> None:
        case_id = uuid.UUID(trajectory.case_id)
        for event in trajectory.pull_events():
            wire = to_integration_event(event, trajectory)
            if wire is not None:
                await self._outbox.add(self.session, wire, case_id=case_id, occurred_at=now)
            after_commit(self.session, partial(
                metrics.observe, event, member_id=trajectory.member_id,
                corporation_id=trajectory.corporation_id,
            ))

    async def publish_return(self, found: ReturnFound, *, now: datetime) -> None:
        trajectory = found.trajectory
        await self._outbox.add(self.session, return_event(found),
                               case_id=uuid.UUID(trajectory.case_id), occurred_at=now)
        after_commit(self.session, partial(
            metrics.observe_return, found.window, member_id=trajectory.member_id
        ))


def unit_of_work_factory(
    sessions: async_sessionmaker[AsyncSession], outbox: Outbox
) -> Callable[[], AbstractAsyncContextManager[SqlUnitOfWork]]:
    """A new transaction per call: `async with new_uow() as uow: ...` commits at the end."""

    @asynccontextmanager
    async def new_uow() -> AsyncIterator[SqlUnitOfWork]:
        async with sessions() as session, session.begin():
            yield SqlUnitOfWork(session, outbox)

    return new_uow
