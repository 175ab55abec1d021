"""Opening an intake writes the case and its `IntakeSubmitted` in one statement, without a
transaction around it (`unit_of_work(one_statement=True)`, `shared.db.in_one_statement`):
PostgreSQL applies that statement whole or not at all, so the event is never stored without
its case nor the case without its event. On a database of the test's own."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from services.intake.adapters.db import tables
from services.intake.adapters.db.unit_of_work import SqlUnitOfWork, unit_of_work
from services.intake.application.integration_events import intake_submitted
from shared.clock import ManualClock
from shared.outbox import Outbox
from tests.integration.intake.support import submitted_intake

pytestmark = pytest.mark.infra

T0 = datetime(2091, 6, 4, 9, 0, tzinfo=UTC)
OUTBOX = Outbox(tables.outbox, "intake", ManualClock(T0))


def in_transaction(uow: SqlUnitOfWork) -> bool:
    """Whether PostgreSQL holds the unit of work's connection in a transaction block."""
    fairy = uow.session.sync_session.connection().connection
    return bool(fairy.driver_connection.is_in_transaction())


async def stored(engine: AsyncEngine, case_id: str) -> tuple[int, list[tuple[str, str]]]:
    async with engine.connect() as conn:
        cases = (await conn.execute(sa.select(sa.func.count()).select_from(tables.intakes)
                                    .where(tables.intakes.c.case_id == uuid.UUID(case_id))))
        events = await conn.execute(sa.select(tables.outbox.c.event_type, tables.outbox.c.key))
        return cases.scalar_one(), [tuple(row) for row in events]


async def test_a_case_and_its_event_are_written_together_without_a_transaction(
        engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    intake = submitted_intake("A", T0)
    async with unit_of_work(sessions, OUTBOX, one_statement=True) as uow:
        assert await uow.intakes.add(intake, "c-1", submitted=intake_submitted(intake))
        assert not in_transaction(uow)  # no BEGIN was sent: the statement committed itself
    assert await stored(engine, intake.case_id) == (1, [("IntakeSubmitted", intake.case_id)])


async def test_a_case_whose_client_has_an_open_case_publishes_nothing(
        engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    first, second = submitted_intake("B", T0, "c-2"), submitted_intake("B", T0, "c-2")
    for intake, expected in ((first, True), (second, False)):
        async with unit_of_work(sessions, OUTBOX, one_statement=True) as uow:
            assert await uow.intakes.add(
                intake, "c-2", submitted=intake_submitted(intake)) is expected
    assert await stored(engine, second.case_id) == (0, [("IntakeSubmitted", first.case_id)])


async def test_an_event_that_cannot_be_written_leaves_no_case(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:  # the outbox refuses every row
        await conn.execute(sa.text(
            "CREATE FUNCTION intake.refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"))
        await conn.execute(sa.text(
            "CREATE TRIGGER refuse BEFORE INSERT ON intake.outbox "
            "FOR EACH ROW EXECUTE FUNCTION intake.refuse()"))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    intake = submitted_intake("C", T0)
    with pytest.raises(DBAPIError, match="refused by the test"):
        async with unit_of_work(sessions, OUTBOX, one_statement=True) as uow:
            await uow.intakes.add(intake, "c-3", submitted=intake_submitted(intake))
    assert await stored(engine, intake.case_id) == (0, [])


async def test_a_write_left_for_the_commit_is_refused(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    intake = submitted_intake("D", T0)
    with pytest.raises(RuntimeError, match="outside any transaction"):
        async with unit_of_work(sessions, OUTBOX, one_statement=True) as uow:
            await uow.publish(intake_submitted(intake), case_id=intake.case_id, occurred_at=T0)
    assert await stored(engine, intake.case_id) == (0, [])


async def test_the_connection_runs_transactions_again_once_given_back(
        engine: AsyncEngine) -> None:
    one = create_async_engine(engine.url, pool_size=1, max_overflow=0)  # the same connection
    try:
        sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(one)
        intake = submitted_intake("E", T0)
        async with unit_of_work(sessions, OUTBOX, one_statement=True) as uow:
            await uow.intakes.add(intake, "c-5", submitted=intake_submitted(intake))
            backend = (await uow.session.execute(sa.text("SELECT pg_backend_pid()"))).scalar()
        async with unit_of_work(sessions, OUTBOX) as uow:
            again = (await uow.session.execute(sa.text("SELECT pg_backend_pid()"))).scalar()
            assert again == backend and in_transaction(uow)
    finally:
        await one.dispose()


async def test_a_unit_of_work_refused_before_its_statement_takes_no_connection(
        engine: AsyncEngine) -> None:
    """An intake refused by validation (422) never reaches the database."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with unit_of_work(sessions, OUTBOX, one_statement=True):
        assert engine.sync_engine.pool.checkedout() == 0
