"""Set a year's contingent (jaarcontingent): the total, each member's declared need, the
method and the rules; optionally the corporations' pledges and a carry-over.

Rules:
- the shares are the textbook apportionment of the total by the method
  (`Contingent.create`), with the minimum and the cap applied as docs/fair-allocation.md says;
- every member must be registered and still active;
- pledges, when given, name each corporation once and add up to the total;
- ``carry_over_from`` adds each member's unused share of that closed earlier year to its need
  before the shares are computed (`Contingent.carry_over`);
- PUT is idempotent: the same figures again change nothing and publish nothing. Different
  figures replace the year only while nothing has happened in it (no home allocated, no
  redistribution); after that, needs change through a redistribution, and a closed year
  never changes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from services.contingent.application.errors import Conflict, InvalidRequest
from services.contingent.application.integration_events import contingent_set, year_case_id
from services.contingent.application.ports import Pledge, Unit
from services.contingent.application.years import (
    check_members_may_take_part,
    closed_previous_year,
)
from services.contingent.domain.apportionment import Method
from services.contingent.domain.contingent import Contingent


@dataclass(frozen=True)
class ContingentSettings:
    year: int
    total_homes: int
    method: Method
    min_per_member: int
    cap_at_need: bool
    needs: tuple[tuple[str, int], ...]
    pledges: tuple[Pledge, ...] = ()
    carry_over_from: int | None = None


async def set_contingent(unit: Unit, settings: ContingentSettings) -> Contingent:
    await check_members_may_take_part(unit, [m for m, _ in settings.needs], "members")
    _check_pledges(settings)
    fresh = Contingent.create(
        settings.year, settings.total_homes, settings.needs, settings.method,
        min_per_member=settings.min_per_member, cap_at_need=settings.cap_at_need,
    )
    if settings.carry_over_from is not None:
        fresh.carry_over(await closed_previous_year(unit, settings.carry_over_from,
                                                    settings.year))
    existing = await unit.contingents.get(settings.year, lock=True)
    if existing is None:
        await unit.contingents.add(fresh, at=unit.now, pledges=settings.pledges)
    elif existing.closed is not None:
        raise Conflict(f"The {settings.year} contingent is closed; its figures can no longer "
                       f"change. Set the {settings.year + 1} contingent instead.")
    elif _same(existing, fresh) and tuple(
            await unit.contingents.pledges(settings.year)) == settings.pledges:
        return existing
    elif existing.ledger or existing.redistributions:
        raise Conflict(
            f"The {settings.year} contingent is in use (homes allocated or shares "
            "redistributed), so it cannot be set again from scratch; change the needs with "
            f"POST /contingents/{settings.year}/redistribute instead.")
    else:
        await unit.contingents.replace(fresh, at=unit.now, pledges=settings.pledges)
    await unit.publish(contingent_set(fresh), case_id=year_case_id(settings.year))
    return fresh


def _check_pledges(settings: ContingentSettings) -> None:
    if not settings.pledges:
        return
    twice = sorted(c for c, n in Counter(p.corporation_id for p in settings.pledges).items()
                   if n > 1)
    if twice:
        raise InvalidRequest(f"Corporation(s) {', '.join(twice)} pledged twice; list each "
                             "corporation once.", "pledges")
    pledged = sum(p.homes for p in settings.pledges)
    if pledged != settings.total_homes:
        raise InvalidRequest(
            f"The corporations' pledges add up to {pledged} homes but total_homes is "
            f"{settings.total_homes}: make them add up, or leave the pledges out.", "pledges")


def _same(existing: Contingent, fresh: Contingent) -> bool:
    return (
        (existing.total_homes, existing.method, existing.min_per_member, existing.cap_at_need,
         existing.needs, existing.carried_over_from, existing.inactive)
        == (fresh.total_homes, fresh.method, fresh.min_per_member, fresh.cap_at_need,
            fresh.needs, fresh.carried_over_from, fresh.inactive)
    )
