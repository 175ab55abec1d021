"""Close a year (afsluiten): freeze it and record each member's balance.

Rules (`Contingent.close`, docs/fair-allocation.md section 5.1): homes still in flight block the
close unless the coordinator counts them as used; each member's balance is share minus used,
split into unused (it received fewer homes than its share; the next year's need takes it into
account on a carry-over) and overrun. Afterwards every change to the year is refused, and a
tenancy reported for it goes to the dead-letter topic with that reason.
The year's row is locked, so a consumption either lands before the close (and counts in the
balances) or after it (and is refused): never in between.
"""

from __future__ import annotations

from services.contingent.application.integration_events import contingent_closed, year_case_id
from services.contingent.application.ports import Unit
from services.contingent.application.years import load_year
from services.contingent.domain.contingent import ClosedYear


async def close_contingent(
    unit: Unit, year: int, *, count_in_flight_as_used: bool = False
) -> ClosedYear:
    contingent = await load_year(unit, year)
    closed = contingent.close(unit.now, count_in_flight_as_used=count_in_flight_as_used)
    await unit.contingents.save(contingent, at=unit.now)
    await unit.publish(contingent_closed(closed), case_id=year_case_id(year))
    return closed
