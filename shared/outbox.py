"""The transactional outbox: an event is stored in the same transaction as the state change
that caused it, and a relay publishes it to Kafka afterwards (at least once, in order).

Order per case: a unit of work locks its aggregate's row before it appends events, so two
transactions about one case append in commit order; the relay publishes by id, one relay per
service at a time (a PostgreSQL advisory lock), and only marks rows published once Kafka has
acknowledged them. A failed publish is retried; consumers are idempotent, so a repeat is
harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import sqlalchemy as sa
from faststream.kafka import KafkaBroker
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from shared.clock import Clock
from shared.db import write_at_commit
from shared.envelope import Envelope
from shared.events.base import Event, envelope_for
from shared.metrics import OUTBOX_PENDING, OUTBOX_PUBLISHED
from shared.topics import events_topic

log = logging.getLogger(__name__)

# An outbox row: event id, event type, topic, key (the case), the envelope as JSON.
_Row = tuple[UUID, str, str, str, str]


class Outbox:
    """Appends events to the service's outbox inside the caller's transaction.

    The rows are written when the transaction commits, all of them in one statement (in the
    order appended): a consumer handles several events per transaction, each appending one
    or two, and a statement per event was a round trip and SQLAlchemy's execution per event
    (docs/benchmark.md, round eighteen). Written just before the commit, the rows are still
    inserted while the transaction holds its row locks, so two transactions about one case
    write in commit order, as before. A transaction that rolls back writes none."""

    def __init__(self, table: sa.Table, service: str, clock: Clock) -> None:
        self._clock = clock
        self.channel = f"outbox_{service}"
        # built once (see shared/db.py, "Statements built once"), whatever the count: the
        # columns go as one array each, unnested in order. NOTIFY is delivered at commit, so
        # the relay wakes exactly when there is work; it rides on the INSERT (RETURNING).
        given = sa.func.unnest(
            *(sa.bindparam(name, type_=ARRAY(kind)) for name, kind in (
                ("event_ids", table.c.event_id.type), ("event_types", table.c.event_type.type),
                ("topics", table.c.topic.type), ("keys", table.c.key.type),
                ("payloads", sa.Text()))),
        ).table_valued("event_id", "event_type", "topic", "key", "payload",
                       with_ordinality="n").render_derived()
        self._table = table
        self._rows = sa.select(given.c.event_id, given.c.event_type, given.c.topic,
                               given.c.key, sa.cast(given.c.payload, JSONB)).order_by(given.c.n)
        self._insert = self._insert_of(self._rows)
        self._along: dict[sa.CTE, sa.CTE] = {}

    def _insert_of(self, rows: sa.Select[Any]) -> sa.Insert:
        return self._table.insert().from_select(
            ["event_id", "event_type", "topic", "key", "payload"], rows,
        ).returning(sa.func.pg_notify(self.channel, ""))

    def along(self, change: sa.CTE) -> sa.CTE:
        """The outbox's insert as a CTE beside `change` (a CTE of a state change with
        `RETURNING`), writing its events only if `change` returned a row: a state change
        and its events in one statement, which PostgreSQL applies whole or not at all
        without a transaction around it (`shared.db.in_one_statement`). Its parameters:
        `parameters`. Built once per `change` (a statement built once)."""
        if change not in self._along:
            self._along[change] = self._insert_of(
                self._rows.where(sa.exists(sa.select(1).select_from(change))),
            ).cte(f"{change.name}_published")
        return self._along[change]

    def parameters(self, event: Event, *, case_id: UUID,
                   occurred_at: datetime | None = None) -> dict[str, list[Any]]:
        """The parameters of the insert `along` makes, for one event."""
        return _arrays([_row(self._envelope(event, case_id, occurred_at), event, case_id)])

    def _envelope(self, event: Event, case_id: UUID, occurred_at: datetime | None) -> Envelope:
        return envelope_for(event, case_id=case_id, occurred_at=occurred_at or self._clock.now(),
                            recorded_at=datetime.now(UTC))

    async def add(
        self, session: AsyncSession, event: Event, *, case_id: UUID,
        occurred_at: datetime | None = None,
    ) -> Envelope:
        envelope = self._envelope(event, case_id, occurred_at)
        write_at_commit(session, self.write, _row(envelope, event, case_id))
        return envelope

    def write(self, session: Session, appended: list[_Row]) -> None:
        """Insert the rows a transaction appended (called just before it commits)."""
        session.execute(self._insert, _arrays(appended))


def _row(envelope: Envelope, event: Event, case_id: UUID) -> _Row:
    return (envelope.event_id, envelope.type, events_topic(event.producer), str(case_id),
            envelope.model_dump_json())


def _arrays(rows: list[_Row]) -> dict[str, list[Any]]:
    """Outbox rows as the insert's parameters: one array per column, in the rows' order."""
    ids, types, topics, keys, payloads = zip(*rows, strict=True)
    return {"event_ids": list(ids), "event_types": list(types), "topics": list(topics),
            "keys": list(keys), "payloads": list(payloads)}


def _plain_sql(statement: sa.ClauseElement) -> str:
    """A statement as the SQL text asyncpg runs on a connection of the relay's or the
    count's own (values inlined: both are built once, without parameters)."""
    return str(statement.compile(dialect=postgresql.dialect(),
                                 compile_kwargs={"literal_binds": True}))


