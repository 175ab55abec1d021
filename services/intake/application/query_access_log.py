"""The coordinator's view of the access log: who read which client's file, when and why —
never the data that was read."""

from __future__ import annotations

from collections.abc import Sequence

from services.intake.application.access import Actor, ensure_coordinator
from services.intake.application.ports import AccessEntry, AccessQuery, UnitOfWork


async def query_access_log(
    uow: UnitOfWork, actor: Actor, which: AccessQuery
) -> Sequence[AccessEntry]:
    ensure_coordinator(actor)
    return await uow.access_log.query(which)
