"""Afsluiting: the supporter closes the trajectory with its outcome.

Rules: at the end of the year or earlier, never before the tenancy start; the outcome is one
of the agreed list; a completed trajectory cannot change. An intermediary contract becomes due
for omklap (ContractConversionDue) only after a stable year, and not before its own term.
"""

from __future__ import annotations

from datetime import date, datetime

from services.aftercare.application._access import load_for_member
from services.aftercare.application.ports import AftercareUnitOfWork
from services.aftercare.domain.outcomes import Outcome
from services.aftercare.domain.trajectory import AftercareTrajectory


async def complete_trajectory(
    uow: AftercareUnitOfWork, *, trajectory_id: str, member_id: str, supporter: str,
    outcome: Outcome, now: datetime, today: date,
) -> AftercareTrajectory:
    trajectory = await load_for_member(uow, trajectory_id, member_id, lock=True)
    trajectory.complete(outcome, today)
    await uow.trajectories.save(trajectory, by=supporter, at=now)
    await uow.publish(trajectory, now=now)
    return trajectory
