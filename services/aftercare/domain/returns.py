"""Returns to homelessness (terugval): a new intake for the same client after being housed.

Modelled on HUD's System Performance Measure 2, which counts returns 0–180, 181–365 and
366–730 days after an exit to permanent housing. Here the exit is the tenancy start and the
return is a new intake for the same pseudonymous ``client_ref``. "Within 12 months" is within
365 days and "within 24 months" within 730 days, as in the SPM, so that the figures compare.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction

DAYS_12_MONTHS = 365
DAYS_24_MONTHS = 730


class ReturnBucket(StrEnum):
    """The SPM's day buckets, counted from the tenancy start (day 0 is the same day)."""

    DAYS_0_180 = "0-180"
    DAYS_181_365 = "181-365"
    DAYS_366_730 = "366-730"


@dataclass(frozen=True)
class ReturnWindow:
    """When, after the tenancy start, a client came back into the shelter chain."""

    days_after_tenancy_start: int
    bucket: ReturnBucket

    @property
    def within_12_months(self) -> bool:
        return self.days_after_tenancy_start <= DAYS_12_MONTHS

    @property
    def within_24_months(self) -> bool:
        return self.days_after_tenancy_start <= DAYS_24_MONTHS


def classify_return(tenancy_start: date, new_intake_at: date) -> ReturnWindow | None:
    """The return window of a new intake, or None when it is no return.

    An intake before the tenancy start belongs to the road into the home, not a fall back out
    of it; one after day 730 is outside the measure.
    """
    days = (new_intake_at - tenancy_start).days
    if days < 0 or days > DAYS_24_MONTHS:
        return None
    return ReturnWindow(days_after_tenancy_start=days, bucket=_bucket(days))


def _bucket(days: int) -> ReturnBucket:
    if days <= 180:
        return ReturnBucket.DAYS_0_180
    if days <= DAYS_12_MONTHS:
        return ReturnBucket.DAYS_181_365
    return ReturnBucket.DAYS_366_730


@dataclass(frozen=True)
class HousedTenancy:
    """A client housed on ``tenancy_start``; one client may be housed more than once."""

    client_ref: str
    tenancy_start: date


@dataclass(frozen=True)
class NewIntake:
    """An intake submitted for ``client_ref`` on ``submitted_on``."""

    client_ref: str
    submitted_on: date


@dataclass(frozen=True, kw_only=True)
class ReturnsByCohort:
    """Returns of the clients housed in one calendar year (the cohort).

    Counts are what has been observed up to ``as_of``. A cohort is ``final_12_months`` once
    its last member has been housed 365 days (730 for ``final_24_months``); before that its
    rate is provisional and can still rise.
    """

    cohort_year: int
    housed: int
    returned_within_12_months: int
    returned_within_24_months: int
    final_12_months: bool
    final_24_months: bool

    @property
    def rate_within_12_months(self) -> Fraction:
        return Fraction(self.returned_within_12_months, self.housed)

    @property
    def rate_within_24_months(self) -> Fraction:
        return Fraction(self.returned_within_24_months, self.housed)


def returns_by_cohort(
    tenancies: Iterable[HousedTenancy], intakes: Iterable[NewIntake], *, as_of: date
) -> tuple[ReturnsByCohort, ...]:
    """Returns per cohort year, oldest cohort first.

    Every tenancy counts once. Its return is the client's earliest intake on or after the
    tenancy start; tenancies and intakes after ``as_of`` are not yet known and ignored.
    """
    intake_dates = _intake_dates_by_client(intakes, as_of)
    cohorts: dict[int, list[ReturnWindow | None]] = defaultdict(list)
    for tenancy in tenancies:
        if tenancy.tenancy_start <= as_of:
            window = _first_return(tenancy, intake_dates.get(tenancy.client_ref, ()))
            cohorts[tenancy.tenancy_start.year].append(window)
    return tuple(_cohort(year, cohorts[year], as_of) for year in sorted(cohorts))


def _intake_dates_by_client(
    intakes: Iterable[NewIntake], as_of: date
) -> Mapping[str, Sequence[date]]:
    by_client: dict[str, list[date]] = defaultdict(list)
    for intake in intakes:
        if intake.submitted_on <= as_of:
            by_client[intake.client_ref].append(intake.submitted_on)
    return {client: sorted(dates) for client, dates in by_client.items()}


def _first_return(tenancy: HousedTenancy, intake_dates: Sequence[date]) -> ReturnWindow | None:
    later = (d for d in intake_dates if d >= tenancy.tenancy_start)
    first = next(later, None)
    return None if first is None else classify_return(tenancy.tenancy_start, first)


def _cohort(year: int, windows: Sequence[ReturnWindow | None], as_of: date) -> ReturnsByCohort:
    last_housed = date(year, 12, 31)
    return ReturnsByCohort(
        cohort_year=year,
        housed=len(windows),
        returned_within_12_months=sum(1 for w in windows if w and w.within_12_months),
        returned_within_24_months=sum(1 for w in windows if w and w.within_24_months),
        final_12_months=as_of >= last_housed + timedelta(days=DAYS_12_MONTHS),
        final_24_months=as_of >= last_housed + timedelta(days=DAYS_24_MONTHS),
    )
