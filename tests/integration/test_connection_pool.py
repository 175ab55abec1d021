"""A service's connection pool on real PostgreSQL keeps what a burst opened
(`shared.db.make_engine`): the next burst reuses the same backends instead of forking new
ones and repeating asyncpg's type introspection and statement preparation on each."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import make_engine
from shared.settings import ServiceSettings
from tests.conftest import Infra

pytestmark = pytest.mark.infra

BURST = 15  # above the 10 connections the pool used to keep, within the 20 it holds now


async def burst(engine: AsyncEngine, size: int) -> set[int]:
    """`size` connections in use at once; the PostgreSQL backends (pids) they were."""
    all_in = asyncio.Event()
    pids: set[int] = set()

    async def hold() -> None:
        async with engine.connect() as conn:
            pids.add(int(await conn.scalar(sa.select(sa.func.pg_backend_pid()))))
            if len(pids) == size:
                all_in.set()
            await all_in.wait()

    await asyncio.wait_for(asyncio.gather(*(hold() for _ in range(size))), 30)
    return pids


async def test_a_burst_above_ten_connections_keeps_them_for_the_next(infra: Infra) -> None:
    engine = make_engine(ServiceSettings(database_url=infra.database_url))
    try:
        first = await burst(engine, BURST)
        assert len(first) == BURST
        assert engine.pool.checkedin() == BURST  # none closed on return (overflow was)

        again = await burst(engine, BURST)
        assert again == first  # the same backends: no connection opened anew
    finally:
        await engine.dispose()
