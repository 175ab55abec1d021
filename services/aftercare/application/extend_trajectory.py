"""Verlenging: aftercare continues beyond the agreed length, for a reason.

Rules: whole months, at least one; a reason is required and stays in this service; the
schedule continues every few months after the old end with a check-in on the new end; a
completed trajectory cannot be extended.
"""

from __future__ import annotations

from datetime import date, datetime

from services.aftercare.application._access import load_for_member
from services.aftercare.application.ports import AftercareUnitOfWork
from services.aftercare.domain.trajectory import AftercareTrajectory


async def extend_trajectory(
    uow: AftercareUnitOfWork, *, trajectory_id: str, member_id: str, supporter: str,
    months: int, reason: str, now: datetime, today: date,
) -> AftercareTrajectory:
    trajectory = await load_for_member(uow, trajectory_id, member_id, lock=True)
    trajectory.extend(months=months, reason=reason, today=today)
    await uow.trajectories.save(trajectory, by=supporter, at=now)
    await uow.publish(trajectory, now=now)
    return trajectory