class OutboxRelay:
    """Publishes committed outbox rows to Kafka, oldest first.

    A round is one transaction on the leader's own connection (the one that holds the
    advisory lock and listens): one statement marks the oldest unpublished rows and returns
    them, they are published, and the transaction commits only once Kafka has acknowledged
    every one — so a failed publish rolls the marks back and the rows go again (at least
    once). Before, a round checked a connection out of the pool (a ping), selected, and
    marked in a second statement: five round trips to PostgreSQL instead of three. The
    payload goes to Kafka as PostgreSQL returns its text: it was validated when appended,
    and decoding, validating and encoding it again cost the relay most of its own CPU."""

    def __init__(
        self, engine: AsyncEngine, table: sa.Table, broker: KafkaBroker, service: str,
        channel: str, poll_seconds: float = 0.5, batch_size: int = 500,
        on_published: Callable[[], None] | None = None,
    ) -> None:
        self._engine = engine
        self._on_published = on_published  # wakes whoever waits for the outbox to empty
        self._broker = broker
        self._service = service
        self._channel = channel
        self._poll = poll_seconds
        self._batch = batch_size
        self._wake = asyncio.Event()
        self._leader: Any = None  # the asyncpg connection of `_run_while_leader`
        # built once (see shared/db.py, "Statements built once"), run as plain SQL on the
        # leader's connection: the oldest unpublished rows, marked and returned
        t = table
        oldest = (sa.select(t.c.id).where(t.c.published_at.is_(None)).order_by(t.c.id)
                  .limit(batch_size).scalar_subquery())
        claim = (sa.update(t).where(t.c.id.in_(oldest)).values(published_at=sa.func.now())
                 .returning(t.c.id, t.c.topic, t.c.key, t.c.event_type,
                            sa.cast(t.c.payload, sa.Text)))
        self._claim = _plain_sql(claim)

    async def run(self) -> None:
        backoff = 0.5
        while True:
            try:
                await self._run_while_leader()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database or broker is away: retry, never die
                log.warning("outbox relay (%s) paused: %s; retrying in %.1fs",
                            self._service, type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            else:
                backoff = 0.5

    async def _run_while_leader(self) -> None:
        async with self._engine.connect() as conn:
            raw: Any = (await conn.get_raw_connection()).driver_connection
            lock = await raw.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", self._channel)
            if not lock:  # another replica relays; check again later
                await asyncio.sleep(5)
                return
            def wake(*_: object) -> None:
                self._wake.set()

            await raw.add_listener(self._channel, wake)
            self._leader = raw
            try:
                while True:
                    # Cleared before the round reads, never after: a notification that
                    # arrives while the round publishes is for a row it may not have seen,
                    # and must end the wait below at once (clearing it there lost it, and
                    # the row waited for the poll).
                    self._wake.clear()
                    published = await self.publish_pending()
                    if published < self._batch:
                        await self._wait_for_work()
            finally:
                self._leader = None
                await raw.remove_listener(self._channel, wake)
                await raw.execute("SELECT pg_advisory_unlock_all()")

    async def _wait_for_work(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self._poll)

    async def publish_pending(self) -> int:
        """One round (see the class): returns how many rows it published."""
        leader = self._leader
        if leader is None:
            raise RuntimeError("the relay publishes only while it leads (run())")
        async with leader.transaction():
            rows = sorted(await leader.fetch(self._claim), key=lambda row: row[0])
            OUTBOX_PENDING.labels(self._service).set(len(rows))
            if not rows:
                return 0
            futures = [
                await self._broker.publish(
                    payload.encode(),
                    topic=topic,
                    key=key.encode(),
                    headers={"event_type": event_type, "content-type": "application/json"},
                    no_confirm=True,
                )
                for _, topic, key, event_type, payload in rows
            ]
            await asyncio.gather(*futures)
        OUTBOX_PUBLISHED.labels(self._service).inc(len(rows))
        if self._on_published is not None:
            self._on_published()
        return len(rows)


class PendingCount:
    """Counts the outbox rows not yet on Kafka, on a PostgreSQL connection of its own.

    Why not through the engine: whoever waits for the services to settle (a simulator, the
    benchmark) asks every service for this count at least once a round, about 5,000 times
    in a simulated year. Through SQLAlchemy's pool a count cost ~0.55 ms of the service's CPU
    (the checkout's ping, the autocommit connection, the statement's execution) and was most
    of what a settle round cost a service; on a connection kept for it, ~0.07 ms.

    The count itself is what it was: the rows committed and not yet marked published, read
    by PostgreSQL at the moment asked. It cannot come from memory, because another
    replica's relay or requests may write the same outbox (docs/benchmark.md, round
    sixteen). A broken connection (PostgreSQL restarted) is replaced and the count asked
    once more; when that fails too, the error goes to the caller, as before."""

    def __init__(self, database_url: str, table: sa.Table) -> None:
        url = sa.engine.make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        query = sa.select(sa.func.count()).select_from(table).where(
            table.c.published_at.is_(None))
        self._sql = _plain_sql(query)
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()  # one query at a time on one connection

    async def __call__(self) -> int:
        async with self._lock:
            for attempt in (1, 2):
                try:
                    if self._conn is None or self._conn.is_closed():
                        self._conn = await asyncpg.connect(self._dsn, timeout=5)
                    return int(await self._conn.fetchval(self._sql, timeout=30))
                except (OSError, asyncpg.InterfaceError, asyncpg.PostgresError):
                    await self.close()
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)
