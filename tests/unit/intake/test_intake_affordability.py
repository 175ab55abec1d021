"""The maximum affordable rent (passend toewijzen) and its override."""

import pytest

from services.intake.domain.affordability import (
    RENT_LIMITS_2025,
    RentLimits,
    derived_max_rent_cents,
    max_affordable_rent_cents,
    validate_money,
)

LIMITS = RentLimits(
    year=2030, low_cap_cents=70_000, high_cap_cents=75_000, social_rent_ceiling_cents=95_000
)


@pytest.mark.parametrize(("size", "cap"), [(1, 70_000), (2, 70_000), (3, 75_000), (7, 75_000)])
def test_one_and_two_person_households_get_the_low_cap_larger_ones_the_high_cap(
    size: int, cap: int
) -> None:
    assert derived_max_rent_cents(size, LIMITS) == cap


def test_the_figures_come_from_the_table_passed_in() -> None:
    assert derived_max_rent_cents(1, RENT_LIMITS_2025) == 68_296
    assert derived_max_rent_cents(3, RENT_LIMITS_2025) == 73_193
    assert derived_max_rent_cents(1, LIMITS) == 70_000


def test_the_override_wins_over_the_derived_figure() -> None:
    assert max_affordable_rent_cents(1, 80_000, LIMITS) == 80_000
    assert max_affordable_rent_cents(1, None, LIMITS) == 70_000


@pytest.mark.parametrize("override", [1, 50_000, 95_000])
def test_overrides_up_to_the_social_rent_ceiling_are_allowed(override: int) -> None:
    assert validate_money(100_000, override, LIMITS) == []


@pytest.mark.parametrize("override", [0, -100, 95_001])
def test_overrides_of_zero_or_above_the_social_rent_ceiling_are_refused(override: int) -> None:
    errors = validate_money(100_000, override, LIMITS)
    assert [e.field for e in errors] == ["max_rent_override_cents"]


def test_income_cannot_be_negative_but_may_be_zero() -> None:
    assert validate_money(0, None, LIMITS) == []
    assert [e.field for e in validate_money(-1, None, LIMITS)] == ["monthly_income_cents"]


@pytest.mark.parametrize(
    ("low", "high", "ceiling"), [(0, 1, 2), (80_000, 70_000, 90_000), (70_000, 80_000, 75_000)]
)
def test_a_misordered_rent_table_is_a_configuration_error(
    low: int, high: int, ceiling: int
) -> None:
    with pytest.raises(ValueError, match="low cap"):
        RentLimits(
            year=2030, low_cap_cents=low, high_cap_cents=high, social_rent_ceiling_cents=ceiling
        )
