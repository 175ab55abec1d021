"""The outbox relay on real PostgreSQL and Kafka: woken by NOTIFY, it publishes a committed
event at once — also one committed while it was busy publishing the previous ones. (It
used to clear its wake-up flag after publishing, so a notification that came in meanwhile
was lost and the event waited for the next poll: half a second in the services, which
showed as a p90 of 526 ms between intake's commit and Kafka in the simulated year.)"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from shared.clock import SystemClock
from shared.db import outbox_table
from shared.envelope import Envelope
from shared.events.base import envelope_for
from shared.events.matching import HomeWithdrawn
from shared.outbox import Outbox, OutboxRelay, PendingCount
from tests.support.kafka import eventually, find_records
from tests.support.statements import statements_sent

pytestmark = pytest.mark.infra

POLL_SECONDS = 30.0  # far longer than any test here waits: only a NOTIFY can wake the relay


@dataclass
class World:
    engine: AsyncEngine
    table: sa.Table
    broker: KafkaBroker
    bootstrap: str
    channel: str
    topic: str

    async def commit_event(self, year: int) -> int:
        """One outbox row and its NOTIFY in one transaction, as `Outbox.add` writes them."""
        envelope = envelope_for(
            HomeWithdrawn(home_id=uuid.uuid4(), corporation_id="corp1", contingent_year=year),
            case_id=uuid.uuid4(), occurred_at=datetime.now(UTC), recorded_at=datetime.now(UTC))
        async with self.engine.begin() as conn:
            row_id = await conn.scalar(sa.insert(self.table).values(
                event_id=envelope.event_id, event_type=envelope.type, topic=self.topic,
                key=str(envelope.case_id), payload=envelope.model_dump(mode="json"),
            ).returning(self.table.c.id))
            await conn.execute(sa.select(sa.func.pg_notify(self.channel, "")))
        return int(row_id)

    async def published(self, row_id: int) -> bool:
        async with self.engine.connect() as conn:
            return await conn.scalar(sa.select(self.table.c.published_at.is_not(None))
                                     .where(self.table.c.id == row_id)) is True


@pytest.fixture
async def world(infra: Any) -> AsyncIterator[World]:
    schema = f"relaytest_{uuid.uuid4().hex[:8]}"
    engine = create_async_engine(infra.database_url)
    table = outbox_table(sa.MetaData(schema=schema))
    async with engine.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        await conn.run_sync(table.metadata.create_all)
    broker = KafkaBroker(infra.bootstrap_servers)
    await broker.connect()
    try:
        yield World(engine, table, broker, infra.bootstrap_servers, channel=f"outbox_{schema}",
                    topic=f"transferpunt.{schema}.events")
    finally:
        await broker.stop()
        async with engine.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()


async def published_within(world: World, row_id: int, seconds: float = 5.0) -> float:
    """Seconds until the row is marked published; fails after `seconds`."""
    began = time.monotonic()
    await eventually(lambda: world.published(row_id), seconds=seconds, every=0.02)
    return time.monotonic() - began


async def test_an_event_committed_while_the_relay_publishes_goes_out_without_a_poll(
        world: World) -> None:
    committed_meanwhile: list[int] = []

    class Relay(OutboxRelay):
        async def publish_pending(self) -> int:
            published = await super().publish_pending()
            if published and not committed_meanwhile:
                # Another transaction commits an event while this round is still busy, and
                # its notification arrives before the round is over.
                committed_meanwhile.append(await world.commit_event(2052))
                await asyncio.sleep(0.3)  # its NOTIFY has reached the listener by now
            return published

    relay = Relay(world.engine, world.table, world.broker, "relaytest", world.channel,
                  poll_seconds=POLL_SECONDS)
    running = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.5)  # listening
        await published_within(world, await world.commit_event(2051))

        async def meanwhile() -> bool:
            return bool(committed_meanwhile)

        await eventually(meanwhile, seconds=5, every=0.02)
        took = await published_within(world, committed_meanwhile[0])
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert took < 5
    records = await find_records(world.bootstrap, world.topic, lambda r: True, count=2)
    assert [dict(r.headers)["event_type"] for r in records] == [b"HomeWithdrawn"] * 2


async def test_each_of_many_events_committed_one_after_another_goes_out_at_once(
        world: World) -> None:
    relay = OutboxRelay(world.engine, world.table, world.broker, "relaytest", world.channel,
                        poll_seconds=POLL_SECONDS)
    running = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.5)
        waits = []
        for year in range(2061, 2081):
            waits.append(await published_within(world, await world.commit_event(year)))
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert max(waits) < 5, waits


async def test_a_round_kafka_fails_marks_nothing_published(world: World) -> None:
    """A round's marks commit only after Kafka acknowledged all its records (at least once):
    a record the producer refuses (larger than a request may be) fails the round, and the
    row published before it in the same round stays unmarked too, to go again."""
    before = await world.commit_event(2131)
    async with world.engine.begin() as conn:
        too_big = await conn.scalar(sa.insert(world.table).values(
            event_id=uuid.uuid4(), event_type="HomeWithdrawn", topic=world.topic,
            key=str(uuid.uuid4()), payload={"padding": "x" * 2_000_000},
        ).returning(world.table.c.id))
    relay = OutboxRelay(world.engine, world.table, world.broker, "relaytest", world.channel,
                        poll_seconds=POLL_SECONDS)
    running = asyncio.create_task(relay.run())
    try:  # the first row reaches Kafka: the round ran, and failed on the second
        sent = await find_records(world.bootstrap, world.topic, lambda r: True, count=1)
        assert sent
        await asyncio.sleep(0.5)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert not await world.published(before)
    assert not await world.published(too_big)


async def test_the_relay_says_when_it_has_published(world: World) -> None:
    """What wakes a wait for quiescence (`POST /admin/backlog/wait`): each round that
    published rows, after they are marked, and only such rounds."""
    published_then: list[bool] = []
    relay = OutboxRelay(world.engine, world.table, world.broker, "relaytest", world.channel,
                        poll_seconds=0.05, on_published=lambda: published_then.append(True))
    running = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.5)  # listening, and polling an empty outbox meanwhile
        assert published_then == []
        row = await world.commit_event(2091)
        await published_within(world, row)

        async def told() -> bool:
            return published_then == [True]

        await eventually(told, seconds=5, every=0.02)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


async def test_the_pending_count_sees_commits_at_once_and_outlives_a_lost_connection(
        world: World, infra: Any) -> None:
    """What `/admin/backlog` reports as `outbox_pending`, on its own connection: a row
    committed is counted the moment the commit returns, one marked published no longer;
    when PostgreSQL ends the connection, the next count opens another and answers."""
    count = PendingCount(infra.database_url, world.table)
    try:
        assert await count() == 0
        first = await world.commit_event(2091)
        await world.commit_event(2092)
        assert await count() == 2
        async with world.engine.begin() as conn:
            ended = await conn.scalar(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE query LIKE 'SELECT count(*)%' AND query LIKE :table "
                "AND pid <> pg_backend_pid()"), {"table": f"%{world.table.schema}.outbox%"})
        assert ended == 1
        async with world.engine.begin() as conn:
            await conn.execute(sa.update(world.table).where(world.table.c.id == first)
                               .values(published_at=sa.func.now()))
        assert await count() == 1
    finally:
        await count.close()


async def test_a_transaction_writes_its_events_in_one_statement_in_order_and_none_if_undone(
        world: World) -> None:
    """`Outbox.add` keeps the rows on the session; they are written as the transaction commits
    (one INSERT whatever their number, in the order appended) and dropped if it rolls back,
    so the next transaction on the session does not write them either."""
    outbox = Outbox(world.table, "relaytest", SystemClock())

    def withdrawn(year: int) -> HomeWithdrawn:
        return HomeWithdrawn(home_id=uuid.uuid4(), corporation_id="corp1", contingent_year=year)

    async with AsyncSession(world.engine) as session:
        with statements_sent(world.engine) as sent:
            async with session.begin():
                appended = [await outbox.add(session, withdrawn(2101 + i), case_id=uuid.uuid4())
                            for i in range(3)]
                assert await session.scalar(sa.select(sa.func.count()).select_from(
                    world.table)) == 0  # not yet: at the commit
        assert len([s for s in sent if "INSERT INTO" in s.statement]) == 1
        with contextlib.suppress(RuntimeError):
            async with session.begin():
                await outbox.add(session, withdrawn(2110), case_id=uuid.uuid4())
                raise RuntimeError("the use case failed")
        async with session.begin():
            last = await outbox.add(session, withdrawn(2111), case_id=uuid.uuid4())
    async with world.engine.connect() as conn:
        stored = (await conn.execute(sa.select(world.table.c.event_id, world.table.c.payload)
                                     .order_by(world.table.c.id))).all()
    assert [row.event_id for row in stored] == [e.event_id for e in [*appended, last]]
    assert [Envelope.model_validate(row.payload) for row in stored] == [*appended, last]
