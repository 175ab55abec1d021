"""Open a year of ambulant aftercare (ambulante nazorg) when a tenancy starts."""

from __future__ import annotations

import uuid
from datetime import date

from dateutil.relativedelta import relativedelta
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.aftercare.adapters.db.tables import trajectories
from shared.clock import Clock
from shared.envelope import Envelope
from shared.events import Event
from shared.events.aftercare import TrajectoryOpened
from shared.events.matching import TenancyStarted
from shared.outbox import Outbox

LENGTH_MONTHS = 12


def ends_on(tenancy_start: date, months: int = LENGTH_MONTHS) -> date:
    return tenancy_start + relativedelta(months=months)


async def open_trajectory(
    session: AsyncSession, event: Event, envelope: Envelope, *, outbox: Outbox, clock: Clock
) -> None:
    assert isinstance(event, TenancyStarted)
    trajectory_id = uuid.uuid4()
    end = ends_on(event.start_date)
    inserted = await session.execute(insert(trajectories).values(
        trajectory_id=trajectory_id, case_id=envelope.case_id, client_ref=event.client_ref,
        member_id=event.member_id, corporation_id=event.corporation_id, home_id=event.home_id,
        tenancy_start=event.start_date, ends_on=end,
        contract=event.contract.model_dump(mode="json"), status="open", state={},
        opened_at=clock.now(),
    ).on_conflict_do_nothing().returning(trajectories.c.trajectory_id))
    if inserted.first() is None:
        return  # this case already has a trajectory
    await outbox.add(session, TrajectoryOpened(
        trajectory_id=trajectory_id, client_ref=event.client_ref, member_id=event.member_id,
        tenancy_start=event.start_date, ends_on=end,
    ), case_id=envelope.case_id)
