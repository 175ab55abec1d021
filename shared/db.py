"""Database plumbing every service uses the same way: engine, sessions, outbox/inbox tables.

Each service owns one PostgreSQL schema (named after the service) inside the shared database;
no service reads another's tables.

Statements built once: a statement on a hot path (one per event, per request, per relay run)
is built once, at import or construction, with `sa.bindparam` placeholders, and executed with
its parameters. SQLAlchemy remembers a statement object's cache key, so the compiled form is
found without work; a statement built per call pays for its construction (argument coercion,
bind parameters) and for walking the whole tree to compute the key again, every time: about
a fifth of the client CPU of offering a home (7 statements) in measurements on these machines.
A statement built once must also have a cache key, or it is compiled on every execution all
the same: SQLAlchemy 2.0's PostgreSQL `INSERT … ON CONFLICT` had none, which is why the
project needs SQLAlchemy 2.1 (`tests/unit/shared/test_statements_are_cacheable.py`).
"""

from __future__ import annotations

import functools
import time
import weakref
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util.concurrency import await_

from shared.settings import ServiceSettings


def make_engine(settings: ServiceSettings, *, pool_size: int = 20) -> AsyncEngine:
    """The service's engine. Its pool keeps every connection it opens, up to `pool_size`;
    a request beyond that waits for one to come back.

    No overflow: SQLAlchemy closes an overflow connection the moment it is returned, so a
    burst above the pool (a registration day's two dozen check-ins at once) opened and
    closed a connection per request — a PostgreSQL backend forked, asyncpg's type
    introspection (two catalog queries of ~8 ms each) and every statement prepared again:
    ~350 times in aftercare in one simulated year, ~5 ms of CPU each. The most connections a
    service holds (20) is what 10 + 10 overflow allowed before."""
    # hide_parameters: an error message must never carry a client's data from a statement.
    asyncpg = sa.engine.make_url(settings.database_url).get_driver_name() == "asyncpg"
    engine = create_async_engine(
        settings.database_url,
        pool_pre_ping=not asyncpg,  # SQLAlchemy's own for a driver `_ping_when_idle` is not for
        pool_size=pool_size,
        max_overflow=0,
        hide_parameters=True,
        connect_args={"timeout": 5, "command_timeout": 30},
    )
    if asyncpg:
        sa.event.listen(engine.sync_engine, "checkin", _given_back)
        sa.event.listen(engine.sync_engine, "checkout", _ping_when_idle)
    return engine


# A connection given back to the pool less than this long ago is taken again without a ping.
PING_AFTER_IDLE_SECONDS = 1.0
_IDLE_SINCE = "transferpunt.idle_since"


def _given_back(dbapi_connection: Any, record: Any) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _ping_when_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """The pool's check on checkout that the connection still works (SQLAlchemy's
    `pool_pre_ping`, as the pool's own `checkout` event), made only for a connection idle
    for `PING_AFTER_IDLE_SECONDS` or more.

    Why not on every checkout: a ping is a round trip — the client's and PostgreSQL's CPU,
    a socket write and a wake-up on each side — and every transaction paid it, about one
    round trip in fourteen of an intake's (docs/benchmark.md, round twenty-one). What it is for
    is a connection PostgreSQL ended while it lay in the pool: a restart, a backend
    terminated. A connection given back a moment ago was working then; PostgreSQL stopping
    and starting again within that second is what the ping no longer catches. Then the
    first statement fails as a disconnect: the pool replaces every connection older than
    that, the request answers 503 with Retry-After, a consumer reads its records again
    after a back-off — as for a restart during a transaction, which no ping could catch.

    One round trip: a bare `;`. SQLAlchemy's asyncpg ping wraps it in BEGIN … ROLLBACK (for
    PgBouncer's transaction mode, sqlalchemy#10226); no PgBouncer here. A connection that
    fails it is replaced with the rest of the pool, as SQLAlchemy's pre-ping does."""
    since = record.info.get(_IDLE_SINCE)  # None: opened for this checkout
    if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
        return
    try:
        await_(dbapi_connection._connection.fetchrow(";"))
    except Exception as error:
        raise sa.exc.InvalidatePoolError(
            f"the connection failed its ping ({type(error).__name__})") from error


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker:  # type: ignore[type-arg]
    return async_sessionmaker(engine, expire_on_commit=False)


def one_of(column: sa.ColumnElement[Any], values: Iterable[Any]) -> sa.ColumnElement[bool]:
    """`column IN (…)` over a fixed list, for a statement built once: one bind parameter per
    value. `column.in_(list)` makes a single "expanding" parameter instead, which SQLAlchemy
    renders into the SQL string again on every execution because the list might differ
    (about 0.1 ms of CPU per execution here); a fixed list never does."""
    return column.in_([sa.literal(value, column.type) for value in values])


# What lives as long as the session's current transaction: dropped when it ends, committed
# or rolled back (a consumer's session may run a transaction per batch).
_TRANSACTION = "transferpunt.transaction_state"


def transaction_state(session: AsyncSession | Session, name: str) -> dict[Any, Any]:
    """A dict of the session's current transaction, under `name`: empty again in the next
    transaction. For what a transaction keeps for itself (rows to write at its commit, a
    year it holds locked)."""
    states: dict[str, dict[Any, Any]] = session.info.setdefault(_TRANSACTION, {})
    return states.setdefault(name, {})


