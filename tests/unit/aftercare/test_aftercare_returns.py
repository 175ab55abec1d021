"""Returns to homelessness: HUD SPM windows and per-cohort aggregation."""

from datetime import date, timedelta
from fractions import Fraction

import pytest

from services.aftercare.domain.returns import (
    HousedTenancy,
    NewIntake,
    ReturnBucket,
    classify_return,
    returns_by_cohort,
)

START = date(2025, 3, 1)


def _day(days: int) -> date:
    return START + timedelta(days=days)


@pytest.mark.parametrize(
    ("days", "bucket", "within_12", "within_24"),
    [
        (0, ReturnBucket.DAYS_0_180, True, True),
        (180, ReturnBucket.DAYS_0_180, True, True),
        (181, ReturnBucket.DAYS_181_365, True, True),
        (365, ReturnBucket.DAYS_181_365, True, True),
        (366, ReturnBucket.DAYS_366_730, False, True),
        (730, ReturnBucket.DAYS_366_730, False, True),
    ],
)
def test_new_intake_falls_in_the_hud_window_of_its_day(
    days: int, bucket: ReturnBucket, within_12: bool, within_24: bool
) -> None:
    window = classify_return(START, _day(days))

    assert window is not None
    assert (window.days_after_tenancy_start, window.bucket) == (days, bucket)
    assert (window.within_12_months, window.within_24_months) == (within_12, within_24)


def test_new_intake_after_day_730_is_not_counted_as_a_return() -> None:
    assert classify_return(START, _day(731)) is None


def test_new_intake_before_the_tenancy_start_is_not_a_return() -> None:
    assert classify_return(START, _day(-1)) is None


def test_cohort_counts_housed_and_returns_within_12_and_24_months() -> None:
    tenancies = [
        HousedTenancy("a", date(2023, 2, 1)),  # returns on day 100
        HousedTenancy("b", date(2023, 5, 1)),  # returns on day 400
        HousedTenancy("c", date(2023, 8, 1)),  # returns after day 730
        HousedTenancy("d", date(2023, 11, 1)),  # never returns
        HousedTenancy("e", date(2024, 1, 10)),  # returns on day 30
    ]
    intakes = [
        NewIntake("a", date(2023, 2, 1) + timedelta(days=100)),
        NewIntake("b", date(2023, 5, 1) + timedelta(days=400)),
        NewIntake("c", date(2023, 8, 1) + timedelta(days=731)),
        NewIntake("e", date(2024, 1, 10) + timedelta(days=30)),
    ]

    c2023, c2024 = returns_by_cohort(tenancies, intakes, as_of=date(2026, 6, 1))

    assert (c2023.cohort_year, c2023.housed) == (2023, 4)
    assert (c2023.returned_within_12_months, c2023.returned_within_24_months) == (1, 2)
    assert c2023.rate_within_12_months == Fraction(1, 4)
    assert c2023.rate_within_24_months == Fraction(1, 2)
    assert (c2024.housed, c2024.returned_within_12_months, c2024.rate_within_24_months) == (
        1,
        1,
        Fraction(1),
    )


def test_only_the_earliest_intake_after_the_tenancy_start_is_its_return() -> None:
    tenancies = [HousedTenancy("a", START)]
    intakes = [
        NewIntake("a", START - timedelta(days=90)),  # the intake that led to this home
        NewIntake("a", _day(500)),
        NewIntake("a", _day(50)),
    ]

    (cohort,) = returns_by_cohort(tenancies, intakes, as_of=date(2030, 1, 1))

    assert (cohort.returned_within_12_months, cohort.returned_within_24_months) == (1, 1)


def test_intakes_of_other_clients_are_not_returns() -> None:
    (cohort,) = returns_by_cohort(
        [HousedTenancy("a", START)], [NewIntake("b", _day(10))], as_of=date(2030, 1, 1)
    )

    assert cohort.returned_within_24_months == 0
    assert cohort.rate_within_24_months == 0


def test_cohort_figures_are_provisional_until_its_last_tenancy_is_followed_long_enough() -> None:
    tenancies = [HousedTenancy("a", date(2024, 6, 1))]

    (young,) = returns_by_cohort(tenancies, [], as_of=date(2025, 12, 30))
    (twelve,) = returns_by_cohort(tenancies, [], as_of=date(2025, 12, 31))
    (full,) = returns_by_cohort(tenancies, [], as_of=date(2026, 12, 31))

    assert (young.final_12_months, young.final_24_months) == (False, False)
    assert (twelve.final_12_months, twelve.final_24_months) == (True, False)
    assert (full.final_12_months, full.final_24_months) == (True, True)


def test_tenancies_and_intakes_after_as_of_are_not_yet_known() -> None:
    tenancies = [HousedTenancy("a", date(2025, 1, 1)), HousedTenancy("b", date(2025, 7, 1))]
    intakes = [NewIntake("a", date(2025, 6, 15))]

    (cohort,) = returns_by_cohort(tenancies, intakes, as_of=date(2025, 6, 1))

    assert (cohort.housed, cohort.returned_within_12_months) == (1, 0)


def test_cohorts_come_oldest_first() -> None:
    tenancies = [HousedTenancy("a", date(2025, 1, 1)), HousedTenancy("b", date(2023, 1, 1))]

    cohorts = returns_by_cohort(tenancies, [], as_of=date(2026, 1, 1))

    assert [c.cohort_year for c in cohorts] == [2023, 2025]
