"""How long the intake keeps personal data (bewaartermijn).

Default: 24 months after the case ended. A case ends when aftercare ends (the intake is closed on
AftercareCompleted), or, when the client was never housed, when it was withdrawn. After that the
personal data is erased and only the pseudonymous statistical record stays: enough to count
throughput times and returns to homelessness, nothing that names the person.
"""

from __future__ import annotations

import calendar
from datetime import datetime

DEFAULT_RETENTION_MONTHS = 24


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later; a missing day becomes the month's last (31 Jan → 28 Feb)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def erasure_due_at(ended_at: datetime, period_months: int = DEFAULT_RETENTION_MONTHS) -> datetime:
    if period_months < 0:
        raise ValueError("the retention period cannot be negative")
    return add_months(ended_at, period_months)


def erasure_due(
    ended_at: datetime, now: datetime, period_months: int = DEFAULT_RETENTION_MONTHS
) -> bool:
    """True from the moment the retention period after `ended_at` has passed."""
    return now >= erasure_due_at(ended_at, period_months)
