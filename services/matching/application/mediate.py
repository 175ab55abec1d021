"""Direct mediation (directe bemiddeling): homes meet waiting candidates.

The sequence for every home: find the members with an eligible candidate → ask the contingent
which of them is owed the home (AllocationRequested) → on its answer propose that member's
most urgent, longest-waiting eligible candidate (MatchProposed) → the corporation decides. A
declined or expired proposal asks the contingent again without the declined client.

Every function here runs inside the caller's transaction and locks the rows it changes, so a
home and a candidate are only ever in one open proposal (the database's partial unique
indexes back that up).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.adapters.db.tables import candidates, homes, matches
from services.matching.application.eligibility_check import is_eligible
from shared.events.matching import AllocationRequested, MatchProposed
from shared.outbox import Outbox

URGENCY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
DECISION_PERIOD = timedelta(days=7)  # skeleton: 5 working days arrive with the domain core


async def _declined_for(session: AsyncSession, home_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await session.execute(
        sa.select(matches.c.case_id).where(
            matches.c.home_id == home_id,
            matches.c.status.in_(["declined", "expired", "cancelled"]),
        )
    )
    return set(rows.scalars())


async def eligible_candidates(
    session: AsyncSession, home: Any, *, lock: bool = False, member_id: str | None = None
) -> list[Any]:
    declined = await _declined_for(session, home.home_id)
    query = sa.select(candidates).where(candidates.c.status == "waiting")
    if member_id is not None:
        query = query.where(candidates.c.member_id == member_id)
    if lock:
        query = query.with_for_update(skip_locked=True)
    rows = (await session.execute(query)).all()
    return [c for c in rows if c.case_id not in declined and is_eligible(home.offer, c.profile)]


async def request_allocation(session: AsyncSession, outbox: Outbox, home_id: uuid.UUID) -> None:
    """Ask the contingent who is owed this home, or let it wait for an eligible candidate."""
    home = (await session.execute(
        sa.select(homes).where(homes.c.home_id == home_id).with_for_update()
    )).one()
    if home.status not in ("waiting", "allocating", "proposed"):
        return
    members = sorted({c.member_id for c in await eligible_candidates(session, home)})
    if not members:
        await session.execute(sa.update(homes).where(homes.c.home_id == home_id)
                              .values(status="waiting"))
        return
    next_round = home.allocation_round + 1
    await session.execute(sa.update(homes).where(homes.c.home_id == home_id)
                          .values(status="allocating", allocation_round=next_round))
    await outbox.add(session, AllocationRequested(
        home_id=home_id, contingent_year=home.contingent_year, round=next_round,
        eligible_members=members,
    ), case_id=home_id)


async def propose(
    session: AsyncSession, outbox: Outbox, now: datetime, home_id: uuid.UUID,
    allocation_round: int, member_id: str | None, explanation: dict[str, Any],
) -> uuid.UUID | None:
    """Act on the contingent's answer: propose the member's best eligible candidate."""
    home = (await session.execute(
        sa.select(homes).where(homes.c.home_id == home_id).with_for_update()
    )).one_or_none()
    if home is None or home.status != "allocating" or home.allocation_round != allocation_round:
        return None  # a stale answer: the home moved on since it asked
    if member_id is None:
        await session.execute(sa.update(homes).where(homes.c.home_id == home_id)
                              .values(status="waiting"))
        return None
    pool = await eligible_candidates(session, home, lock=True, member_id=member_id)
    if not pool:  # the member's candidate was proposed elsewhere meanwhile: ask again
        await request_allocation(session, outbox, home_id)
        return None
    best = min(pool, key=lambda c: (URGENCY_RANK[c.profile["urgency"]], c.submitted_at,
                                    str(c.case_id)))
    match_id = uuid.uuid4()
    deadline = now + DECISION_PERIOD
    await session.execute(sa.insert(matches).values(
        match_id=match_id, home_id=home_id, case_id=best.case_id, member_id=member_id,
        corporation_id=home.corporation_id, status="proposed", proposed_at=now,
        deadline=deadline, explanation=explanation,
    ))
    await session.execute(sa.update(candidates).where(candidates.c.case_id == best.case_id)
                          .values(status="proposed"))
    await session.execute(sa.update(homes).where(homes.c.home_id == home_id)
                          .values(status="proposed"))
    await outbox.add(session, MatchProposed(
        match_id=match_id, home_id=home_id, client_ref=best.client_ref, member_id=member_id,
        corporation_id=home.corporation_id, municipality=home.offer["municipality"],
        contingent_year=home.contingent_year, deadline=deadline,
        intake_submitted_at=best.submitted_at,
    ), case_id=best.case_id, occurred_at=now)
    return match_id


async def offer_waiting_homes(
    session: AsyncSession, outbox: Outbox, profile: dict[str, Any]
) -> None:
    """A new or changed candidate may unblock homes that found nobody eligible."""
    waiting = (await session.execute(
        sa.select(homes).where(homes.c.status == "waiting").order_by(homes.c.offered_at)
    )).all()
    for home in waiting:
        if is_eligible(home.offer, profile):
            await request_allocation(session, outbox, home.home_id)
