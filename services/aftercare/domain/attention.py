"""Who needs the supporter first: the order of the supporter's werklijst.

Most urgent first: a signal already with the coordinator, then any signal not yet picked up,
then a missed check-in, then a tenant whose last check-in was a crisis, then one needing
attention; within a tier, the earliest next due check-in; the trajectory id breaks ties so
the list is stable. Completed trajectories sink to the bottom.
"""

from collections.abc import Iterable
from datetime import date, datetime
from enum import IntEnum
from typing import NamedTuple

from services.aftercare.domain.checkin import CheckInStatus
from services.aftercare.domain.trajectory import AftercareTrajectory


class AttentionTier(IntEnum):
    """Why a trajectory sits where it does; lower comes first."""

    ESCALATED_SIGNAL = 0
    OPEN_SIGNAL = 1
    OVERDUE_CHECKIN = 2
    CRISIS = 3
    ATTENTION = 4
    ON_TRACK = 5
    COMPLETED = 6


class AttentionKey(NamedTuple):
    tier: AttentionTier
    next_due_on: date  # date.max when nothing is due any more
    trajectory_id: str


def attention_tier(trajectory: AftercareTrajectory, *, now: datetime, today: date) -> AttentionTier:
    """The most urgent reason to look at ``trajectory``.

    ``now`` judges signals (escalation counts from the moment it is due, even before the
    sweep has sent it), ``today`` judges check-ins; both come from the caller's clock.
    """
    if trajectory.is_completed:
        return AttentionTier.COMPLETED
    signals = trajectory.open_signals
    if any(signal.is_escalated(now) for signal in signals):
        return AttentionTier.ESCALATED_SIGNAL
    if signals:
        return AttentionTier.OPEN_SIGNAL
    if trajectory.overdue_checkins(today):
        return AttentionTier.OVERDUE_CHECKIN
    return _tier_by_last_status(trajectory.last_checkin_status)


def _tier_by_last_status(status: CheckInStatus | None) -> AttentionTier:
    if status is CheckInStatus.CRISIS:
        return AttentionTier.CRISIS
    if status is CheckInStatus.ATTENTION:
        return AttentionTier.ATTENTION
    return AttentionTier.ON_TRACK


def attention_key(trajectory: AftercareTrajectory, *, now: datetime, today: date) -> AttentionKey:
    """Sort key for the supporter's list (ascending = most urgent first)."""
    return AttentionKey(
        tier=attention_tier(trajectory, now=now, today=today),
        next_due_on=trajectory.next_due_on() or date.max,
        trajectory_id=trajectory.trajectory_id,
    )


def order_by_attention(
    trajectories: Iterable[AftercareTrajectory], *, now: datetime, today: date
) -> list[AftercareTrajectory]:
    """``trajectories`` most urgent first."""
    return sorted(trajectories, key=lambda t: attention_key(t, now=now, today=today))
