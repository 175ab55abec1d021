"""Redistribute what is still unused of a year (herverdeling).

Rules (`Contingent.redistribute`, docs/fair-allocation.md section 4.1):
- pool = total homes minus the homes used (consumed or in flight) by all members;
- each active member's weight is its unmet need (need minus used); the pool is apportioned on
  those weights by the year's own method, the cap at the unmet need and the minimum topped up;
- new share = used + its part of the pool;
- ``needs`` first updates declared needs; an id new to the year adds a registered, active
  member mid-year.
The year's row is locked: a redistribution never interleaves with an allocation, a tenancy or
a close, so its pool is exactly what the ledger says was unused at that moment.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.contingent.application.integration_events import redistributed, year_case_id
from services.contingent.application.ports import Unit
from services.contingent.application.years import (
    check_members_may_take_part,
    load_year,
    publish_warnings,
)
from services.contingent.domain.contingent import Redistribution


async def redistribute_contingent(
    unit: Unit, year: int, *, needs: Mapping[str, int] | None = None, note: str = "",
) -> Redistribution:
    contingent = await load_year(unit, year)
    newcomers = [m for m in (needs or {}) if m not in contingent.needs]
    if newcomers:
        await check_members_may_take_part(unit, newcomers, "needs")
    before = contingent.warnings()
    record = contingent.redistribute(unit.now, needs=needs, note=note)
    await unit.contingents.save(contingent, at=unit.now)
    await unit.publish(redistributed(year, record), case_id=year_case_id(year))
    await publish_warnings(unit, contingent, before)
    return record
