"""The overdue sweep: a check-in not recorded by its due date plus the grace days alerts once.

Rules: each missed due date raises one CheckInOverdue however often the sweep runs (the
alerted due dates are saved with the trajectory); completed trajectories have nothing
overdue. The sweep also counts what is overdue now per member organisation, for the gauge.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime

from services.aftercare.application.ports import AftercareUnitOfWork

UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[AftercareUnitOfWork]]
SWEEP = "overdue-sweep"


async def alert_overdue_checkins(
    new_uow: UnitOfWorkFactory, *, today: date, now: datetime
) -> dict[str, int]:
    """Alert newly overdue check-ins; returns the overdue count per member (0s included)."""
    async with new_uow() as uow:
        running = await uow.trajectories.listing(open_only=True)
    overdue: Counter[str] = Counter({t.member_id: 0 for t in running})
    for trajectory in running:
        due = trajectory.overdue_checkins(today)
        overdue[trajectory.member_id] += len(due)
        if any(not d.alerted for d in due):
            await _alert(new_uow, trajectory.trajectory_id, today=today, now=now)
    return dict(overdue)


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
