"""The shared consumer handles a poll's records several to a transaction, on real PostgreSQL
and Kafka: effects exactly once (also for an event twice in one batch, and for one another
instance of the consumer handled meanwhile), a bad record rolled back alone and
dead-lettered while the others are kept, transactions bounded in count and in time; records
of types a service does not handle are skipped by their header without being parsed, and
through a subscription never reach the framework at all."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
import pytest
import sqlalchemy as sa
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from shared.consumer import Delivery, IdempotentConsumer, TransactionKey
from shared.db import inbox_table
from shared.envelope import Envelope
from shared.events import Event
from shared.events.base import envelope_for
from shared.events.matching import HomeWithdrawn
from shared.topics import dead_letter_topic
from tests.support.kafka import eventually, find_records

pytestmark = pytest.mark.infra


class World:
    def __init__(self, schema: str, sessions: async_sessionmaker[AsyncSession],
                 effects: sa.Table, inbox: sa.Table, broker: KafkaBroker,
                 bootstrap: str) -> None:
        self.schema, self.sessions, self.effects, self.inbox = schema, sessions, effects, inbox
        self.broker, self.bootstrap = broker, bootstrap
        self.service = f"batchtest{schema[-8:]}"

    def consumer(self, *, fail_on: set[int] | frozenset[int] = frozenset(),
                 max_per_transaction: int = 50, transaction_seconds: float = 60.0,
                 takes: float = 0.0, transaction_key: TransactionKey | None = None,
                 broker: KafkaBroker | None = None,
                 commit_after: float = 0.5) -> IdempotentConsumer:
        """A consumer whose HomeWithdrawn handler writes one effect row per event (the
        contingent year is the effect's value), takes `takes` seconds, and fails for the
        years in `fail_on`. (A minute per transaction by default: the count decides.)"""
        effects = self.effects

        async def handler(session: AsyncSession, event: Event, env: Envelope) -> None:
            assert isinstance(event, HomeWithdrawn)
            await asyncio.sleep(takes)
            await session.execute(sa.insert(effects).values(
                event_id=env.event_id, value=event.contingent_year))
            if event.contingent_year in fail_on:
                raise ValueError("this record is broken")

        return IdempotentConsumer(
            service=self.service, session_factory=self.sessions, inbox=self.inbox,
            handlers={"HomeWithdrawn": handler}, broker=broker or self.broker, retry_delay=0.0,
            max_per_transaction=max_per_transaction, transaction_seconds=transaction_seconds,
            transaction_key=transaction_key, commit_after=commit_after)

    async def effect_values(self) -> list[int]:
        async with self.sessions() as session:
            rows = await session.execute(sa.select(self.effects.c.value)
                                         .order_by(self.effects.c.value))
            return list(rows.scalars())

    async def inbox_rows(self) -> dict[str, int]:
        async with self.sessions() as session:
            rows = await session.execute(
                sa.select(self.inbox.c.outcome, sa.func.count()).group_by(self.inbox.c.outcome))
            return {outcome: n for outcome, n in rows.all()}

    async def transactions(self) -> int:
        """How many transactions recorded the processed events (now() is the transaction's
        start, the same for every row one transaction writes)."""
        async with self.sessions() as session:
            return int(await session.scalar(
                sa.select(sa.func.count(sa.distinct(self.inbox.c.processed_at)))
                .where(self.inbox.c.outcome == "processed")) or 0)


@pytest.fixture
async def world(infra: Any) -> AsyncIterator[World]:
    schema = f"batchtest_{uuid.uuid4().hex[:8]}"
    engine = create_async_engine(infra.database_url)
    metadata = sa.MetaData(schema=schema)
    inbox = inbox_table(metadata)
    effects = sa.Table("effects", metadata,
                       # no key on the event: a second effect of one event would show
                       sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
                       sa.Column("event_id", sa.Uuid, nullable=False),
                       sa.Column("value", sa.Integer, nullable=False))
    async with engine.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        await conn.run_sync(metadata.create_all)
    broker = KafkaBroker(infra.bootstrap_servers)
    await broker.connect()
    try:
        yield World(schema, async_sessionmaker(engine, expire_on_commit=False), effects, inbox,
                    broker, infra.bootstrap_servers)
    finally:
        await broker.stop()
        async with engine.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()


def delivery(year: int, *, offset: int, envelope: Envelope | None = None,
             event_type: str | None = "HomeWithdrawn") -> Delivery:
    envelope = envelope or envelope_for(
        HomeWithdrawn(home_id=uuid.uuid4(), corporation_id="corp1", contingent_year=year),
        case_id=uuid.uuid4(), occurred_at=datetime.now(UTC), recorded_at=datetime.now(UTC))
    return Delivery(raw=envelope.to_bytes(), topic="transferpunt.matching.events",
                    partition=0, offset=offset, event_type=event_type)


async def test_a_batch_is_handled_once_and_a_duplicate_in_it_changes_nothing(
        world: World) -> None:
    first = delivery(2031, offset=0)
    batch = [first, delivery(2032, offset=1), first, delivery(2033, offset=3)]
    outcomes = await world.consumer().handle_batch(batch)
    assert outcomes == ["processed", "processed", "duplicate", "processed"]
    assert await world.effect_values() == [2031, 2032, 2033]
    # the whole batch again (a rewind after a failed offset commit): nothing new
    again = await world.consumer().handle_batch(batch)
    assert again == ["duplicate"] * 4
    assert await world.effect_values() == [2031, 2032, 2033]
    assert await world.inbox_rows() == {"processed": 3}
    assert await world.transactions() == 1


async def test_events_of_different_transaction_keys_never_share_a_transaction(
        world: World) -> None:
    # the key: even and odd years (matching's is pool versus proposal); runs of one key
    # share a transaction, a change of key starts the next
    years = [2051, 2053, 2054, 2056, 2058, 2055, 2057]
    batch = [delivery(year, offset=i) for i, year in enumerate(years)]

    def parity(event: Event) -> int:
        assert isinstance(event, HomeWithdrawn)
        return event.contingent_year % 2

    outcomes = await world.consumer(transaction_key=parity).handle_batch(batch)
    assert outcomes == ["processed"] * 7
    assert await world.effect_values() == sorted(years)
    assert await world.transactions() == 3  # 2051+2053, 2054+2056+2058, 2055+2057
    async with world.sessions() as session:
        together = await session.execute(
            sa.select(sa.func.array_agg(world.effects.c.value))
            .select_from(world.effects.join(world.inbox,
                                            world.inbox.c.event_id == world.effects.c.event_id))
            .group_by(world.inbox.c.processed_at))
        groups = sorted(sorted(g) for g in together.scalars())
    assert groups == [[2051, 2053], [2054, 2056, 2058], [2055, 2057]]


async def test_a_failing_record_is_dead_lettered_alone_and_the_rest_of_its_batch_kept(
        world: World) -> None:
    batch = [delivery(2041, offset=0), delivery(2042, offset=1), delivery(2043, offset=2)]
    outcomes = await world.consumer(fail_on={2042}).handle_batch(batch)
    assert outcomes == ["processed", "dead_lettered", "processed"]
    # the failed record's effect was rolled back with its transaction; the others committed
    assert await world.effect_values() == [2041, 2043]
    assert await world.inbox_rows() == {"processed": 2, "dead_lettered": 1}
    letters = await find_records(
        world.bootstrap, dead_letter_topic(world.service),
        lambda r: dict(r.headers).get("original_offset") == b"1")
    headers = dict(letters[0].headers)
    assert headers["dlq_kind"] == b"processing_failed"
    assert b"this record is broken" in headers["dlq_reason"]


async def test_transactions_are_bounded_in_size(world: World) -> None:
    batch = [delivery(2050 + i, offset=i) for i in range(7)]
    outcomes = await world.consumer(fail_on={2056}, max_per_transaction=3).handle_batch(batch)
    # 2050-2052 and 2053-2055 committed in their own transactions before 2056's failed
    assert outcomes == ["processed"] * 6 + ["dead_lettered"]
    assert await world.effect_values() == list(range(2050, 2056))
    assert await world.transactions() == 2


async def test_a_transaction_stops_taking_events_when_its_time_is_up(world: World) -> None:
    batch = [delivery(2060 + i, offset=i) for i in range(4)]
    # each event takes longer than the transaction may: one event per transaction, and the
    # events not reached go in the next one
    outcomes = await world.consumer(transaction_seconds=0.02, takes=0.03).handle_batch(batch)
    assert outcomes == ["processed"] * 4
    assert await world.effect_values() == list(range(2060, 2064))
    assert await world.inbox_rows() == {"processed": 4}
    assert await world.transactions() == 4


async def test_a_record_of_a_type_not_handled_is_skipped_by_its_header(world: World) -> None:
    garbage = Delivery(raw=b"{not json", topic="t", partition=0, offset=0,
                       event_type="IntakeSubmitted")  # a known type this service ignores
    unnamed = Delivery(raw=b"{not json", topic="t", partition=0, offset=1, event_type=None)
    unknown = Delivery(raw=b"{not json", topic="t", partition=0, offset=2,
                       event_type="NoSuchEvent")
    outcomes = await world.consumer().handle_batch([garbage, unnamed, unknown])
    # without a header, or with one naming no known type, the body is parsed: dead-lettered
    assert outcomes == ["ignored", "dead_lettered", "dead_lettered"]
    # a header naming a type the service handles is no shortcut either
    handled = Delivery(raw=b"{not json", topic="t", partition=0, offset=3,
                       event_type="HomeWithdrawn")
    assert await world.consumer().handle_batch([handled]) == ["dead_lettered"]


async def test_an_event_another_consumer_handled_meanwhile_is_not_handled_twice(
        world: World) -> None:
    """Two instances of a consumer can both hold a partition for a moment (a rebalance):
    the one that commits second must not apply the event again."""
    first, second = delivery(2071, offset=0), delivery(2072, offset=1)
    rival = world.consumer()
    effects = world.effects

    async def handler(session: AsyncSession, event: Event, env: Envelope) -> None:
        assert isinstance(event, HomeWithdrawn)
        if event.contingent_year == 2071 and not await world.effect_values():
            # the rival handles the first event and commits while this transaction runs
            assert await rival.handle(first) == "processed"
        await session.execute(sa.insert(effects).values(
            event_id=env.event_id, value=event.contingent_year))

    slow = IdempotentConsumer(
        service=world.service, session_factory=world.sessions, inbox=world.inbox,
        handlers={"HomeWithdrawn": handler}, broker=world.broker,
        transaction_seconds=60.0)
    assert await slow.handle_batch([first, second]) == ["duplicate", "processed"]
    assert await world.effect_values() == [2071, 2072]  # the rival's, and the second's


async def test_records_reach_the_consumer_through_its_subscription_on_the_event_loop(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through Kafka and the framework: the records arrive as deliveries, and nothing on the
    way is run on a worker thread (a context-injected handler parameter was: a thread hop
    for every batch, in every service)."""
    hops: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def recorded(func: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append(getattr(func, "__qualname__", repr(func)))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", recorded)
    topic = f"batchtest.{uuid.uuid4().hex[:12]}"
    subscribed = KafkaBroker(world.bootstrap)
    world.consumer(broker=subscribed).subscribe([topic])
    await subscribed.start()
    try:
        for year in (2041, 2042, 2043):
            await world.broker.publish(delivery(year, offset=0).raw, topic=topic,
                                       headers={"event_type": "HomeWithdrawn"})
        deadline = time.monotonic() + 60
        while await world.effect_values() != [2041, 2042, 2043]:
            assert time.monotonic() < deadline, await world.effect_values()
            await asyncio.sleep(0.1)
    finally:
        await subscribed.stop()
    assert await world.inbox_rows() == {"processed": 3}
    assert hops == []


async def committed_on(bootstrap: str, group: str, topic: str) -> int:
    """How many of `topic`'s records `group` has committed past, over its partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(max(o.offset, 0) for tp, o in offsets.items() if tp.topic == topic)


async def test_records_of_other_services_business_never_reach_the_framework_yet_are_committed(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through Kafka and the framework: a poll of nothing but records of types the service
    has no handler for is committed by the poll itself (half a second later), without a
    batch for the framework to decode, pass through its middlewares and acknowledge; a
    record it handles still arrives, alone."""
    reached: list[str | None] = []
    handle_batch = IdempotentConsumer.handle_batch

    async def recorded(self: IdempotentConsumer, deliveries: Any) -> list[str]:
        reached.extend(d.event_type for d in deliveries)
        return await handle_batch(self, deliveries)

    monkeypatch.setattr(IdempotentConsumer, "handle_batch", recorded)
    topic = f"batchtest.{uuid.uuid4().hex[:12]}"
    subscribed = KafkaBroker(world.bootstrap)
    consumer = world.consumer(broker=subscribed)
    consumer.subscribe([topic])
    await subscribed.start()
    try:
        for _ in range(5):  # another service's business (a body that would not even parse)
            await world.broker.publish(b"{not json", topic=topic,
                                       headers={"event_type": "IntakeSubmitted"})

        async def committed(count: int) -> bool:
            return await committed_on(world.bootstrap, consumer.name, topic) == count

        assert await eventually(lambda: committed(5), seconds=60)
        assert reached == []
        await world.broker.publish(delivery(2044, offset=0).raw, topic=topic,
                                   headers={"event_type": "HomeWithdrawn"})
        assert await eventually(lambda: committed(6), seconds=60)
    finally:
        await subscribed.stop()
    assert reached == ["HomeWithdrawn"]
    assert await world.effect_values() == [2044]


async def test_a_record_handled_is_reported_finished_at_once_and_committed_later(
        world: World) -> None:
    """Through Kafka and PostgreSQL: once a record's transaction is committed, the service
    reports the partition's position past it (what `GET /admin/backlog` shows a simulator
    waiting for quiescence), while the group's committed offset follows only after
    `commit_after` — the broker is spared a commit per batch."""
    topic = f"batchtest.{uuid.uuid4().hex[:12]}"
    subscribed = KafkaBroker(world.bootstrap)
    consumer = world.consumer(broker=subscribed, commit_after=4.0)
    consumer.subscribe([topic])
    await subscribed.start()
    try:
        await world.broker.publish(delivery(2051, offset=0).raw, topic=topic,
                                   headers={"event_type": "HomeWithdrawn"})
        await world.broker.publish(b"{}", topic=topic, headers={"event_type": "IntakeSubmitted"})

        async def reported(count: int) -> bool:
            return sum((await consumer.positions()).get(topic, {}).values()) == count

        assert await eventually(lambda: reported(2), seconds=60)
        assert await world.effect_values() == [2051]  # finished means done in PostgreSQL
        assert await committed_on(world.bootstrap, consumer.name, topic) == 0  # not yet
        assert await eventually(
            lambda: _committed(world.bootstrap, consumer.name, topic, 2), seconds=30)
    finally:
        await subscribed.stop()


async def _committed(bootstrap: str, group: str, topic: str, count: int) -> bool:
    return await committed_on(bootstrap, group, topic) == count
