"""What every service runs besides its own logic: database, broker, outbox relay, consumer,
periodic jobs — started with back-off so an absent PostgreSQL or Kafka delays a service
(`/readyz` says so) instead of crash-looping it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import REGISTRY, CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared import migrations
from shared.clock import Clock, ManualClock, SystemClock
from shared.consumer import Handler, IdempotentConsumer, Prepare, TransactionKey
from shared.db import make_engine, make_session_factory
from shared.outbox import Outbox, OutboxRelay, PendingCount
from shared.settings import ServiceSettings
from shared.topics import ALL_DEAD_LETTER_TOPICS, ALL_EVENT_TOPICS, PARTITIONS, events_topic

log = logging.getLogger(__name__)

PeriodicJob = Callable[["ServiceRuntime"], Awaitable[None]]
HandlerFactory = Callable[[Outbox, Clock], Mapping[str, Handler]]


# Young objects are collected after this many more allocations than deallocations
# (CPython's default is 700; a request allocates thousands of short-lived objects).
GC_GEN0_THRESHOLD = 10_000


def settle_heap() -> None:
    """Once a service is up: take what start-up built (modules, the app, the table metadata,
    the broker) out of the garbage collector's reach, and collect young objects less often.

    Why: a full collection walks every tracked object — ~155,000 in matching before it
    serves anything, ~0.1 s — and stops the event loop meanwhile, so every request and event
    in flight waits it out. In a simulated year matching and aftercare each ran 7–8 of
    them, of up to 0.18 s, and the four services spent 4.1 s collecting; with the start-up
    objects frozen and the higher threshold, one full collection (this one) and 1.3 s in all,
    the longest later pause ~20 ms (docs/benchmark.md, round eight)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD, *gc.get_threshold()[1:])


def make_clock(settings: ServiceSettings) -> Clock:
    if settings.clock == "manual":
        start = datetime.fromisoformat(settings.clock_start or "2027-01-01T08:00:00+00:00")
        return ManualClock(start)
    return SystemClock()


async def ensure_topics(bootstrap: str) -> None:
    """Create every project topic with the agreed partition count (idempotent)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [t for t in (*ALL_EVENT_TOPICS, *ALL_DEAD_LETTER_TOPICS) if t not in existing]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(t, num_partitions=PARTITIONS, replication_factor=1)
                     for t in wanted]
                )
    finally:
        await admin.close()


class Moves:
    """Wakes whoever waits for the service to catch up (`ServiceRuntime.backlog_caught_up`)
    when its consumer finishes records or its relay publishes outbox rows. A waiter takes
    the current `ticket` before it looks, so a move between its look and its wait is not
    missed."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def ticket(self) -> asyncio.Event:
        return self._event

    def made(self) -> None:
        self._event.set()
        self._event = asyncio.Event()


