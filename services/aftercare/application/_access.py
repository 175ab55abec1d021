"""Loading a trajectory on behalf of a supporting organisation."""

from __future__ import annotations

from services.aftercare.application.errors import TrajectoryNotFound
from services.aftercare.application.ports import AftercareUnitOfWork
from services.aftercare.domain.trajectory import AftercareTrajectory


async def load_for_member(
    uow: AftercareUnitOfWork, trajectory_id: str, member_id: str | None, *, lock: bool
) -> AftercareTrajectory:
    """The trajectory, if ``member_id`` supports it (None: the coordinator, any trajectory).

    Another organisation's trajectory does not exist as far as the caller can tell.
    """
    trajectory = await uow.trajectories.get(trajectory_id, lock=lock)
    if trajectory is None or (member_id is not None and trajectory.member_id != member_id):
        raise TrajectoryNotFound("no such trajectory")
    return trajectory
