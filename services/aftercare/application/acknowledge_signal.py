"""The supporter picks up (acknowledges) a vroegsignalering signal.

Rules: only the supporting organisation of the signal's trajectory picks it up; once; an
escalated signal can still be picked up; once picked up it no longer escalates. The
corporation that raised it can then see that it was picked up.
"""

from __future__ import annotations

from datetime import datetime

from services.aftercare.application.errors import SignalNotFound
from services.aftercare.application.ports import AftercareUnitOfWork
from services.aftercare.domain.signals import Signal
from services.aftercare.domain.trajectory import AftercareTrajectory


async def acknowledge_signal(
    uow: AftercareUnitOfWork, *, signal_id: str, member_id: str, supporter: str,
    now: datetime,
) -> tuple[AftercareTrajectory, Signal]:
    ref = await uow.trajectories.signal(signal_id)
    trajectory = await uow.trajectories.get(ref.trajectory_id, lock=True) if ref else None
    if trajectory is None or trajectory.member_id != member_id:
        raise SignalNotFound("no such signal")
    signal = trajectory.acknowledge_signal(signal_id, by=supporter, now=now)
    await uow.trajectories.save(trajectory, by=supporter, at=now)
    await uow.publish(trajectory, now=now)
    return trajectory, signal
