"""The overdue sweep reads only the trajectories it alerts: every write stores from when the
trajectory's pending check-ins are overdue, and the sweep counts and finds with those dates.
A trajectory written before the dates were stored is still counted and alerted.

The sweep looks at every open trajectory, so each test has a database of its own (`engine`,
migrated from scratch), where no other test's trajectories are and no running service
sweeps."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from services.aftercare.adapters.db import tables
from services.aftercare.application.alert_overdue_checkins import alert_overdue_checkins
from tests.integration.aftercare.direct import NOW, new_uow, opened
from tests.integration.aftercare.harness import unique
from tests.support.statements import statements_sent

pytestmark = pytest.mark.infra

TODAY = date(2090, 6, 1)
LONG_AGO = date(2090, 3, 1)  # months 1 and 2 are overdue by TODAY, month 3 is not
LATELY = date(2090, 5, 20)  # nothing is due yet


async def sweep(engine: AsyncEngine) -> tuple[dict[str, int], list[str]]:
    """One sweep on TODAY: the overdue count per member, and the ids of the trajectories whose
    check-ins it read."""
    with statements_sent(engine) as sent:
        per_member = await alert_overdue_checkins(new_uow(engine), today=TODAY, now=NOW)
    read = [str(p) for s in sent
            if s.statement.startswith("SELECT") and "aftercare.checkins" in s.statement
            for p in (s.parameters or ()) if isinstance(p, uuid.UUID)]
    return per_member, read


async def alerts(engine: AsyncEngine, trajectory_id: str) -> list[int]:
    async with engine.connect() as conn:
        rows = await conn.execute(sa.select(tables.outbox.c.payload).where(
            tables.outbox.c.event_type == "CheckInOverdue"))
    return sorted(r.payload["data"]["month"] for r in rows
                  if r.payload["data"]["trajectory_id"] == trajectory_id)


async def test_the_sweep_reads_only_what_it_alerts_and_counts_the_rest_from_stored_dates(
        engine: AsyncEngine) -> None:
    member = unique("m")
    behind = await opened(engine, member, LONG_AGO)
    on_time = await opened(engine, member, LONG_AGO, checkins=(date(2090, 4, 1),
                                                               date(2090, 5, 1)))
    new = await opened(engine, member, LATELY)

    per_member, read = await sweep(engine)
    assert per_member[member] == 2
    assert set(read) == {behind}
    assert await alerts(engine, behind) == [1, 2]
    assert await alerts(engine, on_time) == [] and await alerts(engine, new) == []

    per_member, read = await sweep(engine)  # alerted once: nothing to read now
    assert (per_member[member], read) == (2, [])
    assert await alerts(engine, behind) == [1, 2]


async def test_a_trajectory_written_before_the_dates_were_stored_is_swept_as_before(
        engine: AsyncEngine) -> None:
    member = unique("m")
    older = await opened(engine, member, LONG_AGO)
    async with engine.begin() as conn:  # as the migration leaves a trajectory written before
        await conn.execute(sa.update(tables.trajectories)
                           .where(tables.trajectories.c.trajectory_id == uuid.UUID(older))
                           .values(overdue_dates=None, next_alert_on=None))

    per_member, _ = await sweep(engine)
    assert per_member[member] == 2
    assert await alerts(engine, older) == [1, 2]
    async with engine.connect() as conn:  # the alert wrote it: from now on it is scanned
        stored = (await conn.execute(sa.select(tables.trajectories.c.overdue_dates).where(
            tables.trajectories.c.trajectory_id == uuid.UUID(older)))).scalar_one()
    assert stored is not None and len(stored) == 6
    per_member, read = await sweep(engine)
    assert (per_member[member], read) == (2, [])
