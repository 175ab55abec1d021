"""Retention (bewaartermijn): erase the personal data of cases that ended long enough ago.

A case ends when aftercare ends (closed) or, for a client never housed, when it is withdrawn.
`retention_months` after that (default 24) the name, date of birth, contact details, BSN,
client number, notes and the other free texts are erased; the pseudonymous record stays —
`client_ref`, member, status history, dates, household size, the derived figures and the
risk categories — so throughput times and returns to homelessness can still be counted.

Each case is erased in its own transaction under its row lock, so a caseworker's read or a
late event never sees half an erasure.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta

from services.intake.application.ports import UnitOfWork
from services.intake.domain.retention import add_months

UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[UnitOfWork]]
# Calendar months end on different days (31 Aug + 6 months = 28 Feb): the database pre-selects
# generously and the domain decides exactly.
_SLACK = timedelta(days=4)


async def erase_expired_personal_data(
    new_uow: UnitOfWorkFactory, now: datetime, retention_months: int, batch: int = 1000
) -> int:
    """Erase what is due at `now`; returns how many cases were erased."""
    cutoff = add_months(now, -retention_months) + _SLACK
    total = 0
    while True:
        async with new_uow() as uow:
            candidates = await uow.intakes.ended_before(cutoff, batch)
        erased = 0
        for case_id in candidates:
            erased += await _erase_one(new_uow, case_id, now, retention_months)
        total += erased
        # Erased cases drop out of the next selection; stop when nothing more was due.
        if len(candidates) < batch or erased == 0:
            return total


async def _erase_one(
    new_uow: UnitOfWorkFactory, case_id: str, now: datetime, retention_months: int
) -> int:
    async with new_uow() as uow:
        intake = await uow.intakes.get(case_id, for_update=True)
        if intake is None or not intake.erasure_due(now, retention_months):
            return 0
        intake.erase_personal_data(now)
        await uow.intakes.save(intake)
        return 1
