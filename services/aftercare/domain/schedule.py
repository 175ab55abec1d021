"""The check-in schedule (contactschema) of a trajectory and which check-in fulfils what.

Due dates are calendar months after the tenancy start, each counted from the start itself
(not from the previous due date), with the day clamped to the end of a shorter month:
a tenancy starting Jan 31 has check-ins due Feb 28 (Feb 29 in a leap year), Mar 31, Apr 30.

Matching rule (see docs/aftercare-rules.md): every due check-in has a window that opens
``early_days`` before its due date and runs until the next window opens (the last window
stays open). A check-in fulfils the due check-in whose window contains its date, if that one
is still unfulfilled; later check-ins in the same window are extra contacts. A due check-in
that is still unfulfilled when a check-in lands in a later window is missed: the supporter
has caught up with the schedule, and the old date is not carried along as a debt.
"""

import calendar
from bisect import bisect_right
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from services.aftercare.domain.checkin import CheckIn
from services.aftercare.domain.policy import AftercarePolicy


def add_months(start: date, months: int) -> date:
    """``start`` plus whole calendar months; the day is clamped to the month's last day."""
    year, month_index = divmod(start.month - 1 + months, 12)
    year += start.year
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return date(year, month_index + 1, min(start.day, last_day))


def checkin_months(policy: AftercarePolicy, extension_months: Iterable[int]) -> tuple[int, ...]:
    """Months at which a check-in is due, including those an extension (verlenging) adds.

    An extension continues the rhythm of ``extension_checkin_interval_months`` after the old
    end and always adds a check-in at the new end, the closing conversation.
    """
    months = list(policy.checkin_months)
    end = policy.length_months
    step = policy.extension_checkin_interval_months
    for extra in extension_months:
        new_end = end + extra
        months.extend(range(end + step, new_end, step))
        months.append(new_end)
        end = new_end
    return tuple(months)


@dataclass(frozen=True)
class ScheduledCheckIn:
    """A check-in the schedule asks for; ``overdue_from`` is the first overdue day."""

    month: int
    due_on: date
    opens_on: date
    overdue_from: date


def build_schedule(
    tenancy_start: date, months: Sequence[int], policy: AftercarePolicy
) -> tuple[ScheduledCheckIn, ...]:
    """The scheduled check-ins for ``months`` after ``tenancy_start``."""
    return tuple(_scheduled(tenancy_start, month, policy) for month in months)


def _scheduled(tenancy_start: date, month: int, policy: AftercarePolicy) -> ScheduledCheckIn:
    due_on = add_months(tenancy_start, month)
    return ScheduledCheckIn(
        month=month,
        due_on=due_on,
        opens_on=due_on - timedelta(days=policy.early_days),
        overdue_from=due_on + timedelta(days=policy.grace_days + 1),
    )


class DueStatus(StrEnum):
    """Where a scheduled check-in stands."""

    PENDING = "pending"
    FULFILLED = "fulfilled"
    MISSED = "missed"  # a later check-in overtook it, or it was overdue at closing
    CANCELLED = "cancelled"  # vervallen: the trajectory closed before it became overdue


@dataclass(frozen=True, kw_only=True)
class DueCheckIn:
    """A scheduled check-in with its status; ``alerted`` once its overdue alert went out."""

    month: int
    due_on: date
    opens_on: date
    overdue_from: date
    status: DueStatus
    fulfilled_by: str | None = None
    fulfilled_on: date | None = None
    alerted: bool = False

    def is_overdue(self, today: date) -> bool:
        """Not recorded by due date + grace days."""
        return self.status is DueStatus.PENDING and today >= self.overdue_from


def resolve_schedule(
    schedule: Sequence[ScheduledCheckIn],
    checkins: Iterable[CheckIn],
    *,
    completed_on: date | None,
    alerted: Collection[date],
) -> tuple[DueCheckIn, ...]:
    """Each scheduled check-in with its status, derived from all check-ins recorded so far.

    Derived rather than stored, so a check-in recorded late with an earlier date still lands
    on the due date it belongs to.
    """
    first_in_window = _first_checkin_per_window(schedule, checkins)
    latest_window = max(first_in_window, default=-1)
    return tuple(
        _resolve_one(
            scheduled,
            first_in_window.get(index),
            overtaken=index < latest_window,
            completed_on=completed_on,
            alerted=scheduled.due_on in alerted,
        )
        for index, scheduled in enumerate(schedule)
    )


def _first_checkin_per_window(
    schedule: Sequence[ScheduledCheckIn], checkins: Iterable[CheckIn]
) -> dict[int, CheckIn]:
    opens = [scheduled.opens_on for scheduled in schedule]
    first: dict[int, CheckIn] = {}
    # sorted() is stable: of two check-ins on one day, the one recorded first counts.
    for checkin in sorted(checkins, key=lambda c: c.held_on):
        window = bisect_right(opens, checkin.held_on) - 1
        if window >= 0:
            first.setdefault(window, checkin)
    return first


def _resolve_one(
    scheduled: ScheduledCheckIn,
    checkin: CheckIn | None,
    *,
    overtaken: bool,
    completed_on: date | None,
    alerted: bool,
) -> DueCheckIn:
    status = _status(scheduled, checkin, overtaken=overtaken, completed_on=completed_on)
    return DueCheckIn(
        month=scheduled.month,
        due_on=scheduled.due_on,
        opens_on=scheduled.opens_on,
        overdue_from=scheduled.overdue_from,
        status=status,
        fulfilled_by=checkin.checkin_id if checkin else None,
        fulfilled_on=checkin.held_on if checkin else None,
        alerted=alerted,
    )


def _status(
    scheduled: ScheduledCheckIn,
    checkin: CheckIn | None,
    *,
    overtaken: bool,
    completed_on: date | None,
) -> DueStatus:
    if checkin is not None:
        return DueStatus.FULFILLED
    if overtaken:
        return DueStatus.MISSED
    if completed_on is None:
        return DueStatus.PENDING
    # At closing, only what was already overdue counts against the schedule.
    return DueStatus.MISSED if completed_on >= scheduled.overdue_from else DueStatus.CANCELLED
