"""Preferred and excluded municipalities, checked against the region's list."""

import pytest

from services.intake.domain.region import (
    TWENTE,
    TWENTE_MUNICIPALITIES,
    U16,
    U16_MUNICIPALITIES,
    canonical_municipalities,
    validate_municipalities,
)


def test_u16_has_its_16_municipalities() -> None:
    listed = """Bunnik, De Bilt, De Ronde Venen, Houten, IJsselstein, Lopik, Montfoort, Nieuwegein,
        Oudewater, Stichtse Vecht, Utrecht, Utrechtse Heuvelrug, Vijfheerenlanden,
        Wijk bij Duurstede, Woerden, Zeist"""
    expected = {name.strip() for name in listed.split(",")}
    assert len(expected) == 16
    assert expected == U16_MUNICIPALITIES


def test_twente_has_its_14_municipalities() -> None:
    listed = """Almelo, Borne, Dinkelland, Enschede, Haaksbergen, Hellendoorn, Hengelo,
        Hof van Twente, Losser, Oldenzaal, Rijssen-Holten, Tubbergen, Twenterand, Wierden"""
    expected = {name.strip() for name in listed.split(",")}
    assert len(expected) == 14
    assert expected == TWENTE_MUNICIPALITIES


def test_names_match_regardless_of_case_and_spacing() -> None:
    assert U16.canonical("  de   bilt ") == "De Bilt"
    assert U16.canonical("ijsselstein") == "IJsselstein"
    assert U16.canonical("Enschede") is None


def test_municipalities_of_the_region_are_accepted() -> None:
    assert validate_municipalities(["Utrecht", "zeist"], ["Lopik"], U16) == []
    assert validate_municipalities(["Enschede"], [], TWENTE) == []


def test_a_municipality_outside_the_region_is_refused_by_position() -> None:
    errors = validate_municipalities(["Utrecht", "Amsterdam"], ["Enschede"], U16)
    assert [e.field for e in errors] == [
        "preferred_municipalities[1]",
        "excluded_municipalities[0]",
    ]
    assert "is not a municipality of Regio Utrecht (U16)" in errors[0].message
    assert "Bunnik" in errors[0].message  # the valid choices are listed


def test_a_municipality_both_preferred_and_excluded_is_refused() -> None:
    errors = validate_municipalities(["Utrecht", "Zeist"], ["Woerden", "ZEIST"], U16)
    assert [(e.field, e.message) for e in errors] == [
        (
            "excluded_municipalities[1]",
            "is also a preferred municipality; a municipality cannot be both",
        )
    ]


def test_excluding_every_municipality_is_refused() -> None:
    errors = validate_municipalities([], sorted(U16_MUNICIPALITIES), U16)
    assert [e.field for e in errors] == ["excluded_municipalities"]


def test_canonical_list_keeps_order_and_drops_repeats() -> None:
    assert canonical_municipalities(["zeist", "Utrecht", "ZEIST"], U16) == ("Zeist", "Utrecht")


def test_a_region_needs_municipalities() -> None:
    from services.intake.domain.region import Region

    with pytest.raises(ValueError):
        Region(code="X", name="X", municipalities=frozenset())
