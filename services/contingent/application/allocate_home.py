"""Who is owed the next home (AllocationRequested → AllocationDecided).

Rules:
- the decision is Balinski and Young's quota rule over the year's shares and what each member
  has received so far (`Contingent.allocate`, docs/fair-allocation.md section 2); members
  that left, and ids outside the year, are not eligible;
- a home still in flight from an earlier round is released first (matching asks again with a
  higher round when a proposal fell through), so a home never counts twice;
- every decision is stored with its full explanation, also when nobody could be chosen;
- matching always gets an answer: without a contingent for the year, for a closed year, or
  for a home that already started a tenancy, the answer names no member and says why.
The year's row is locked for the whole decision, so homes are numbered without gaps or
repeats, and a redistribution or close never interleaves with it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.contingent.application.explanations import explanation_of
from services.contingent.application.integration_events import allocation_decided
from services.contingent.application.ports import LedgerTrace, Unit
from services.contingent.application.years import publish_warnings
from services.contingent.domain.errors import HomeAlreadyConsumed
from services.contingent.domain.sequencing import SequencingDecision


async def allocate_home(
    unit: Unit, *, year: int, home_id: UUID, round: int, eligible: list[str],
    event_id: UUID, at: datetime,
) -> SequencingDecision | None:
    """``at`` is the request's business time: the ledger and the explanation carry it."""
    contingent = await unit.contingents.get(year, lock=True)
    decision: SequencingDecision | None = None
    released_from: str | None = None
    if contingent is None:
        reason = f"no contingent has been set for {year}"
    elif contingent.closed is not None:
        reason = f"the contingent for {year} is closed"
    else:
        held = contingent.holding(str(home_id))
        before = contingent.warnings()
        try:
            decision = contingent.allocate(str(home_id), eligible, str(event_id), at)
        except HomeAlreadyConsumed as refused:
            reason = refused.message
        else:
            reason = decision.reason
            if held is not None and held.status == "allocated":
                released_from = held.member_id
            await unit.contingents.save(contingent, at=at, trace=LedgerTrace(
                event_type="AllocationRequested", round=round))
            await publish_warnings(unit, contingent, before)
    await unit.contingents.record_decision(
        year=year, home_id=home_id, round=round, event_id=event_id, at=at,
        member_id=decision.member_id if decision else None,
        explanation=explanation_of(decision, eligible, reason, released_from=released_from),
    )
    await unit.publish(
        allocation_decided(year=year, home_id=home_id, round=round, decision=decision,
                           reason=reason),
        case_id=home_id, occurred_at=at,
    )
    return decision