@dataclass
class ServiceRuntime:
    service: str
    settings: ServiceSettings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    broker: KafkaBroker
    outbox: Outbox
    relay: OutboxRelay
    migrations_dir: Path
    pending: PendingCount
    consumer: IdempotentConsumer | None = None
    moves: Moves = field(default_factory=Moves)
    jobs: list[tuple[float, PeriodicJob]] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def every(self, seconds: float, job: PeriodicJob) -> None:
        """Run `job` periodically once the service is connected (deadlines, overdue checks)."""
        self.jobs.append((seconds, job))

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._connect_and_run(), name="connect"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self.broker.stop()
        await self.pending.close()
        await self.engine.dispose()

    async def _connect_and_run(self) -> None:
        await self._retry("database migrations", self._migrate)
        bootstrap = self.settings.kafka_bootstrap_servers
        await self._retry("Kafka topics", lambda: ensure_topics(bootstrap))
        await self._retry("Kafka broker", self.broker.start)
        self.started.set()
        log.info("%s connected to PostgreSQL and Kafka", self.service)
        self._tasks.append(asyncio.create_task(self.relay.run(), name="outbox-relay"))
        for seconds, job in self.jobs:
            self._tasks.append(asyncio.create_task(self._periodic(seconds, job)))
        settle_heap()

    async def _migrate(self) -> None:
        await asyncio.to_thread(
            migrations.upgrade, self.migrations_dir, self.settings.database_url, self.service
        )

    async def _retry(self, what: str, action: Callable[[], Awaitable[object]]) -> None:
        delay = 0.5
        while True:
            try:
                await action()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("%s: %s not available (%s); retrying in %.1fs",
                            self.service, what, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _periodic(self, seconds: float, job: PeriodicJob) -> None:
        while True:
            try:
                await job(self)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: periodic job %s failed", self.service, job.__name__)
            await asyncio.sleep(seconds)

    async def backlog(self) -> dict[str, object]:
        """What `GET /admin/backlog` answers: the consumer's positions first, then the
        outbox (see there for why in that order)."""
        positions = await self._positions()
        return self._report(positions, await self.outbox_pending())

    async def backlog_caught_up(self, ends: Mapping[str, Mapping[int, int]],
                                within: float) -> dict[str, object]:
        """`backlog()` once the consumer has finished every record before `ends` on the
        partitions it is assigned and the outbox is empty — or after `within` seconds,
        as it is then (`caught_up` says which). Looks again whenever the consumer finishes
        records or the relay publishes, and every 50 ms besides (a relay in another replica
        wakes nobody here); the outbox is counted only once the positions are there."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            ticket = self.moves.ticket()
            positions = await self._positions()
            pending: int | None = None
            if not any(offset < ends.get(topic, {}).get(partition, 0)
                       for topic, offsets in positions.items()
                       for partition, offset in offsets.items()):
                pending = await self.outbox_pending()
                if pending == 0:
                    return {**self._report(positions, pending), "caught_up": True}
            left = deadline - loop.time()
            if left <= 0:
                if pending is None:
                    pending = await self.outbox_pending()
                return {**self._report(positions, pending), "caught_up": False}
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ticket.wait(), timeout=min(left, 0.05))

    async def _positions(self) -> dict[str, dict[int, int]]:
        return await self.consumer.positions() if self.consumer is not None else {}

    def _report(self, positions: dict[str, dict[int, int]], pending: int) -> dict[str, object]:
        found: dict[str, object] = {}
        if self.consumer is not None:
            found["consumer_group"] = self.consumer.name
            found["positions"] = positions
            found["handles"] = sorted(self.consumer.handles)
            found["passes_over"] = sorted(self.consumer.passes_over)
        found["outbox_pending"] = pending
        return found

    async def outbox_pending(self) -> int:
        return await self.pending()

    async def readiness(self) -> dict[str, bool]:
        """Is PostgreSQL answering, and is Kafka?"""
        db_ok = False
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2), self.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
                db_ok = True
        kafka_ok = False
        if self.started.is_set():
            with contextlib.suppress(Exception):
                kafka_ok = bool(await self.broker.ping(timeout=2))
        return {"database": db_ok, "kafka": kafka_ok, "started": self.started.is_set()}


def make_broker(bootstrap_servers: str, service: str,
                registry: CollectorRegistry = REGISTRY) -> KafkaBroker:
    """The FastStream broker every service publishes and consumes with (and the benchmark's
    stand-ins for its floor, transferpunt.bench_floor): idempotent, so acks from all
    in-sync replicas, a 2 ms linger, FastStream's Prometheus middleware."""
    return KafkaBroker(
        bootstrap_servers,
        client_id=f"transferpunt-{service}",
        enable_idempotence=True,
        linger_ms=2,
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name=service)],
        logger=logging.getLogger(f"faststream.{service}"),
        log_level=logging.DEBUG,  # one line per message is noise at INFO
    )


def build_runtime(
    *, service: str, settings: ServiceSettings, metadata: sa.MetaData, outbox_table: sa.Table,
    inbox_table: sa.Table, migrations_dir: Path, handlers: HandlerFactory | None = None,
    subscribe_to: list[str] | None = None, lanes: list[list[str]] | None = None,
    transaction_key: TransactionKey | None = None, clock: Clock | None = None,
    prepare: Prepare | None = None,
) -> ServiceRuntime:
    """The composition of plumbing a service's `main.py` asks for. `handlers` builds the
    event handlers from the runtime's outbox and clock; they read `subscribe_to` (default:
    every other service's topic) in one subscriber, or each of `lanes` in a subscriber of
    its own, side by side: one consumer group and one inbox either way, so a lane reads
    its topics in order while another lane's slow event does not hold it up.
    `transaction_key`, `prepare`: see `IdempotentConsumer`."""
    clock = clock or make_clock(settings)
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    broker = make_broker(settings.kafka_bootstrap_servers, service)
    outbox = Outbox(outbox_table, service, clock)
    moves = Moves()
    relay = OutboxRelay(
        engine, outbox_table, broker, service, outbox.channel, settings.outbox_poll_seconds,
        on_published=moves.made,
    )
    runtime = ServiceRuntime(
        service=service, settings=settings, clock=clock, engine=engine, sessions=sessions,
        broker=broker, outbox=outbox, relay=relay, migrations_dir=migrations_dir, moves=moves,
        pending=PendingCount(settings.database_url, outbox_table),
    )
    if handlers:
        runtime.consumer = IdempotentConsumer(
            service=service, session_factory=sessions, inbox=inbox_table,
            handlers=handlers(outbox, clock),
            broker=broker, max_attempts=settings.consumer_max_attempts,
            max_bytes=settings.max_message_bytes, transaction_key=transaction_key,
            transaction_seconds=settings.consumer_transaction_ms / 1000,
            on_finished=moves.made, prepare=prepare,
        )
        for lane in lanes or [subscribe_to or [
            events_topic(s) for s in ("intake", "matching", "contingent", "aftercare")
            if s != service
        ]]:
            runtime.consumer.subscribe(lane)
    return runtime
