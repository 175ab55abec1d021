"""From the contingent's domain to the events on Kafka.

Member ids are organisations; a coordinator's note stays in the database. A year's own events
are keyed by `year_case_id(year)` so they keep their order on one partition.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from services.contingent.domain.contingent import (
    ClosedYear,
    Contingent,
    ContingentWarnings,
    Redistribution,
)
from services.contingent.domain.sequencing import SequencingDecision
from shared.events import Event
from shared.events.contingent import (
    AllocationDecided,
    ContingentClosed,
    ContingentNearlyUsed,
    ContingentSet,
    MemberBalanceLine,
    MemberStanding,
    Redistributed,
    RedistributedShare,
    ShareExhausted,
    ShareLine,
)

YEAR_NAMESPACE = uuid.UUID("5d0c6a52-7f3b-4d0a-9a57-2f4b8f1d2a10")
REASON_LIMIT = 500


def year_case_id(year: int) -> UUID:
    """A stable Kafka key for a year's contingent events."""
    return uuid.uuid5(YEAR_NAMESPACE, f"contingent-{year}")


def contingent_set(c: Contingent) -> ContingentSet:
    return ContingentSet(
        year=c.year, total_homes=c.total_homes, method=c.method,
        min_per_member=c.min_per_member, cap_at_need=c.cap_at_need,
        carried_over_from=c.carried_over_from, unallocated=c.unallocated,
        shares=[ShareLine(member_id=m, need=c.need(m), share=c.shares[m],
                          carried_over=c.carried_over.get(m, 0)) for m in sorted(c.needs)],
    )


def short_reason(reason: str, year: int, home_id: UUID) -> str:
    """The decision's reason as it fits the event (500 characters).

    A long reason (many tied members) is cut at a word and points to the stored explanation,
    which always keeps the whole of it.
    """
    if len(reason) <= REASON_LIMIT:
        return reason
    pointer = f" … (full explanation: GET /contingents/{year}/explanations/{home_id})"
    room = REASON_LIMIT - len(pointer)
    cut = reason[:room].rsplit(" ", 1)[0].rstrip(",;: ")
    return cut + pointer


def allocation_decided(
    *, year: int, home_id: UUID, round: int, decision: SequencingDecision | None, reason: str,
) -> AllocationDecided:
    return AllocationDecided(
        home_id=home_id, contingent_year=year, round=round,
        member_id=decision.member_id if decision else None,
        home_number=decision.home_number if decision else 0,
        skipped=decision.skipped if decision else False,
        reason=short_reason(reason, year, home_id),
        standings=[
            MemberStanding(
                member_id=s.member_id, share=s.share, received=s.received,
                ideal_to_date=str(s.ideal_to_date), deviation=str(s.deviation),
                allowed=s.allowed, eligible=s.eligible, priority=str(s.priority),
            )
            for s in decision.standings
        ] if decision else [],
    )


def warnings_raised(
    c: Contingent, before: ContingentWarnings, after: ContingentWarnings
) -> list[Event]:
    """A warning each time a share runs out or the contingent crosses the threshold."""
    events: list[Event] = [
        ShareExhausted(year=c.year, member_id=m, share=c.shares[m], used=c.used(m))
        for m in after.exhausted if m not in before.exhausted
    ]
    if after.nearly_used and not before.nearly_used:
        events.append(ContingentNearlyUsed(
            year=c.year, used_homes=after.used_homes, total_homes=after.total_homes,
            threshold_percent=int(after.threshold * 100),
        ))
    return events


def redistributed(
    year: int, record: Redistribution, *, member_left: str | None = None
) -> Redistributed:
    return Redistributed(
        year=year, cause="member_left" if member_left else "coordinator", member_id=member_left,
        pool=record.pool, unallocated=record.unallocated,
        shares=[RedistributedShare(member_id=m, unmet_need=record.unmet_need.get(m, 0),
                                   share_before=record.shares_before.get(m, 0),
                                   share_after=after)
                for m, after in sorted(record.shares_after.items())],
    )


def contingent_closed(closed: ClosedYear) -> ContingentClosed:
    return ContingentClosed(
        year=closed.year, in_flight_counted_as_used=len(closed.in_flight_homes),
        balances=[MemberBalanceLine(member_id=b.member_id, need=b.need, share=b.share,
                                    used=b.used, unused=b.unused, overrun=b.overrun)
                  for b in closed.balances],
    )
