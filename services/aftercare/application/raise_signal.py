"""Vroegsignalering: a corporation reports an early-warning signal on a tenancy.

Rules: the corporation names the tenancy by its home or by the trajectory; the signal goes to
the open trajectory of that tenancy at that corporation (a home let again has one open
trajectory at most); a home or trajectory of another corporation is unknown to the caller; a
tenancy whose aftercare has ended takes no signals. The signal escalates to the coordinator
when nobody picks it up in time (the region's escalation days).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from services.aftercare.application.errors import TenancyAftercareEnded, UnknownTenancy
from services.aftercare.application.ports import AftercareUnitOfWork
from services.aftercare.domain.signals import Signal, SignalKind
from services.aftercare.domain.trajectory import AftercareTrajectory


async def raise_signal(
    uow: AftercareUnitOfWork, *, corporation_id: str, reporter: str, kind: SignalKind,
    months_owed: int | None, description: str, home_id: str | None,
    trajectory_id: str | None, now: datetime, today: date,
) -> tuple[AftercareTrajectory, Signal]:
    trajectory = await _route(uow, corporation_id, home_id=home_id, trajectory_id=trajectory_id)
    signal = trajectory.raise_signal(
        signal_id=str(uuid.uuid4()), kind=kind, raised_at=now, raised_on=today,
        months_owed=months_owed,
        description=description,
    )
    await uow.trajectories.save(trajectory, by=reporter, at=now)
    await uow.publish(trajectory, now=now)
    return trajectory, signal


async def _route(
    uow: AftercareUnitOfWork, corporation_id: str, *, home_id: str | None,
    trajectory_id: str | None,
) -> AftercareTrajectory:
    if trajectory_id is not None:
        trajectory = await uow.trajectories.get(trajectory_id, lock=True)
        if trajectory is None or trajectory.corporation_id != corporation_id:
            raise UnknownTenancy(
                "no aftercare trajectory with this id for a tenancy at your corporation",
                "trajectory_id",
            )
        candidates = [trajectory]
    else:
        assert home_id is not None
        ids = await uow.trajectories.for_home(home_id, corporation_id)
        if not ids:
            raise UnknownTenancy(
                "no tenancy with aftercare is known for this home at your corporation",
                "home_id",
            )
        candidates = [t for i in ids if (t := await uow.trajectories.get(i, lock=True))]
    for trajectory in candidates:
        if not trajectory.is_completed:
            return trajectory
    raise TenancyAftercareEnded(
        "aftercare for this tenancy has ended; contact the supporting organisation directly"
    )
