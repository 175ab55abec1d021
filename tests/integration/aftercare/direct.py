"""The aftercare's repository and use cases straight on a database (no HTTP, no Kafka): for
tests that look inside a transaction, on a database of their own (the `engine` fixture)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from services.aftercare.adapters.db import tables
from services.aftercare.adapters.db.unit_of_work import SqlUnitOfWork, unit_of_work_factory
from services.aftercare.domain.checkin import CheckIn, CheckInStatus
from services.aftercare.domain.outcomes import Contract, ContractType
from services.aftercare.domain.policy import AftercarePolicy
from services.aftercare.domain.trajectory import AftercareTrajectory
from shared.clock import ManualClock
from shared.outbox import Outbox
from tests.integration.aftercare.harness import unique

NOW = datetime(2090, 6, 1, 9, 0, tzinfo=UTC)


def new_uow(engine: AsyncEngine) -> Callable[[], AbstractAsyncContextManager[SqlUnitOfWork]]:
    outbox = Outbox(tables.outbox, "aftercare", ManualClock(NOW))
    return unit_of_work_factory(async_sessionmaker(engine, expire_on_commit=False), outbox)


async def opened(engine: AsyncEngine, member: str, start: date,
                 checkins: tuple[date, ...] = ()) -> str:
    trajectory = AftercareTrajectory.open(
        trajectory_id=str(uuid.uuid4()), case_id=str(uuid.uuid4()), client_ref=unique("ref"),
        member_id=member, corporation_id=unique("c"), home_id=str(uuid.uuid4()),
        tenancy_start=start, contract=Contract(ContractType.OWN_NAME), policy=AftercarePolicy())
    for held_on in checkins:
        trajectory.record_checkin(CheckIn(checkin_id=str(uuid.uuid4()), held_on=held_on,
                                          status=CheckInStatus.STABLE), today=held_on)
    async with new_uow(engine)() as uow:
        await uow.trajectories.add(trajectory, by="test", at=NOW)
    return trajectory.trajectory_id
