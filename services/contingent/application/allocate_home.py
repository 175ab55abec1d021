"""Who is owed the next home, and the ledger entries that follow a home's fate.

The decision is Balinski and Young's quota rule (`domain/sequencing.py`); this use case
feeds it the year's shares and what each member has received, stores the explanation, and
answers matching with `AllocationDecided`. A tenancy consumes the home from its holder's
share; a home withdrawn before tenancy, or re-allocated after a proposal fell through,
releases it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.contingent.adapters.db.tables import allocations, ledger
from services.contingent.application.ledger_state import (
    holdings,
    lock_contingent,
    received,
    year_shares,
)
from services.contingent.domain.sequencing import next_member
from shared.events.contingent import AllocationDecided
from shared.outbox import Outbox


async def _append(
    session: AsyncSession, year: int, home_id: uuid.UUID, member_id: str, kind: str,
    event_id: uuid.UUID, at: datetime,
) -> None:
    await session.execute(sa.insert(ledger).values(
        year=year, home_id=home_id, member_id=member_id, kind=kind, event_id=event_id,
        occurred_at=at,
    ))


async def allocate_home(
    session: AsyncSession, outbox: Outbox, *, year: int, home_id: uuid.UUID, round: int,
    eligible: list[str], event_id: uuid.UUID, at: datetime,
) -> AllocationDecided:
    contingent = await lock_contingent(session, year)
    member_id: str | None = None
    home_number, skipped = 0, False
    if contingent is None:
        reason, standings = f"no contingent has been set for {year}", []
    elif contingent.status == "closed":
        reason, standings = f"the contingent for {year} is closed", []
    else:
        held = await holdings(session, year)
        previous = held.pop(home_id, None)
        if previous is not None and previous.kind == "allocated":
            await _append(session, year, home_id, previous.member_id, "released", event_id, at)
        share_of = {m: s for m, (_, s) in (await year_shares(session, year)).items()}
        got = received(held)
        decision = next_member(share_of, {m: got.get(m, 0) for m in share_of}, set(eligible))
        member_id, home_number = decision.member_id, decision.home_number
        skipped, reason = decision.skipped, decision.reason
        standings = [
            {"member_id": s.member_id, "share": s.share, "received": s.received,
             "ideal_to_date": str(s.ideal_to_date), "deviation": str(s.deviation),
             "allowed": s.allowed, "eligible": s.eligible, "priority": str(s.priority)}
            for s in decision.standings
        ]
        if member_id is not None:
            await _append(session, year, home_id, member_id, "allocated", event_id, at)
    await session.execute(sa.insert(allocations).values(
        home_id=home_id, round=round, year=year, member_id=member_id, decided_at=at,
        explanation={"eligible_members": sorted(eligible), "home_number": home_number,
                     "skipped": skipped, "reason": reason, "standings": standings},
    ))
    answer = AllocationDecided(
        home_id=home_id, contingent_year=year, round=round, member_id=member_id,
        home_number=home_number, skipped=skipped, reason=reason[:500],
    )
    await outbox.add(session, answer, case_id=home_id, occurred_at=at)
    return answer


async def consume_home(
    session: AsyncSession, *, year: int, home_id: uuid.UUID, member_id: str,
    event_id: uuid.UUID, at: datetime,
) -> bool:
    """A tenancy started: the home is used from the member's share (once, whatever repeats)."""
    await lock_contingent(session, year)
    previous = (await holdings(session, year)).get(home_id)
    if previous is not None and previous.kind == "consumed":
        return False
    await _append(session, year, home_id, member_id, "consumed", event_id, at)
    return True


async def release_home(
    session: AsyncSession, *, year: int, home_id: uuid.UUID, event_id: uuid.UUID, at: datetime,
) -> bool:
    """The home left the contingent before a tenancy: its holder gets the place back."""
    await lock_contingent(session, year)
    previous = (await holdings(session, year)).get(home_id)
    if previous is None or previous.kind != "allocated":
        return False
    await _append(session, year, home_id, previous.member_id, "released", event_id, at)
    return True
