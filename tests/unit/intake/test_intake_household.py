"""Household composition and the derived number of bedrooms."""

import pytest

from services.intake.domain.household import (
    Household,
    derived_bedrooms,
    required_bedrooms,
    validate_household,
)


@pytest.mark.parametrize(
    ("adults", "children", "bedrooms"),
    [
        (1, 0, 1),  # single adult
        (2, 0, 1),  # couple
        (1, 1, 2),
        (1, 2, 2),  # two children share
        (2, 3, 3),
        (2, 4, 3),
        (1, 5, 4),
        (3, 0, 2),  # a third adult (e.g. an adult child) gets a room
        (4, 2, 4),
    ],
)
def test_bedrooms_are_one_plus_extra_adults_plus_half_the_children_rounded_up(
    adults: int, children: int, bedrooms: int
) -> None:
    assert derived_bedrooms(adults, children) == bedrooms
    assert required_bedrooms(Household(adults=adults, children=children)) == bedrooms


def test_an_override_replaces_the_derived_bedrooms() -> None:
    household = Household(adults=1, children=2, bedrooms_override=3)
    assert required_bedrooms(household) == 3


def test_an_override_may_also_be_lower_than_derived() -> None:
    assert required_bedrooms(Household(adults=1, children=2, bedrooms_override=1)) == 1


@pytest.mark.parametrize("override", [1, 6])
def test_overrides_from_1_to_6_are_allowed(override: int) -> None:
    assert validate_household(Household(adults=1, bedrooms_override=override)) == []


@pytest.mark.parametrize("override", [0, 7, -1])
def test_overrides_outside_1_to_6_are_refused(override: int) -> None:
    errors = validate_household(Household(adults=1, bedrooms_override=override))
    assert [(e.field, e.message) for e in errors] == [
        ("household.bedrooms_override", "must be between 1 and 6")
    ]


def test_children_without_an_adult_are_refused() -> None:
    errors = validate_household(Household(adults=0, children=2))
    assert [(e.field, e.message) for e in errors] == [
        ("household.adults", "a household with children needs at least 1 adult")
    ]


def test_a_household_without_any_adult_is_refused() -> None:
    errors = validate_household(Household(adults=0))
    assert [e.field for e in errors] == ["household.adults"]


@pytest.mark.parametrize(("adults", "children"), [(9, 0), (1, 13), (1, -1)])
def test_implausible_household_sizes_are_refused(adults: int, children: int) -> None:
    assert validate_household(Household(adults=adults, children=children)) != []


def test_children_ages_are_optional_but_one_per_child_when_given() -> None:
    assert validate_household(Household(adults=1, children=2)) == []
    assert validate_household(Household(adults=1, children=2, children_ages=(3, 7))) == []
    errors = validate_household(Household(adults=1, children=2, children_ages=(3,)))
    assert [e.field for e in errors] == ["household.children_ages"]


def test_a_child_of_18_or_more_is_refused_as_a_child() -> None:
    errors = validate_household(Household(adults=1, children=2, children_ages=(4, 18)))
    assert [e.field for e in errors] == ["household.children_ages[1]"]


def test_household_size_counts_adults_and_children() -> None:
    assert Household(adults=2, children=3).size == 5
