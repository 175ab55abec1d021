"""Who takes part in each contingent year, as the contingent announces it: a home asks the
contingent only about members of its year, since nobody else can be owed it (the contingent
would answer "nobody" — a round trip, and a transaction on each side, for nothing).

- ContingentSet (a new year, set again, or a carry-over): the year's members are exactly its
  shares' members, and every waiting home of the year asks again;
- Redistributed (new shares, possibly a member joining mid-year): its members are added, and
  every waiting home of the year asks again.
A year matching has not heard of (set before matching kept its members, or its ContingentSet
still on its way) limits nothing: its homes ask about every member with an eligible candidate.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from services.matching.adapters.db.repository import add_year_members
from services.matching.application.mediate import revisit_homes
from services.matching.application.unit import Unit
from shared.events.contingent import ContingentSet, Redistributed


async def contingent_set(unit: Unit, event: ContingentSet) -> int:
    """The year's members are the shares' members. Returns how many waiting homes asked
    again."""
    return await _members_named(unit, event.year, (s.member_id for s in event.shares),
                                replace=True)


async def shares_redistributed(unit: Unit, event: Redistributed) -> int:
    """Its members join the year's. Returns how many waiting homes asked again."""
    return await _members_named(unit, event.year, (s.member_id for s in event.shares),
                                replace=False)


async def _members_named(unit: Unit, year: int, members: Iterable[str], *,
                         replace: bool) -> int:
    await unit.hold_pool()  # before the members change: an offer computing them waits
    await add_year_members(unit.session, year, members, replace=replace)
    return await revisit_homes(unit, stale_after=timedelta(0), year=year, force=True)
