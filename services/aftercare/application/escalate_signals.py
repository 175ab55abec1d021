"""The escalation sweep: a signal nobody picked up in time goes to the coordinator, once.

Rules: escalation comes `escalation_days` calendar days after the signal was raised, in
business time; a picked-up signal, or one on a completed trajectory, never escalates; the
coordinator learns only the pseudonymous references (SignalEscalated).
"""

from __future__ import annotations

from datetime import datetime

from services.aftercare.application.alert_overdue_checkins import UnitOfWorkFactory

SWEEP = "escalation-sweep"


async def escalate_unanswered_signals(new_uow: UnitOfWorkFactory, *, now: datetime) -> int:
    """Escalate every signal due at ``now``; returns how many went to the coordinator."""
    async with new_uow() as uow:
        trajectory_ids = await uow.trajectories.with_unanswered_signals(now)
    escalated = 0
    for trajectory_id in trajectory_ids:
        async with new_uow() as uow:
            trajectory = await uow.trajectories.get(trajectory_id, lock=True)
            if trajectory is None:
                continue
            signals = trajectory.signals_to_escalate(now)
            if signals:
                await uow.trajectories.save(trajectory, by=SWEEP, at=now)
                await uow.publish(trajectory, now=now)
                escalated += len(signals)
    return escalated
