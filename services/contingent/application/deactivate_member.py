"""A member organisation leaves the association (uittreden).

Rules:
- it keeps its history: its ledger entries, the homes it used and its past shares stay;
- it is no longer eligible for new homes and cannot be put in a new contingent;
- in every open year it takes part in, its unused share is redistributed at once among the
  other members with unmet need, by that year's own method (`Contingent.deactivate`); a year
  whose minimum per member could then no longer be kept refuses, and nothing changes at all;
- years are locked oldest first, so two departures at the same moment never deadlock.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from services.contingent.application.errors import Conflict, NotFound
from services.contingent.application.integration_events import redistributed, year_case_id
from services.contingent.application.ports import Member, Unit
from services.contingent.application.years import publish_warnings
from services.contingent.domain.contingent import Redistribution


@dataclass(frozen=True)
class Departure:
    member: Member
    redistributions: dict[int, Redistribution]


async def deactivate_member(unit: Unit, member_id: str) -> Departure:
    member = await unit.members.get(member_id, lock=True)
    if member is None:
        raise NotFound(f"Member {member_id} is not registered.")
    if not member.active:
        left = member.deactivated_at.date().isoformat() if member.deactivated_at else "earlier"
        raise Conflict(f"Member {member_id} already left ({left}).")
    await unit.members.deactivate(member_id, unit.now)
    done: dict[int, Redistribution] = {}
    for year in await unit.contingents.open_years_with(member_id):
        contingent = await unit.contingents.get(year, lock=True)
        if contingent is None or contingent.closed is not None:
            continue  # closed in the meantime: its figures are frozen
        before = contingent.warnings()
        record = contingent.deactivate(member_id, unit.now)
        await unit.contingents.save(contingent, at=unit.now)
        await unit.publish(redistributed(year, record, member_left=member_id),
                           case_id=year_case_id(year))
        await publish_warnings(unit, contingent, before)
        done[year] = record
    return Departure(dataclasses.replace(member, active=False, deactivated_at=unit.now), done)
