"""Reading one trajectory locked — what every check-in, signal and closing starts with — takes
one statement for the trajectory and its check-ins, and a second only when it has signals;
it restores the same aggregate as reading it in a list."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.aftercare.adapters.db.tables import trajectories
from services.aftercare.application.ports import SeenIntake
from services.aftercare.domain.signals import SignalKind
from services.aftercare.domain.trajectory import AftercareTrajectory
from tests.integration.aftercare.direct import NOW, new_uow, opened
from tests.integration.aftercare.harness import unique
from tests.support.statements import statements_sent

pytestmark = pytest.mark.infra

START = date(2090, 1, 6)


async def read(engine: AsyncEngine, trajectory_id: str) -> tuple[AftercareTrajectory, int]:
    with statements_sent(engine) as sent:
        async with new_uow(engine)() as uow:
            trajectory = await uow.trajectories.get(trajectory_id, lock=True)
    assert trajectory is not None
    return trajectory, len(sent)


async def listed(engine: AsyncEngine, member: str, trajectory_id: str) -> AftercareTrajectory:
    async with new_uow(engine)() as uow:
        [trajectory] = [t for t in await uow.trajectories.listing(member_id=member)
                        if t.trajectory_id == trajectory_id]
    return trajectory


def same(a: AftercareTrajectory, b: AftercareTrajectory) -> None:
    assert a.checkins == b.checkins and a.signals == b.signals
    assert a.due_checkins() == b.due_checkins() and a.ends_on == b.ends_on


async def test_a_trajectory_and_its_checkins_are_read_in_one_statement(
        engine: AsyncEngine) -> None:
    member = unique("m")
    held = (date(2090, 2, 6), date(2090, 3, 5), date(2090, 3, 6))
    with_checkins = await opened(engine, member, START, checkins=held)
    without = await opened(engine, member, START)

    trajectory, statements = await read(engine, with_checkins)
    assert statements == 1
    assert [c.held_on for c in trajectory.checkins] == list(held)
    same(trajectory, await listed(engine, member, with_checkins))
    trajectory, statements = await read(engine, without)
    assert (statements, trajectory.checkins) == (1, ())


async def test_signals_cost_a_second_statement_only_when_there_are_any(
        engine: AsyncEngine) -> None:
    member = unique("m")
    tid = await opened(engine, member, START, checkins=(date(2090, 2, 6),))
    async with new_uow(engine)() as uow:
        trajectory = await uow.trajectories.get(tid, lock=True)
        assert trajectory is not None
        for kind in (SignalKind.NUISANCE, SignalKind.OTHER):
            trajectory.raise_signal(signal_id=str(uuid.uuid4()), kind=kind, raised_at=NOW,
                                    raised_on=START + timedelta(days=40))
        await uow.trajectories.save(trajectory, by="test", at=NOW)

    again, statements = await read(engine, tid)
    assert statements == 2
    assert [s.kind for s in again.signals] == [SignalKind.NUISANCE, SignalKind.OTHER]
    same(again, await listed(engine, member, tid))


async def test_an_intake_is_remembered_once_with_its_clients_tenancies_in_one_statement(
        engine: AsyncEngine) -> None:
    member = unique("m")
    later = await opened(engine, member, START + timedelta(days=30))
    earlier = await opened(engine, member, START)
    async with new_uow(engine)() as uow:  # both tenancies are the same client's
        [ref] = {t.client_ref for t in await uow.trajectories.listing(member_id=member)
                 if t.trajectory_id == earlier}
        await uow.session.execute(
            trajectories.update().where(trajectories.c.trajectory_id == uuid.UUID(later))
            .values(client_ref=ref))
    intake = SeenIntake(case_id=str(uuid.uuid4()), client_ref=ref, member_id=member,
                        submitted_on=START + timedelta(days=90))
    stranger = SeenIntake(case_id=str(uuid.uuid4()), client_ref=unique("ref"),
                          member_id=member, submitted_on=START)

    with statements_sent(engine) as sent:
        async with new_uow(engine)() as uow:
            assert await uow.intakes.remember(intake) == [earlier, later]  # oldest first
    assert len(sent) == 1
    async with new_uow(engine)() as uow:
        assert await uow.intakes.remember(intake) is None  # seen already
        assert await uow.intakes.remember(stranger) == []
        assert [i.case_id for i in await uow.intakes.of_clients([ref])] == [intake.case_id]
