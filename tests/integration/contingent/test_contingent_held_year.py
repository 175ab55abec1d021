"""A transaction that holds a year (read with `lock=True`) does not read it again, and what it
saves of it is written as it commits, with its other saves: a consumer handling several
allocations in one transaction sends one statement for their ledger entries, one for their
decisions and one for the year's revision, not one each (docs/benchmark.md, round nineteen).
The writes must still all arrive, in order, never when the transaction rolls back; and the
revision committed must be the one the process's year cache keeps the year under."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.contingent.adapters.db.repository import SqlContingentRepository, YearCache
from services.contingent.adapters.db.tables import allocations
from services.contingent.domain.contingent import Contingent
from tests.integration.contingent.support import AT, Region
from tests.support.statements import statements_sent

pytestmark = pytest.mark.infra


class RolledBack(Exception):
    pass


async def allocate_in_one_transaction(
        engine: AsyncEngine, cache: YearCache, year: int, members: list[str],
        homes: int) -> list[str]:
    """Allocate `homes` homes in one transaction, each as the consumer handles an event: a
    repository of its own, the year read locked, saved, the decision recorded."""
    allocated = []
    async with AsyncSession(engine) as session, session.begin():
        for _ in range(homes):
            repository = SqlContingentRepository(session, years=cache)
            contingent = await repository.get(year, lock=True)
            assert contingent is not None
            home = str(uuid.uuid4())
            decision = contingent.allocate(home, members, str(uuid.uuid4()), AT)
            await repository.save(contingent, at=AT)
            await repository.record_decision(
                year=year, home_id=uuid.UUID(home), round=1, member_id=decision.member_id,
                explanation={"reason": decision.reason}, event_id=uuid.uuid4(), at=AT)
            allocated.append(home)
    return allocated


async def restored(engine: AsyncEngine, year: int) -> Contingent:
    async with AsyncSession(engine) as session, session.begin():
        contingent = await SqlContingentRepository(session, years=YearCache()).get(year)
    assert contingent is not None
    return contingent


async def decisions(engine: AsyncEngine, homes: list[str]) -> dict[str, object]:
    async with engine.connect() as conn:
        rows = await conn.execute(sa.select(allocations.c.home_id, allocations.c.explanation)
                                  .where(allocations.c.home_id.in_(
                                      [uuid.UUID(h) for h in homes])))
    return {str(r.home_id): r.explanation for r in rows}


async def test_a_held_year_is_read_once_and_its_saves_are_written_together_at_commit(
        region: Region, database: AsyncEngine) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 6, b: 4}, 10)
    cache = YearCache()
    with statements_sent(database) as sent:
        homes = await allocate_in_one_transaction(database, cache, region.year, [a, b], 4)

    ours = [s for s in sent if "contingent." in s.statement]
    heads = [s for s in ours if s.statement.startswith("SELECT contingent.contingents")]
    ledger = [s for s in ours if s.statement.startswith("INSERT INTO contingent.ledger")]
    decided = [s for s in ours if s.statement.startswith("INSERT INTO contingent.allocations")]
    revised = [s for s in ours if s.statement.startswith("UPDATE contingent.contingents")]
    assert len(heads) == 1  # the year, read once while held
    assert len(ledger) == len(decided) == len(revised) == 1  # for all four homes,
    assert len(ledger[0].parameters) == len(decided[0].parameters) == 4
    assert {id(s) for s in ours[-3:]} == {id(ledger[0]), id(decided[0]), id(revised[0])}
    # at commit: the last statements the transaction sent

    from_rows = await restored(database, region.year)
    assert [e.home_id for e in from_rows.ledger] == homes
    assert [e.sequence for e in from_rows.ledger] == sorted(e.sequence for e in from_rows.ledger)
    assert set(await decisions(database, homes)) == set(homes)
    # The revision committed is the one this process's cache keeps the year under: the next
    # transaction reads the year in one statement, and it is the year as written.
    with statements_sent(database) as sent:
        async with AsyncSession(database) as session, session.begin():
            cached = await SqlContingentRepository(session, years=cache).get(region.year)
    assert cached is not None
    assert len([s for s in sent if "contingent." in s.statement]) == 1
    assert cached.ledger == from_rows.ledger
    assert {m: cached.used(m) + cached.in_flight(m) for m in cached.members} == {
        m: from_rows.used(m) + from_rows.in_flight(m) for m in from_rows.members}


async def test_a_held_year_rolled_back_writes_nothing_and_is_not_served_again(
        region: Region, database: AsyncEngine) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 6, b: 4}, 10)
    cache = YearCache()
    kept = await allocate_in_one_transaction(database, cache, region.year, [a, b], 1)
    lost = str(uuid.uuid4())
    # One session, two transactions: what the first held and left to write must be gone
    # when the second begins.
    async with AsyncSession(database) as session:
        try:
            async with session.begin():
                repository = SqlContingentRepository(session, years=cache)
                contingent = await repository.get(region.year, lock=True)
                assert contingent is not None
                contingent.allocate(lost, [a, b], str(uuid.uuid4()), AT)
                await repository.save(contingent, at=AT)
                await repository.record_decision(
                    year=region.year, home_id=uuid.UUID(lost), round=1, member_id=a,
                    explanation={}, event_id=uuid.uuid4(), at=AT)
                raise RolledBack
        except RolledBack:
            pass
        async with session.begin():
            again = await SqlContingentRepository(session, years=cache).get(region.year)
            assert again is not None and [e.home_id for e in again.ledger] == kept
            await SqlContingentRepository(session, years=cache).record_decision(
                year=region.year, home_id=uuid.UUID(kept[0]), round=2, member_id=a,
                explanation={}, event_id=uuid.uuid4(), at=AT)

    assert [e.home_id for e in (await restored(database, region.year)).ledger] == kept
    assert await decisions(database, [lost]) == {}


async def test_a_round_decided_twice_in_one_transaction_keeps_the_newest_answer(
        region: Region, database: AsyncEngine) -> None:
    a = region.member()
    await region.setup({a: 4}, 4)
    home = uuid.uuid4()
    async with AsyncSession(database) as session, session.begin():
        repository = SqlContingentRepository(session, years=YearCache())
        for reason in ("first answer", "second answer"):
            await repository.record_decision(
                year=region.year, home_id=home, round=3, member_id=a,
                explanation={"reason": reason}, event_id=uuid.uuid4(), at=AT)
    assert await decisions(database, [str(home)]) == {str(home): {"reason": "second answer"}}


async def test_a_read_of_the_ledger_in_the_same_transaction_sees_what_waits_for_the_commit(
        region: Region, database: AsyncEngine) -> None:
    from services.contingent.adapters.db import views

    a = region.member()
    await region.setup({a: 4}, 4)
    async with AsyncSession(database) as session, session.begin():
        repository = SqlContingentRepository(session, years=YearCache())
        contingent = await repository.get(region.year, lock=True)
        assert contingent is not None
        home = str(uuid.uuid4())
        contingent.allocate(home, [a], str(uuid.uuid4()), AT)
        await repository.save(contingent, at=AT)
        await repository.record_decision(
            year=region.year, home_id=uuid.UUID(home), round=1, member_id=a,
            explanation={"reason": "owed"}, event_id=uuid.uuid4(), at=AT)
        entries = await views.ledger_entries(session, region.year, views.LedgerFilter())
        decided = await views.decisions_for_home(session, region.year, uuid.UUID(home))
    assert [str(e.home_id) for e in entries] == [home]
    assert [d.explanation for d in decided] == [{"reason": "owed"}]
    assert [e.home_id for e in (await restored(database, region.year)).ledger] == [home]


async def test_a_year_read_without_its_lock_is_not_saved(
        region: Region, database: AsyncEngine) -> None:
    """Its writes wait for the commit, so without the row lock another transaction could
    write the year in between: refused, not lost."""
    a = region.member()
    await region.setup({a: 4}, 4)
    async with AsyncSession(database) as session, session.begin():
        repository = SqlContingentRepository(session, years=YearCache())
        contingent = await repository.get(region.year)
        assert contingent is not None
        contingent.allocate(str(uuid.uuid4()), [a], str(uuid.uuid4()), AT)
        with pytest.raises(RuntimeError, match="lock=True"):
            await repository.save(contingent, at=AT)
    assert (await restored(database, region.year)).ledger == ()
