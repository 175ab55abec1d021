"""Keep the case's status current from matching's events (the caseworker's view)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.adapters.db.tables import intakes
from shared.envelope import Envelope
from shared.events import Event

# Which event moves a case from which statuses to which.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "MatchProposed": (("submitted",), "proposed"),
    "MatchDeclined": (("proposed",), "submitted"),
    "MatchExpired": (("proposed",), "submitted"),
    "MatchCancelled": (("proposed",), "submitted"),
    "TenancyStarted": (("submitted", "proposed"), "housed"),
    "AftercareCompleted": (("housed",), "closed"),
}


async def track_case_status(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    from_statuses, to_status = TRANSITIONS[envelope.type]
    values: dict[str, object] = {"status": to_status, "updated_at": envelope.occurred_at}
    if to_status == "closed":
        values["closed_at"] = envelope.occurred_at
    await session.execute(
        sa.update(intakes)
        .where(intakes.c.case_id == envelope.case_id, intakes.c.status.in_(from_statuses))
        .values(**values)
    )
