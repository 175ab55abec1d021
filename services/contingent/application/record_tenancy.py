"""A tenancy started (TenancyStarted): the home is consumed from the member's share.

Rules (`Contingent.consume`, docs/fair-allocation.md section 3.1):
- an allocation of the home to this member converts (in flight becomes consumed); an
  allocation to another member is released first; without one the home is consumed directly;
- a home is never spent twice: the same tenancy again changes nothing, a tenancy of the same
  home for another member is refused;
- a tenancy the contingent cannot record — no contingent for the year, a closed year, a member
  outside the year, a home already let to another member — is refused with a reason that says
  what to correct; the consumer then puts the event on the dead-letter topic, so it is never
  silently lost.
The year's row is locked: a consumption never interleaves with a redistribution or a close.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.contingent.application.ports import LedgerTrace, Unit
from services.contingent.application.years import load_year, publish_warnings
from services.contingent.domain.contingent import LedgerResult


async def record_tenancy(
    unit: Unit, *, year: int, home_id: UUID, member_id: str, corporation_id: str,
    event_id: UUID, at: datetime,
) -> LedgerResult:
    contingent = await load_year(unit, year)
    before = contingent.warnings()
    result = contingent.consume(str(home_id), member_id, str(event_id), at)
    if result.applied:
        await unit.contingents.save(contingent, at=at, trace=LedgerTrace(
            event_type="TenancyStarted", corporation_id=corporation_id))
        await publish_warnings(unit, contingent, before)
    return result
