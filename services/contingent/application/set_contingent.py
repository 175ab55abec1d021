"""Set a year's contingent: total homes, each member's declared need, the method and rules.

The shares are the textbook apportionment (`domain/apportionment.py`). Setting the year again
before it is closed recomputes them; a closed year cannot change.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.contingent.adapters.db.tables import contingents, members, shares
from services.contingent.application.ledger_state import lock_contingent
from services.contingent.domain.apportionment import apportion
from services.contingent.domain.errors import InvalidContingent
from shared.events.contingent import ContingentSet, ShareLine
from shared.outbox import Outbox
from shared.web import Problem

YEAR_NAMESPACE = uuid.UUID("5d0c6a52-7f3b-4d0a-9a57-2f4b8f1d2a10")


def year_case_id(year: int) -> uuid.UUID:
    """A stable Kafka key for a year's contingent events."""
    return uuid.uuid5(YEAR_NAMESPACE, f"contingent-{year}")


async def set_contingent(
    session: AsyncSession, outbox: Outbox, now: datetime, year: int, *, total_homes: int,
    method: Any, min_per_member: int, cap_at_need: bool, needs: dict[str, int],
) -> None:
    existing = await lock_contingent(session, year)
    if existing is not None and existing.status == "closed":
        raise Problem(409, f"the contingent for {year} is closed and cannot change")
    known = set((await session.execute(
        sa.select(members.c.member_id).where(members.c.member_id.in_(needs))
    )).scalars())
    unknown = sorted(set(needs) - known)
    if unknown:
        raise Problem(422, f"unknown member(s): {', '.join(unknown)}; register them first "
                           "with POST /members", "members")
    try:
        result = apportion(total_homes, needs, method, min_per_member=min_per_member,
                           cap_at_need=cap_at_need)
    except InvalidContingent as exc:
        raise Problem(422, str(exc), "total_homes") from None
    ties = [{"members": list(t.members), "homes": t.homes, "winners": list(t.winners)}
            for t in result.ties]
    values = dict(total_homes=total_homes, method=method, min_per_member=min_per_member,
                  cap_at_need=cap_at_need, status="open", ties=ties, set_at=now)
    await session.execute(insert(contingents).values(year=year, **values)
                          .on_conflict_do_update(index_elements=["year"], set_=values))
    await session.execute(sa.delete(shares).where(shares.c.year == year))
    await session.execute(sa.insert(shares), [
        {"year": year, "member_id": m, "need": needs[m], "share": s}
        for m, s in result.shares.items()
    ])
    await outbox.add(session, ContingentSet(
        year=year, total_homes=total_homes, method=method,
        shares=[ShareLine(member_id=m, need=needs[m], share=s) for m, s in result.shares.items()],
    ), case_id=year_case_id(year), occurred_at=now)
