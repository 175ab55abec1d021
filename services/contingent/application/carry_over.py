"""Carry a closed year's unused shares into this year's need (overheveling), when the
coordinator chooses so.

Rules (`Contingent.carry_over`, docs/fair-allocation.md section 5.2): each member's unused
share of the earlier, closed year is added to its need and the year's shares are computed
again with its own method and rules; overruns are not subtracted. Only before the first home
of the year is allocated, only once, and only from an earlier year that is closed.
"""

from __future__ import annotations

from services.contingent.application.integration_events import contingent_set, year_case_id
from services.contingent.application.ports import Unit
from services.contingent.application.years import closed_previous_year, load_year
from services.contingent.domain.contingent import CarryOver


async def carry_over(unit: Unit, year: int, from_year: int) -> CarryOver:
    previous = await closed_previous_year(unit, from_year, year, field="from_year")
    contingent = await load_year(unit, year)
    result = contingent.carry_over(previous)
    await unit.contingents.save(contingent, at=unit.now)
    await unit.publish(contingent_set(contingent), case_id=year_case_id(year))
    return result
