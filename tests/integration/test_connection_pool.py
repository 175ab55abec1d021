"""A service's connection pool on real PostgreSQL (`shared.db.make_engine`) keeps what a
burst opened: the next burst reuses the same backends instead of forking new ones and
repeating asyncpg's type introspection and statement preparation on each. It pings a
connection before handing it out only when it has lain idle for a while."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared import db
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


async def _backend(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(sa.select(sa.func.pg_backend_pid())))


async def _terminate(infra: Infra, pid: int) -> None:
    admin = create_async_engine(infra.database_url)
    try:
        async with admin.connect() as conn:
            assert await conn.scalar(sa.select(sa.func.pg_terminate_backend(pid)))
    finally:
        await admin.dispose()
    await asyncio.sleep(0.2)  # the backend is gone, and the client's socket knows it


async def test_a_connection_idle_for_a_while_is_pinged_and_replaced_when_it_died(
    infra: Infra, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.5)
    engine = make_engine(ServiceSettings(database_url=infra.database_url), pool_size=1)
    try:
        first = await _backend(engine)
        await _terminate(infra, first)
        await asyncio.sleep(0.5)
        again = await _backend(engine)  # pinged, found dead, replaced: no error
        assert again != first
    finally:
        await engine.dispose()


async def test_a_connection_given_back_a_moment_ago_is_not_pinged(
    infra: Infra, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The price of skipping the ping: a backend ended within the second is found by the
    next statement, as a disconnect (a 503 to a request, a retry to a consumer); the pool
    then replaces it, and the statement after works."""
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 60.0)
    engine = make_engine(ServiceSettings(database_url=infra.database_url), pool_size=1)
    try:
        first = await _backend(engine)
        assert await _backend(engine) == first  # reused at once, no round trip before it
        await _terminate(infra, first)
        with pytest.raises(sa.exc.DBAPIError) as failed:
            await _backend(engine)
        assert failed.value.connection_invalidated
        assert await _backend(engine) != first
    finally:
        await engine.dispose()
