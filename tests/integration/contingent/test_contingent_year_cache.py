"""A process keeps the year it read or wrote last (`YearCache`) and hands out a copy while the
year's revision in PostgreSQL is unchanged — one statement instead of reading the whole
ledger. What another process wrote, and what was rolled back, is never served from it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.contingent.adapters.db.repository import SqlContingentRepository, YearCache
from services.contingent.domain.contingent import Contingent
from tests.integration.contingent.support import AT, Region
from tests.support.statements import statements_sent

pytestmark = pytest.mark.infra


class RolledBack(Exception):
    pass


async def allocate(engine: AsyncEngine, cache: YearCache, year: int, members: list[str],
                   *, roll_back: bool = False) -> str:
    """One transaction of a process with this cache: read the year locked, allocate a new
    home, save (and roll back when asked). Returns the home."""
    home = str(uuid.uuid4())
    try:
        async with AsyncSession(engine) as session, session.begin():
            repository = SqlContingentRepository(session, years=cache)
            contingent = await repository.get(year, lock=True)
            assert contingent is not None
            contingent.allocate(home, members, str(uuid.uuid4()), AT)
            await repository.save(contingent, at=AT)
            if roll_back:
                raise RolledBack
    except RolledBack:
        pass
    return home


async def read(engine: AsyncEngine, cache: YearCache, year: int) -> tuple[Contingent, int]:
    """The year as a process with this cache reads it, and how many statements that took."""
    with statements_sent(engine) as sent:
        async with AsyncSession(engine) as session, session.begin():
            contingent = await SqlContingentRepository(session, years=cache).get(year, lock=True)
    assert contingent is not None
    return contingent, len([s for s in sent if "contingent." in s.statement])


def state(c: Contingent) -> tuple[object, ...]:
    return (c.ledger, c.shares, c.needs, c.redistributions,
            {m: (c.used(m), c.in_flight(m), c.remaining(m)) for m in c.members})


async def test_a_year_unchanged_since_this_process_wrote_it_is_read_in_one_statement(
        region: Region, database: AsyncEngine) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 6, b: 4}, 10)
    engine, cache = database, YearCache()
    homes = [await allocate(engine, cache, region.year, [a, b]) for _ in range(3)]

    cached, statements = await read(engine, cache, region.year)
    restored, from_rows = await read(engine, YearCache(), region.year)
    assert statements == 1 and from_rows > 1
    assert state(cached) == state(restored)
    assert [e.home_id for e in cached.ledger] == homes
    # What the reader changes is its own: the next reader gets the year as it was written.
    cached.allocate(str(uuid.uuid4()), [a, b], str(uuid.uuid4()), AT)
    again, _ = await read(engine, cache, region.year)
    assert state(again) == state(restored)


async def test_what_another_process_wrote_or_a_rollback_is_never_served_from_the_cache(
        region: Region, database: AsyncEngine) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 6, b: 4}, 10)
    engine, ours, theirs = database, YearCache(), YearCache()
    first = await allocate(engine, ours, region.year, [a, b])
    before = (await region.lines())[a]["allocated"] + (await region.lines())[b]["allocated"]

    second = await allocate(engine, theirs, region.year, [a, b])  # another process
    seen, _ = await read(engine, ours, region.year)
    assert [e.home_id for e in seen.ledger] == [first, second]
    # The running service had read the year too (the view above); it sees the write as well.
    lines = await region.lines()
    assert lines[a]["allocated"] + lines[b]["allocated"] == before + 1

    lost = await allocate(engine, ours, region.year, [a, b], roll_back=True)
    seen, _ = await read(engine, ours, region.year)
    assert lost not in {e.home_id for e in seen.ledger}
    assert [e.home_id for e in seen.ledger] == [first, second]
