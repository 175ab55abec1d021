"""Returns to homelessness (terugval): a new intake for a client who was housed.

Rules (HUD SPM 2, docs/aftercare-rules.md): a new IntakeSubmitted for the same pseudonymous
client_ref, 0–730 days after a tenancy start, is a return; "within 12 months" is within 365
days. Each tenancy counts once, with its client's earliest intake on or after the start, and
the intake that led to the tenancy itself never counts. Every intake is remembered, so the
order in which the tenancy and the new intake arrive does not matter.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from services.aftercare.application.ports import AftercareUnitOfWork, ReturnFound, SeenIntake
from services.aftercare.domain.returns import classify_return
from services.aftercare.domain.trajectory import AftercareTrajectory


async def detect_return(
    uow: AftercareUnitOfWork, intake: SeenIntake, *, now: datetime
) -> list[ReturnFound]:
    """Remember ``intake`` and record the returns it makes (none for a repeat delivery)."""
    tenancies = await uow.intakes.remember(intake)
    if tenancies is None:
        return []
    found = []
    for trajectory_id in tenancies:
        trajectory = await uow.trajectories.get(trajectory_id, lock=True)
        if trajectory is not None:
            result = await record_first_return(uow, trajectory, [intake], now=now)
            if result is not None:
                found.append(result)
    return found


async def record_first_return(
    uow: AftercareUnitOfWork, trajectory: AftercareTrajectory, intakes: Iterable[SeenIntake],
    *, now: datetime,
) -> ReturnFound | None:
    """The tenancy's return among ``intakes``, recorded and published once per tenancy."""
    later = sorted(
        (i for i in intakes
         if i.case_id != trajectory.case_id and i.submitted_on >= trajectory.tenancy_start),
        key=lambda i: i.submitted_on,
    )
    if not later or await uow.intakes.has_return(trajectory.trajectory_id):
        return None
    window = classify_return(trajectory.tenancy_start, later[0].submitted_on)
    if window is None:
        return None
    found = ReturnFound(trajectory=trajectory, intake=later[0], window=window)
    await uow.intakes.record_return(found, now=now)
    await uow.publish_return(found, now=now)
    return found