@sa.event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost one (a savepoint's end keeps it)
        session.info.pop(_TRANSACTION, None)


# Actions waiting for their transaction's commit (`transaction_state`: gone if it rolls back).
# One listener for every session, registered once: before, each unit of work registered its
# own (several units per transaction when a consumer handles a batch), about 40 µs per unit
# here against 2 µs now.
_AFTER_COMMIT = "after_commit"


def after_commit(session: AsyncSession, action: Callable[[], None]) -> None:
    """Run `action` once the session's transaction commits, never if it rolls back: a metric
    observes only what was stored, and a retried transaction is not counted twice."""
    transaction_state(session, _AFTER_COMMIT).setdefault("actions", []).append(action)


@sa.event.listens_for(Session, "after_commit")  # before the transaction's state is dropped
def _committed(session: Session) -> None:
    for action in transaction_state(session, _AFTER_COMMIT).pop("actions", ()):
        action()


# Writes waiting for their transaction's commit: writer → items, in the order given.
Writer = Callable[[Session, list[Any]], None]
_AT_COMMIT = "at_commit"


def write_at_commit(session: AsyncSession, write: Writer, item: Any, *,
                    key: Hashable | None = None) -> None:
    """Have `write(session, items)` run just before the session's transaction commits, with
    every item given for that writer in the transaction, in the order given; never if the
    transaction rolls back. `key`: a later item with the same key replaces the earlier one
    (a row written again in the same transaction: its last values count).

    For writes nothing reads back in the same transaction (the caller keeps what they say),
    or whose readers call `write_pending` first: a consumer handling several events per
    transaction then sends one statement for all of them, not one each (the outbox,
    docs/benchmark.md round eighteen; the contingent's saves, round nineteen)."""
    if _in_autocommit(session):
        raise RuntimeError("a unit of work in one statement was given a write for its commit: "
                           "that would be a statement of its own, outside any transaction")
    items = transaction_state(session, _AT_COMMIT).setdefault(write, {})
    items[object() if key is None else key] = item


def at_commit(session: AsyncSession, statement: sa.Executable, params: dict[str, Any], *,
              key: Hashable | None = None) -> None:
    """`write_at_commit` for a statement built once: its parameter sets of the transaction
    go in one `executemany`."""
    write_at_commit(session, _executemany(statement), params, key=key)


@functools.cache  # one writer per statement, so its sets are grouped (statements built once)
def _executemany(statement: sa.Executable) -> Writer:
    def write(session: Session, sets: list[Any]) -> None:
        session.execute(statement, sets)
    return write


def _pending(session: AsyncSession, statement: sa.Executable) -> dict[Hashable, Any]:
    return transaction_state(session, _AT_COMMIT).get(_executemany(statement), {})


def pending_keys(session: AsyncSession, statement: sa.Executable) -> list[Hashable]:
    """The keys of what waits for the commit with `at_commit(session, statement, …)`."""
    return list(_pending(session, statement))


async def write_pending_first(session: AsyncSession, statement: sa.Executable,
                              key: Hashable | None = None) -> None:
    """Before a read that must see them: `write_pending` if `at_commit(session, statement,
    …)` has something waiting for the commit — with that `key`, when one is given."""
    waiting = _pending(session, statement)
    if (key in waiting) if key is not None else bool(waiting):
        await write_pending(session)


def _write_pending(session: Session) -> None:
    pending = transaction_state(session, _AT_COMMIT)
    writes = list(pending.items())
    pending.clear()
    for write, items in writes:
        write(session, list(items.values()))


async def write_pending(session: AsyncSession) -> None:
    """Run now what waits for the transaction's commit (`write_at_commit`): for a read in the
    same transaction that must see those rows."""
    if transaction_state(session, _AT_COMMIT):
        await session.run_sync(_write_pending)


@sa.event.listens_for(Session, "before_commit")
def _commit_begins(session: Session) -> None:
    # Under AsyncSession the commit runs in SQLAlchemy's greenlet: awaited like any other.
    _write_pending(session)


_AUTOCOMMIT: weakref.WeakKeyDictionary[async_sessionmaker[AsyncSession], AsyncEngine] = (
    weakref.WeakKeyDictionary())  # sessions → their engine in autocommit (`in_one_statement`)


def in_one_statement(sessions: async_sessionmaker[AsyncSession]) -> AsyncSession:
    """A session whose transaction runs without `BEGIN` and `COMMIT` (PostgreSQL's
    autocommit): for a unit of work that writes in one statement — which PostgreSQL applies
    whole or not at all by itself — two round trips fewer (POST /intakes: a case and its
    event, `Outbox.along`). Each statement commits as it ends, so a unit of work that wrote
    twice would not be atomic: a write for the commit (`write_at_commit`, the outbox's
    `add`) is refused as it is given (RuntimeError); a second writing statement is the
    caller's to avoid, and its tests' to catch. The connection comes from the same pool when
    the first statement runs (a request refused before that takes none) and goes back with
    its usual isolation level (SQLAlchemy resets it)."""
    bind = _AUTOCOMMIT.get(sessions)
    if bind is None:  # made once: an engine's copy with other options costs ~30 µs
        bind = _AUTOCOMMIT[sessions] = sessions.kw["bind"].execution_options(
            isolation_level="AUTOCOMMIT")
    return sessions(bind=bind)


def _in_autocommit(session: AsyncSession) -> bool:
    bind = session.bind
    return bind is not None and bind.get_execution_options().get(
        "isolation_level") == "AUTOCOMMIT"


def outbox_table(metadata: sa.MetaData) -> sa.Table:
    """Events committed with the state change that caused them, waiting for the relay."""
    return sa.Table(
        "outbox",
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Index(
            "ix_outbox_unpublished", "id", postgresql_where=sa.text("published_at IS NULL")
        ),
    )


def inbox_table(metadata: sa.MetaData) -> sa.Table:
    """Processed event ids per consumer, written in the same transaction as the effect."""
    return sa.Table(
        "processed_events",
        metadata,
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),  # processed | dead_lettered
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
