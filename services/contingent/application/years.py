"""Steps several use cases share: load a year (locked), announce the warnings a change raised,
find the closed year to carry over, check that members may take part."""

from __future__ import annotations

from services.contingent.application.errors import InvalidRequest, NotFound
from services.contingent.application.integration_events import warnings_raised, year_case_id
from services.contingent.application.ports import Unit
from services.contingent.domain.contingent import ClosedYear, Contingent, ContingentWarnings


async def load_year(unit: Unit, year: int, *, lock: bool = True) -> Contingent:
    """The year's contingent, locked for the rest of the transaction unless ``lock=False``."""
    contingent = await unit.contingents.get(year, lock=lock)
    if contingent is None:
        raise NotFound(f"No contingent has been set for {year}; set it with "
                       f"PUT /contingents/{year}.")
    return contingent


async def publish_warnings(unit: Unit, contingent: Contingent, before: ContingentWarnings) -> None:
    """ShareExhausted and ContingentNearlyUsed for what this change newly brought about."""
    for event in warnings_raised(contingent, before, contingent.warnings()):
        await unit.publish(event, case_id=year_case_id(contingent.year))


async def closed_previous_year(
    unit: Unit, from_year: int, year: int, field: str = "carry_over_from"
) -> ClosedYear:
    """The closed year whose unused shares the coordinator asks to carry over into ``year``."""
    if from_year >= year:
        raise InvalidRequest(f"Only an earlier year can be carried over into {year}; "
                             f"{from_year} is not earlier.", field)
    previous = await unit.contingents.closed_year(from_year)
    if previous is None:
        raise InvalidRequest(
            f"The {from_year} contingent is not closed (or was never set): close it first with "
            f"POST /contingents/{from_year}/close, or leave the carry-over out.", field)
    return previous


async def check_members_may_take_part(unit: Unit, member_ids: list[str], field: str) -> None:
    """Every member named is registered and has not left the association."""
    known = await unit.members.of(member_ids)
    unknown = sorted({m for m in member_ids if m not in known})
    if unknown:
        raise InvalidRequest(f"Unknown member(s): {', '.join(unknown)}; register them first "
                             "with POST /members.", field)
    left = sorted({m for m in member_ids if not known[m].active})
    if left:
        raise InvalidRequest(f"Member(s) {', '.join(left)} left the association and cannot "
                             "take part in a contingent; take them out.", field)
