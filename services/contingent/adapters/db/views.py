"""Read models for the coordinator: the ledger with filters, the stored explanations, the
redistribution record and what each corporation delivered. Queries only; nothing here
changes state. A read of the ledger or the decisions first writes what the transaction
left for its commit (`shared.db.at_commit`, see repository.py), so it sees its own saves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.contingent.adapters.db.tables import allocations, contingents, ledger, redistributions
from shared.db import write_pending


@dataclass(frozen=True)
class LedgerFilter:
    member_id: str | None = None
    kind: str | None = None
    home_id: UUID | None = None
    occurred_from: datetime | None = None  # inclusive
    occurred_before: datetime | None = None  # exclusive


async def ledger_entries(
    session: AsyncSession, year: int, where: LedgerFilter
) -> Sequence[sa.Row[Any]]:
    await write_pending(session)
    query = sa.select(ledger).where(ledger.c.year == year)
    if where.member_id is not None:
        query = query.where(ledger.c.member_id == where.member_id)
    if where.kind is not None:
        query = query.where(ledger.c.kind == where.kind)
    if where.home_id is not None:
        query = query.where(ledger.c.home_id == where.home_id)
    if where.occurred_from is not None:
        query = query.where(ledger.c.occurred_at >= where.occurred_from)
    if where.occurred_before is not None:
        query = query.where(ledger.c.occurred_at < where.occurred_before)
    return (await session.execute(query.order_by(ledger.c.sequence))).all()


async def decisions_for_home(
    session: AsyncSession, year: int, home_id: UUID
) -> Sequence[sa.Row[Any]]:
    """Every stored allocation decision of a home in a year, oldest round first."""
    await write_pending(session)
    return (await session.execute(
        sa.select(allocations).where(allocations.c.year == year,
                                     allocations.c.home_id == home_id)
        .order_by(allocations.c.round))).all()


async def redistribution_record(session: AsyncSession, year: int) -> Sequence[sa.Row[Any]]:
    return (await session.execute(
        sa.select(redistributions).where(redistributions.c.year == year)
        .order_by(redistributions.c.redistribution_id))).all()


async def delivered_by_corporation(session: AsyncSession, year: int) -> dict[str, int]:
    """Homes let (consumed) per corporation: what each pledge has delivered so far."""
    await write_pending(session)
    rows = await session.execute(
        sa.select(ledger.c.corporation_id, sa.func.count())
        .where(ledger.c.year == year, ledger.c.kind == "consumed",
               ledger.c.corporation_id.is_not(None))
        .group_by(ledger.c.corporation_id))
    return {corporation: count for corporation, count in rows}


async def years(session: AsyncSession) -> Sequence[sa.Row[Any]]:
    return (await session.execute(
        sa.select(contingents.c.year, contingents.c.status, contingents.c.total_homes,
                  contingents.c.method).order_by(contingents.c.year))).all()


async def year_exists(session: AsyncSession, year: int) -> bool:
    found = await session.scalar(sa.select(contingents.c.year).where(contingents.c.year == year))
    return found is not None
