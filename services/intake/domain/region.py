"""Regions and their municipalities (gemeenten).

A client may name preferred and excluded municipalities, but only of the region the transferpunt
serves: homes come from the corporations of that region. Names are matched without regard to
case or surrounding spaces and stored in their official spelling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from services.intake.domain.errors import FieldError

# Regio Utrecht, the U16: the 16 municipalities that cooperate on maatschappelijke opvang
# and beschermd wonen, the region of Vereniging Beter Wonen.
U16_MUNICIPALITIES: frozenset[str] = frozenset(
    {
        "Bunnik",
        "De Bilt",
        "De Ronde Venen",
        "Houten",
        "IJsselstein",
        "Lopik",
        "Montfoort",
        "Nieuwegein",
        "Oudewater",
        "Stichtse Vecht",
        "Utrecht",
        "Utrechtse Heuvelrug",
        "Vijfheerenlanden",
        "Wijk bij Duurstede",
        "Woerden",
        "Zeist",
    }
)

# Twente: the 14 municipalities of the region of Transferpunt Wonen Twente.
TWENTE_MUNICIPALITIES: frozenset[str] = frozenset(
    {
        "Almelo",
        "Borne",
        "Dinkelland",
        "Enschede",
        "Haaksbergen",
        "Hellendoorn",
        "Hengelo",
        "Hof van Twente",
        "Losser",
        "Oldenzaal",
        "Rijssen-Holten",
        "Tubbergen",
        "Twenterand",
        "Wierden",
    }
)


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    municipalities: frozenset[str]
    _by_key: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.municipalities:
            raise ValueError(f"region {self.code} has no municipalities")
        lookup = {_key(name): name for name in self.municipalities}
        object.__setattr__(self, "_by_key", lookup)

    def canonical(self, name: str) -> str | None:
        """The official spelling of `name` when it is a municipality of this region, else None."""
        return self._by_key.get(_key(name))


U16 = Region(code="U16", name="Regio Utrecht (U16)", municipalities=U16_MUNICIPALITIES)
TWENTE = Region(code="TWENTE", name="Twente", municipalities=TWENTE_MUNICIPALITIES)


def canonical_municipalities(names: Sequence[str], region: Region) -> tuple[str, ...]:
    """Official spellings, in the order given, each once; unknown names are dropped.

    Call after `validate_municipalities`, which reports the unknown ones.
    """
    seen: dict[str, None] = {}
    for name in names:
        official = region.canonical(name)
        if official is not None:
            seen.setdefault(official, None)
    return tuple(seen)


def validate_municipalities(
    preferred: Sequence[str], excluded: Sequence[str], region: Region
) -> list[FieldError]:
    errors = _unknown("preferred_municipalities", preferred, region)
    errors += _unknown("excluded_municipalities", excluded, region)
    errors += _clashes(preferred, excluded, region)
    if set(canonical_municipalities(excluded, region)) == region.municipalities:
        errors.append(
            FieldError(
                "excluded_municipalities",
                f"excludes every municipality of {region.name}; no home could ever match",
            )
        )
    return errors


def _unknown(field_name: str, names: Sequence[str], region: Region) -> list[FieldError]:
    # The list of valid names makes the message actionable without repeating the input.
    options = ", ".join(sorted(region.municipalities))
    return [
        FieldError(
            f"{field_name}[{index}]",
            f"is not a municipality of {region.name}; choose from: {options}",
        )
        for index, name in enumerate(names)
        if region.canonical(name) is None
    ]


def _clashes(preferred: Sequence[str], excluded: Sequence[str], region: Region) -> list[FieldError]:
    wanted = set(canonical_municipalities(preferred, region))
    return [
        FieldError(
            f"excluded_municipalities[{index}]",
            "is also a preferred municipality; a municipality cannot be both",
        )
        for index, name in enumerate(excluded)
        if region.canonical(name) in wanted
    ]
