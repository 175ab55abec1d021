"""What the supporter's werklijst, the coordinator's views and the corporation ask for."""

from __future__ import annotations

from datetime import date, datetime

from services.aftercare.application._access import load_for_member
from services.aftercare.application.ports import AftercareUnitOfWork
from services.aftercare.domain.attention import order_by_attention
from services.aftercare.domain.returns import (
    HousedTenancy,
    NewIntake,
    ReturnsByCohort,
    returns_by_cohort,
)
from services.aftercare.domain.trajectory import AftercareTrajectory


async def trajectories_by_attention(
    uow: AftercareUnitOfWork, *, member_id: str | None, now: datetime, today: date
) -> list[AftercareTrajectory]:
    """The werklijst: what needs the supporter first on top (the domain's attention order)."""
    listed = await uow.trajectories.listing(member_id=member_id)
    return order_by_attention(listed, now=now, today=today)


async def returns_per_cohort(
    uow: AftercareUnitOfWork, *, as_of: date, member_id: str | None = None
) -> tuple[ReturnsByCohort, ...]:
    """Returns to homelessness per cohort (year of tenancy start), as known on ``as_of``."""
    housed = await uow.trajectories.listing(member_id=member_id)
    intakes = await uow.intakes.of_clients({t.client_ref for t in housed})
    return returns_by_cohort(
        (HousedTenancy(t.client_ref, t.tenancy_start) for t in housed),
        (NewIntake(i.client_ref, i.submitted_on) for i in intakes),
        as_of=as_of,
    )


async def trajectory_for(
    uow: AftercareUnitOfWork, trajectory_id: str, *, member_id: str | None
) -> AftercareTrajectory:
    """One trajectory, if the caller's organisation supports it (None: the coordinator)."""
    return await load_for_member(uow, trajectory_id, member_id, lock=False)
