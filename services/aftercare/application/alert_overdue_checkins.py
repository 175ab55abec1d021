"""The overdue sweep: a check-in not recorded by its due date plus the grace days alerts once.

Rules: each missed due date raises one CheckInOverdue however often the sweep runs (the
alerted due dates are saved with the trajectory); completed trajectories have nothing
overdue. The sweep also counts what is overdue now per member organisation, for the gauge.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime

from services.aftercare.application.ports import AftercareUnitOfWork

UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[AftercareUnitOfWork]]
SWEEP = "overdue-sweep"


async def alert_overdue_checkins(
    new_uow: UnitOfWorkFactory, *, today: date, now: datetime
) -> dict[str, int]:
    """Alert newly overdue check-ins; returns the overdue count per member (0s included).

    Only the trajectories with an alert to send are read whole: each trajectory keeps, with
    every write, from when its pending check-ins are overdue (`overdue_scan`)."""
    async with new_uow() as uow:
        scan = await uow.trajectories.overdue_scan(today)
    for trajectory_id in scan.to_alert:
        await _alert(new_uow, trajectory_id, today=today, now=now)
    return scan.per_member


async def _alert(
    new_uow: UnitOfWorkFactory, trajectory_id: str, *, today: date, now: datetime
) -> None:
    async with new_uow() as uow:
        # Reloaded under the row lock: a check-in recorded meanwhile may have fulfilled it.
        trajectory = await uow.trajectories.get(trajectory_id, lock=True)
        if trajectory is None or not trajectory.alert_overdue_checkins(today):
            return
        await uow.trajectories.save(trajectory, by=SWEEP, at=now)
        await uow.publish(trajectory, now=now)
