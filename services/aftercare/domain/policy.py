"""The regional aftercare policy: how long ambulante nazorg lasts and how closely it is watched.

Regions differ (a longer year, a denser schedule), so every number the rules use lives here
and a trajectory keeps the policy it was opened under: a later change of policy does not
rewrite the schedule of trajectories already running.
"""

from dataclasses import dataclass
from itertools import pairwise

from services.aftercare.domain.errors import InvalidPolicyError

DEFAULT_CHECKIN_MONTHS = (1, 2, 3, 6, 9, 12)

# The shortest gap between two calendar-month due dates is 28 days (Jan 31 → Feb 28).
# A check-in window that opens 28 days or more early could swallow the previous due date.
_SHORTEST_MONTH_DAYS = 28


@dataclass(frozen=True, kw_only=True)
class AftercarePolicy:
    """Numbers of one region's aftercare (nazorg) rules.

    - ``length_months``: length of the trajectory from the tenancy start (default one year).
    - ``checkin_months``: months after the tenancy start at which a check-in is due.
    - ``grace_days``: a due check-in is overdue once this many days after its due date have
      passed without one (on due + grace it is still on time).
    - ``early_days``: a check-in counts for a due date from this many days before it.
    - ``escalation_days``: an unanswered vroegsignalering signal goes to the coordinator after
      this many days.
    - ``extension_checkin_interval_months``: check-in rhythm during an extension.
    """

    length_months: int = 12
    checkin_months: tuple[int, ...] = DEFAULT_CHECKIN_MONTHS
    grace_days: int = 14
    early_days: int = 7
    escalation_days: int = 5
    extension_checkin_interval_months: int = 3

    def __post_init__(self) -> None:
        _require(self.length_months >= 1, "length_months must be at least 1")
        _require_increasing_months(self.checkin_months, self.length_months)
        _require(self.grace_days >= 0, "grace_days cannot be negative")
        _require(
            0 <= self.early_days < _SHORTEST_MONTH_DAYS,
            f"early_days must be between 0 and {_SHORTEST_MONTH_DAYS - 1}",
        )
        _require(self.escalation_days >= 1, "escalation_days must be at least 1")
        _require(
            self.extension_checkin_interval_months >= 1,
            "extension_checkin_interval_months must be at least 1",
        )


def _require_increasing_months(months: tuple[int, ...], length_months: int) -> None:
    _require(len(months) >= 1, "checkin_months needs at least one month")
    _require(months[0] >= 1, "the first check-in is due at month 1 or later")
    _require(
        all(a < b for a, b in pairwise(months)),
        "checkin_months must be strictly increasing",
    )
    _require(months[-1] <= length_months, "a check-in cannot be due after the trajectory ends")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise InvalidPolicyError(message)
