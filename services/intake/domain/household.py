"""The household that moves together, and the number of bedrooms it needs.

Rule (documented in docs/intake-rules.md):
    required bedrooms = 1                      (the client, alone or with a partner)
                      + (adults - 2, if more)  (each further adult, e.g. an adult child)
                      + ceil(children / 2)     (children share a room two by two)
An override of 1..6 replaces the derived figure, e.g. when children should not share.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.intake.domain.errors import FieldError

ADULTS_MAX = 8
CHILDREN_MAX = 12
CHILD_AGE_MAX = 17  # someone of 18 counts as an adult of the household
BEDROOMS_OVERRIDE_MIN, BEDROOMS_OVERRIDE_MAX = 1, 6


@dataclass(frozen=True, slots=True)
class Household:
    """Who moves with the client. `adults` counts the client.

    `children_ages` may be left empty; when given it holds one age per child.
    """

    adults: int
    children: int = 0
    children_ages: tuple[int, ...] = ()
    bedrooms_override: int | None = None

    @property
    def size(self) -> int:
        return self.adults + self.children


def derived_bedrooms(adults: int, children: int) -> int:
    """Bedrooms by the rule above, before any override."""
    extra_adults = max(0, adults - 2)
    rooms_for_children = -(-children // 2)  # ceil without floats
    return 1 + extra_adults + rooms_for_children


def required_bedrooms(household: Household) -> int:
    """The override when the caseworker set one, otherwise the derived number."""
    if household.bedrooms_override is not None:
        return household.bedrooms_override
    return derived_bedrooms(household.adults, household.children)


def validate_household(household: Household) -> list[FieldError]:
    return (
        _adult_errors(household)
        + _children_errors(household)
        + _override_errors(household.bedrooms_override)
    )


def _adult_errors(household: Household) -> list[FieldError]:
    if household.adults < 1 and household.children > 0:
        return [FieldError("household.adults", "a household with children needs at least 1 adult")]
    if household.adults < 1:
        return [FieldError("household.adults", "at least 1 adult is required (the client)")]
    if household.adults > ADULTS_MAX:
        return [FieldError("household.adults", f"must be at most {ADULTS_MAX}")]
    return []


def _children_errors(household: Household) -> list[FieldError]:
    if not 0 <= household.children <= CHILDREN_MAX:
        return [FieldError("household.children", f"must be between 0 and {CHILDREN_MAX}")]
    ages = household.children_ages
    if ages and len(ages) != household.children:
        return [
            FieldError(
                "household.children_ages",
                "must give one age per child, or be left empty",
            )
        ]
    return [
        FieldError(f"household.children_ages[{index}]", f"must be between 0 and {CHILD_AGE_MAX}")
        for index, age in enumerate(ages)
        if not 0 <= age <= CHILD_AGE_MAX
    ]


def _override_errors(override: int | None) -> list[FieldError]:
    if override is None or BEDROOMS_OVERRIDE_MIN <= override <= BEDROOMS_OVERRIDE_MAX:
        return []
    return [
        FieldError(
            "household.bedrooms_override",
            f"must be between {BEDROOMS_OVERRIDE_MIN} and {BEDROOMS_OVERRIDE_MAX}",
        )
    ]
