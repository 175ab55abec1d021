"""A home left the contingent before a tenancy (HomeWithdrawn): its holder gets the place back.

Rules (`Contingent.release`): releasing a home that is not held changes nothing. A home whose
tenancy already started stays consumed (a withdrawal cannot undo a tenancy), and a closed year
stays as it was closed; both are reported back, not recorded.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.contingent.application.ports import LedgerTrace, Unit
from services.contingent.domain.contingent import LedgerResult
from services.contingent.domain.errors import HomeAlreadyConsumed


async def release_home(
    unit: Unit, *, year: int, home_id: UUID, event_id: UUID, at: datetime, note: str = "",
) -> LedgerResult:
    contingent = await unit.contingents.get(year, lock=True)
    if contingent is None:
        return LedgerResult(False, (), f"No contingent for {year}; nothing to release.")
    if contingent.closed is not None:
        return LedgerResult(False, (), f"The {year} contingent is closed; nothing released.")
    try:
        result = contingent.release(str(home_id), str(event_id), at, note)
    except HomeAlreadyConsumed as refused:
        return LedgerResult(False, (), refused.message)
    if result.applied:
        await unit.contingents.save(contingent, at=at,
                                    trace=LedgerTrace(event_type="HomeWithdrawn"))
    return result
