"""The affordability table: passend toewijzen by default, configurable by a region."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.matching.domain.affordability_policy import (
    PASSEND_TOEWIJZEN_2026,
    AffordabilityPolicy,
    AffordabilityRow,
    passend_toewijzen,
)
from services.matching.domain.errors import InvalidPolicy

# The 2024 figures as corporations published them ("prijspeil 2024"): one person up to
# EUR 27,725 a year, two or more up to EUR 37,625; lage aftoppingsgrens EUR 650.43 (1-2
# persons), hoge EUR 697.07 (3 or more).
PASSEND_2024 = passend_toewijzen(
    name="passend toewijzen 2024",
    income_limit_one_person=Decimal("27725"),
    income_limit_multi_person=Decimal("37625"),
    lage_aftoppingsgrens=Decimal("650.43"),
    hoge_aftoppingsgrens=Decimal("697.07"),
)


def monthly(yearly: str) -> Decimal:
    return Decimal(yearly) / 12


@pytest.mark.parametrize(
    ("size", "yearly_income", "expected_limit"),
    [
        (1, "27725", Decimal("650.43")),  # at the limit: still passend toewijzen (t/m)
        (1, "27726", None),  # above: no cap from the table
        (2, "37625", Decimal("650.43")),
        (2, "37626", None),
        (3, "37625", Decimal("697.07")),
        (5, "20000", Decimal("697.07")),
        (5, "40000", None),
    ],
)
def test_table_reproduces_the_published_2024_passend_toewijzen_rules(
    size: int, yearly_income: str, expected_limit: Decimal | None
) -> None:
    assert PASSEND_2024.rent_limit_for(size, monthly(yearly_income)) == expected_limit


def test_single_persons_income_limit_differs_from_that_of_two_or_more() -> None:
    income = monthly("30000")  # above the one-person limit, below the multi-person one
    assert PASSEND_2024.rent_limit_for(1, income) is None
    assert PASSEND_2024.rent_limit_for(2, income) == Decimal("650.43")


def test_default_table_has_one_two_and_three_or_more_rows_with_lage_and_hoge_limits() -> None:
    rows = PASSEND_TOEWIJZEN_2026.rows
    assert [(r.min_household_size, r.max_household_size) for r in rows] == [
        (1, 1),
        (2, 2),
        (3, None),
    ]
    assert rows[0].rent_limit == rows[1].rent_limit < rows[2].rent_limit
    assert rows[0].annual_income_limit < rows[1].annual_income_limit == rows[2].annual_income_limit
    assert [r.label for r in rows] == [
        "lage aftoppingsgrens",
        "lage aftoppingsgrens",
        "hoge aftoppingsgrens",
    ]
    assert "indicative" in PASSEND_TOEWIJZEN_2026.name


def test_allows_compares_rent_with_the_limit_inclusively() -> None:
    income = monthly("20000")
    assert PASSEND_2024.allows(Decimal("650.43"), 1, income)
    assert not PASSEND_2024.allows(Decimal("650.44"), 1, income)
    assert PASSEND_2024.allows(Decimal("900.00"), 1, monthly("50000"))


def test_region_can_count_holiday_pay_in_the_yearly_income() -> None:
    with_holiday_pay = AffordabilityPolicy(
        name="with holiday pay", rows=PASSEND_2024.rows, months_per_year=Decimal("12.96")
    )
    income = Decimal("2200")  # 26,400 x 12, 28,512 x 12.96
    assert PASSEND_2024.rent_limit_for(1, income) == Decimal("650.43")
    assert with_holiday_pay.rent_limit_for(1, income) is None


def test_region_can_configure_its_own_rows() -> None:
    policy = AffordabilityPolicy(
        name="region X",
        rows=(
            AffordabilityRow(1, 2, Decimal("30000"), Decimal("600"), "small"),
            AffordabilityRow(3, 4, Decimal("40000"), Decimal("700"), "middle"),
            AffordabilityRow(5, None, Decimal("45000"), Decimal("750"), "large"),
        ),
    )
    assert policy.rent_limit_for(4, monthly("36000")) == Decimal("700")
    assert policy.rent_limit_for(7, monthly("36000")) == Decimal("750")


@pytest.mark.parametrize(
    "rows",
    [
        (),
        (AffordabilityRow(2, None, Decimal(1), Decimal(1), "starts at two"),),
        (AffordabilityRow(1, 1, Decimal(1), Decimal(1), "not open-ended"),),
        (
            AffordabilityRow(1, 2, Decimal(1), Decimal(1), "a"),
            AffordabilityRow(2, None, Decimal(1), Decimal(1), "overlaps"),
        ),
        (
            AffordabilityRow(1, 1, Decimal(1), Decimal(1), "a"),
            AffordabilityRow(3, None, Decimal(1), Decimal(1), "gap at two"),
        ),
        (
            AffordabilityRow(1, None, Decimal(1), Decimal(1), "open-ended too early"),
            AffordabilityRow(2, None, Decimal(1), Decimal(1), "b"),
        ),
        (AffordabilityRow(1, None, Decimal(1), Decimal(0), "zero rent limit"),),
    ],
)
def test_malformed_tables_are_rejected(rows: tuple[AffordabilityRow, ...]) -> None:
    with pytest.raises(InvalidPolicy):
        AffordabilityPolicy(name="bad", rows=rows)
