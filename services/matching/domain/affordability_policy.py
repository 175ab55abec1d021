"""Affordability by a configurable table — by default Dutch *passend toewijzen*.

Passend toewijzen (Woningwet art. 46; the figures are set yearly) says: a household whose
income is at or below the income limit of the huurtoeslag for its size gets a home whose
*kale huur* is at or below the **aftoppingsgrens** that applies to its size:

=====================  ===========================  ==========================
household size         income limit (per year)      rent limit (per month)
=====================  ===========================  ==========================
1 person               one-person limit             lage aftoppingsgrens
2 persons              multi-person limit           lage aftoppingsgrens
3 or more persons      multi-person limit           hoge aftoppingsgrens
=====================  ===========================  ==========================

A household above its income limit is not bound by this table (only by the client's own
``max_rent``, checked by a separate rule).

The table is data, passed in by the caller: a region configures its own rows (and replaces
the figures every January). Nothing here reads a global at run time; :data:`PASSEND_TOEWIJZEN_2026`
is only a ready-made default value.

Which income: the limits are set for the household's *gross* yearly income
(*verzamelinkomen*), but the intake records the *net* monthly income. Net times twelve is
lower than gross, so more households fall under their income limit and get the rent cap:
the test errs on the side of affordability, which suits people leaving a shelter. A region
that wants to approximate gross income raises ``months_per_year``.

What the default does **not** model: the separate (slightly different) income limits for
households that have reached the AOW age (matching holds no date of birth), the lower limit
for applicants under 23, and the corporation's freedom to deviate in a small share of its
lettings (*vrije toewijzingsruimte*). A region that needs one of these adds rows or a policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .errors import InvalidPolicy


@dataclass(frozen=True, slots=True)
class AffordabilityRow:
    """One row: households of this size with at most this yearly income pay at most this rent.

    ``max_household_size`` None means "and larger". Both limits are inclusive (*tot en met*).
    ``label`` names the rent limit in the region's words (e.g. "lage aftoppingsgrens").
    """

    min_household_size: int
    max_household_size: int | None
    annual_income_limit: Decimal
    rent_limit: Decimal
    label: str

    def covers(self, household_size: int) -> bool:
        """Whether a household of this size falls in this row."""
        if household_size < self.min_household_size:
            return False
        return self.max_household_size is None or household_size <= self.max_household_size


@dataclass(frozen=True, slots=True)
class AffordabilityPolicy:
    """A table of :class:`AffordabilityRow` covering every household size from 1 upward.

    ``months_per_year`` turns the candidate's monthly income into the yearly income the
    limits are expressed in (12 by default; a region that counts holiday pay may use 12.96,
    or more to approximate gross from net income).
    """

    name: str
    rows: tuple[AffordabilityRow, ...]
    months_per_year: Decimal = Decimal(12)

    def __post_init__(self) -> None:
        if not self.rows:
            raise InvalidPolicy("An affordability policy needs at least one row.")
        if self.months_per_year <= 0:
            raise InvalidPolicy("Months per year must be positive.")
        expected_min = 1
        ordered = sorted(self.rows, key=lambda row: row.min_household_size)
        for index, row in enumerate(ordered):
            if row.min_household_size != expected_min:
                raise InvalidPolicy(
                    "The rows must cover every household size from 1 upward without gaps or "
                    f"overlaps; expected a row starting at {expected_min} persons."
                )
            if row.annual_income_limit < 0 or row.rent_limit <= 0:
                raise InvalidPolicy(
                    "Income limits cannot be negative and rent limits must be positive."
                )
            if row.max_household_size is None:
                if index != len(ordered) - 1:
                    raise InvalidPolicy("Only the last row may be open-ended ('and larger').")
                return
            if row.max_household_size < row.min_household_size:
                raise InvalidPolicy("A row's largest household size is below its smallest.")
            expected_min = row.max_household_size + 1
        raise InvalidPolicy(
            "The last row must be open-ended so that every household size is covered."
        )

    def row_for(self, household_size: int) -> AffordabilityRow:
        """The row for a household of this size (the table covers every size from 1)."""
        if household_size < 1:
            raise InvalidPolicy("A household has at least one person.")
        for row in self.rows:
            if row.covers(household_size):
                return row
        raise InvalidPolicy("No row covers this household size.")  # pragma: no cover

    def annual_income(self, monthly_income: Decimal) -> Decimal:
        """The yearly income the table's limits are compared with."""
        return monthly_income * self.months_per_year

    def rent_limit_for(self, household_size: int, monthly_income: Decimal) -> Decimal | None:
        """The highest rent this household may be given, or None when the table sets no cap.

        None means the household's income is above the row's income limit.
        """
        row = self.row_for(household_size)
        if self.annual_income(monthly_income) <= row.annual_income_limit:
            return row.rent_limit
        return None

    def allows(self, rent: Decimal, household_size: int, monthly_income: Decimal) -> bool:
        """Whether a home at ``rent`` may be let to this household under the table."""
        limit = self.rent_limit_for(household_size, monthly_income)
        return limit is None or rent <= limit


def passend_toewijzen(
    *,
    name: str,
    income_limit_one_person: Decimal,
    income_limit_multi_person: Decimal,
    lage_aftoppingsgrens: Decimal,
    hoge_aftoppingsgrens: Decimal,
) -> AffordabilityPolicy:
    """Build the three-row passend-toewijzen table from one year's four figures.

    Income limits are per year; the aftoppingsgrenzen are per month (kale huur). The lage
    aftoppingsgrens applies to households of one and two persons, the hoge to three or more.
    """
    return AffordabilityPolicy(
        name=name,
        rows=(
            AffordabilityRow(
                1, 1, income_limit_one_person, lage_aftoppingsgrens, "lage aftoppingsgrens"
            ),
            AffordabilityRow(
                2, 2, income_limit_multi_person, lage_aftoppingsgrens, "lage aftoppingsgrens"
            ),
            AffordabilityRow(
                3, None, income_limit_multi_person, hoge_aftoppingsgrens, "hoge aftoppingsgrens"
            ),
        ),
    )


PASSEND_TOEWIJZEN_2026: AffordabilityPolicy = passend_toewijzen(
    name="passend toewijzen 2026 (indicative defaults; a region configures the official figures)",
    # Indicative, NOT the official 2026 figures. The published 2024 figures were EUR 27,725
    # (one person) and EUR 37,625 (two or more); 2025 raised them markedly with the huurtoeslag
    # reform. These round values sit in the 2026 range; replace them with the figures of the
    # yearly circular on rent and income limits.
    income_limit_one_person=Decimal("33000"),
    income_limit_multi_person=Decimal("45000"),
    # The 2025 aftoppingsgrenzen (EUR 682.96 and EUR 731.93) indexed by the factor the
    # kwaliteitskortingsgrens rose from 2025 to 2026 (EUR 477.20 -> EUR 498.20, about 4.4 %).
    # Indicative.
    lage_aftoppingsgrens=Decimal("713.02"),
    hoge_aftoppingsgrens=Decimal("764.14"),
)
"""A ready-made default table with indicative 2026 figures. Pass it explicitly; never read it
as the region's truth without checking the year's official figures."""
