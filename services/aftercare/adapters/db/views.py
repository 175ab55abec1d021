"""Read-only views straight from the tables (no aggregate needed to list signals)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.aftercare.adapters.db.repository import signal_from_row
from services.aftercare.adapters.db.tables import signals, trajectories
from services.aftercare.domain.signals import Signal


@dataclass(frozen=True)
class SignalListing:
    signal: Signal
    trajectory_id: UUID
    home_id: UUID
    member_id: str
    corporation_id: str


async def signal_listing(
    session: AsyncSession, *, corporation_id: str | None = None, member_id: str | None = None
) -> Sequence[SignalListing]:
    """Signals, newest first: those a corporation raised, or those on a member's trajectories."""
    query = (
        sa.select(signals, trajectories.c.home_id, trajectories.c.member_id)
        .join(trajectories, trajectories.c.trajectory_id == signals.c.trajectory_id)
        .order_by(signals.c.raised_at.desc(), signals.c.seq.desc())
    )
    if corporation_id is not None:
        query = query.where(signals.c.corporation_id == corporation_id)
    if member_id is not None:
        query = query.where(trajectories.c.member_id == member_id)
    rows = (await session.execute(query)).all()
    return [
        SignalListing(signal_from_row(r), r.trajectory_id, r.home_id, r.member_id,
                      r.corporation_id)
        for r in rows
    ]
