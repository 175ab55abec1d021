"""The highest rent a household can afford: the passend toewijzen rule.

Passend toewijzen (Woningwet) binds housing corporations to let a home to a household that
qualifies for huurtoeslag at a rent up to the aftoppingsgrens of its size:

- 1- and 2-person households: the lage aftoppingsgrens;
- households of 3 or more persons: the hoge aftoppingsgrens.

Almost every client leaving a shelter or beschermd wonen qualifies, so the intake derives the
maximum rent from household size alone. The figures change every 1 January and a region may
agree stricter ones, so they are a parameter table (`RentLimits`) the caller passes in, never a
global read at run time. The caseworker may override the derived figure, up to the region's
social rent ceiling (maximale huurgrens / liberalisatiegrens), e.g. when income is higher.

All amounts are whole euro cents (int), so no rounding happens anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.intake.domain.errors import FieldError

LARGE_HOUSEHOLD = 3  # from this size on the hoge aftoppingsgrens applies


@dataclass(frozen=True, slots=True)
class RentLimits:
    """A region's rent parameters for one year, in euro cents per month (kale huur)."""

    year: int
    low_cap_cents: int  # lage aftoppingsgrens
    high_cap_cents: int  # hoge aftoppingsgrens
    social_rent_ceiling_cents: int  # maximale huurgrens; the highest override allowed

    def __post_init__(self) -> None:
        # A wrong table is a configuration mistake, not a caseworker's: fail loudly at start-up.
        ordered = 0 < self.low_cap_cents <= self.high_cap_cents <= self.social_rent_ceiling_cents
        if not ordered:
            raise ValueError("RentLimits: need 0 < low cap <= high cap <= social rent ceiling")


# Statutory figures for 2025 (huurtoeslag parameters): lage aftoppingsgrens EUR 682.96,
# hoge aftoppingsgrens EUR 731.93, maximale huurgrens EUR 900.07. Defaults only: a region
# configures the table of the current year and passes it in.
RENT_LIMITS_2025 = RentLimits(
    year=2025,
    low_cap_cents=68_296,
    high_cap_cents=73_193,
    social_rent_ceiling_cents=90_007,
)


def derived_max_rent_cents(household_size: int, limits: RentLimits) -> int:
    """The aftoppingsgrens that passend toewijzen sets for a household of this size."""
    if household_size >= LARGE_HOUSEHOLD:
        return limits.high_cap_cents
    return limits.low_cap_cents


def max_affordable_rent_cents(
    household_size: int, override_cents: int | None, limits: RentLimits
) -> int:
    """The caseworker's override when set, otherwise the derived figure."""
    if override_cents is not None:
        return override_cents
    return derived_max_rent_cents(household_size, limits)


def validate_money(
    monthly_income_cents: int, override_cents: int | None, limits: RentLimits
) -> list[FieldError]:
    errors: list[FieldError] = []
    if monthly_income_cents < 0:
        errors.append(FieldError("monthly_income_cents", "cannot be negative"))
    ceiling = limits.social_rent_ceiling_cents
    if override_cents is not None and not 0 < override_cents <= ceiling:
        errors.append(
            FieldError(
                "max_rent_override_cents",
                f"must be above 0 and at most the social rent ceiling of {ceiling} cents "
                f"({limits.year})",
            )
        )
    return errors
