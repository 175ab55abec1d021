"""Decision deadlines in Dutch working days.

The corporation decides on a proposal within N working days (default 5). Choices, also in
``docs/matching-rules.md``:

* **Working day**: Monday to Friday, not a Dutch public holiday. The holidays come from the
  ``holidays`` package (``holidays.Netherlands``, public category): Nieuwjaarsdag, Goede
  Vrijdag, Tweede Paasdag, Koningsdag (27 April, or 26 April when the 27th is a Sunday),
  Hemelvaartsdag, Tweede Pinksterdag, Eerste en Tweede Kerstdag; plus Bevrijdingsdag (5 May)
  **only in lustrum years** (2025, 2030, ...), which is when most collective agreements give
  the day off. A region that follows the Algemene termijnenwet (5 May every year) sets
  ``WorkingCalendar(liberation_day=LiberationDay.EVERY_YEAR)``; days a region or corporation
  also closes (the Friday after Ascension, say) go in ``extra_closed_days``.
* **Counting** starts the day *after* the proposal's local date, whatever day that is: a
  proposal on Monday gets Monday next week; one on Saturday gets the Friday after.
* **Time of day**: the deadline is at the *same local wall-clock time* as the proposal, on the
  N-th working day (Europe/Amsterdam, so a deadline across the change to summer time keeps its
  wall-clock hour). A decision is in time when it is made strictly before the deadline.
* The result is returned in the time zone of the input; inputs must carry a time zone.

Time is always passed in; nothing here reads a clock.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import holidays as holidays_package

from .errors import InvalidInput

DEFAULT_DECISION_WORKING_DAYS = 5
"""The corporation's default decision period (DESIGN: "default 5 working days")."""


class LiberationDay(StrEnum):
    """Whether Bevrijdingsdag (5 May) is a day off."""

    LUSTRUM_ONLY = "lustrum_only"
    """Only every five years (2025, 2030, ...): the ``holidays`` package's public calendar."""
    EVERY_YEAR = "every_year"
    """Every year, as the Algemene termijnenwet counts it."""


@functools.lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays_package.country_holidays("NL", years=year).keys())


@functools.lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Which days count as working days for decision deadlines."""

    liberation_day: LiberationDay = LiberationDay.LUSTRUM_ONLY
    extra_closed_days: frozenset[date] = frozenset()
    time_zone: str = "Europe/Amsterdam"

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.time_zone)

    def holidays_in(self, year: int) -> frozenset[date]:
        """The non-weekend days off in ``year`` under this calendar."""
        days = set(_public_holidays(year))
        if self.liberation_day is LiberationDay.EVERY_YEAR:
            days.add(date(year, 5, 5))
        days.update(day for day in self.extra_closed_days if day.year == year)
        return frozenset(days)

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday and not a holiday or extra closed day."""
        return day.weekday() < 5 and day not in self.holidays_in(day.year)

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (before it when ``count`` is negative).

        ``day`` itself is never counted; ``count == 0`` returns ``day`` unchanged.
        """
        step = timedelta(days=1 if count > 0 else -1)
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day


def _require_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"The {what} must carry a time zone.")


def _shift_working_days(moment: datetime, count: int, calendar: WorkingCalendar) -> datetime:
    zone = calendar.zone
    local = moment.astimezone(zone)
    target_day = calendar.add_working_days(local.date(), count)
    shifted = datetime.combine(target_day, local.time(), tzinfo=zone)
    return shifted.astimezone(moment.tzinfo)


def local_date(moment: datetime, calendar: WorkingCalendar | None = None) -> date:
    """The calendar day of ``moment`` in the calendar's time zone (Europe/Amsterdam)."""
    _require_aware(moment, "time")
    return moment.astimezone((calendar or WorkingCalendar()).zone).date()


def decision_deadline(
    proposed_at: datetime,
    working_days: int = DEFAULT_DECISION_WORKING_DAYS,
    calendar: WorkingCalendar | None = None,
) -> datetime:
    """The moment the corporation's decision is due: ``working_days`` Dutch working days after
    the proposal, at the same local time of day."""
    _require_aware(proposed_at, "proposal time")
    if working_days < 1:
        raise InvalidInput("The decision period must be at least one working day.")
    return _shift_working_days(proposed_at, working_days, calendar or WorkingCalendar())


def reminder_due(deadline: datetime, calendar: WorkingCalendar | None = None) -> datetime:
    """When to remind the corporation: one working day before the deadline, same local time.

    With a one-day decision period this can fall at or before the proposal itself; the caller
    then skips the reminder.
    """
    _require_aware(deadline, "deadline")
    return _shift_working_days(deadline, -1, calendar or WorkingCalendar())
