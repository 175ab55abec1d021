"""Read the contingent's state for a year from its append-only ledger.

A home's holder is the member of its latest ledger entry, unless that entry is a release.
What a member has *received* counts the homes it holds, allocated (a proposal in flight) or
consumed (a tenancy started), so homes in flight are not all sent to one member.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.contingent.adapters.db.tables import contingents, ledger, shares


@dataclass(frozen=True)
class Holding:
    member_id: str
    kind: str  # allocated | consumed


async def holdings(session: AsyncSession, year: int) -> dict[uuid.UUID, Holding]:
    latest = (
        sa.select(ledger.c.home_id, sa.func.max(ledger.c.entry_id).label("entry_id"))
        .where(ledger.c.year == year).group_by(ledger.c.home_id).subquery()
    )
    rows = await session.execute(
        sa.select(ledger.c.home_id, ledger.c.member_id, ledger.c.kind)
        .join(latest, ledger.c.entry_id == latest.c.entry_id)
    )
    return {r.home_id: Holding(r.member_id, r.kind) for r in rows if r.kind != "released"}


def received(held: dict[uuid.UUID, Holding]) -> Counter[str]:
    return Counter(h.member_id for h in held.values())


def consumed(held: dict[uuid.UUID, Holding]) -> Counter[str]:
    return Counter(h.member_id for h in held.values() if h.kind == "consumed")


async def lock_contingent(session: AsyncSession, year: int) -> sa.Row | None:  # type: ignore[type-arg]
    """Serialise every change to a year's contingent (allocation, consumption, redistribution,
    close) on its row: no lost update between concurrent writers."""
    return (await session.execute(
        sa.select(contingents).where(contingents.c.year == year).with_for_update()
    )).one_or_none()


async def year_shares(session: AsyncSession, year: int) -> dict[str, tuple[int, int]]:
    """member_id → (need, share), in member order."""
    rows = await session.execute(
        sa.select(shares).where(shares.c.year == year).order_by(shares.c.member_id)
    )
    return {r.member_id: (r.need, r.share) for r in rows}
