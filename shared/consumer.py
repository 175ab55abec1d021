"""The one idempotent consumer every service uses: parse → upcast → inbox → handle → outbox →
ack, with bounded retries and a dead-letter topic; offsets committed lazily (`Progress`).

- The records a poll returns are handled in order, those a service handles several to a
  transaction (up to `max_per_transaction`, and no more than fit in `transaction_seconds`):
  one inbox insert claiming them all (after their handlers: a record read again is rare, see
  `_transaction`), one commit and one connection check for them instead of a claim, a
  commit and a check each. On loopback every round trip to PostgreSQL costs a
  socket write and a wake-up of another process, and py-spy showed those writes as a
  quarter of a busy consumer's time.
  When a record in such a transaction fails for a reason that is not transient, nothing of
  it is kept (PostgreSQL aborts the whole transaction) and its records are handled again one
  transaction each, so only the bad record is retried and dead-lettered.

- A message that cannot be parsed, names an unknown type or version, has data that does not
  fit its model, is oversized, or keeps failing in its handler goes to the consumer's
  dead-letter topic with the reason, and the partition moves on.
- A duplicate (its event id already in the inbox) changes nothing.
- When PostgreSQL or Kafka is away the message is *not* acknowledged: after a back-off it is
  read again, so an outage delays work but loses none.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import sqlalchemy as sa
from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.message import KafkaAckableMessage
from prometheus_client import Histogram
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.envelope import Envelope
from shared.events.base import Event, UnknownEvent, known_types, parse_event
from shared.metrics import DEAD_LETTERS, EVENTS_CONSUMED
from shared.topics import dead_letter_topic

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Event, Envelope], Awaitable[None]]
# Which events may share a transaction: consecutive events with the same key do (see
# `IdempotentConsumer`'s `transaction_key`).
TransactionKey = Callable[[Event], Hashable]
# What a transaction of several events reads once for all of them, before their handlers
# run (see `IdempotentConsumer`'s `prepare`).
Prepare = Callable[[AsyncSession, Sequence[tuple[Event, Envelope]]], Awaitable[None]]

# Wall time per event of its transaction (inbox, handler, outbox, commit; a transaction of
# several events is shared out evenly), so a slow consumer shows which event type costs
# what (the benchmark reads it). Labels: bounded codes only.
HANDLE_SECONDS = Histogram(
    "transferpunt_consumer_handle_seconds",
    "Wall time of handling one event: its transaction (inbox, effect, outbox, commit), "
    "shared out evenly when several events were handled in one",
    ["service", "event_type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class _HandledBefore(Exception):
    """Some events of a batch's transaction were in the inbox already: it is undone."""


class DeadLetter(Exception):
    """Raised inside the pipeline: this message goes to the dead-letter topic."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


_TRANSIENT_SQLSTATES = {"40001", "40P01", "57P01", "57P02", "57P03", "53300"}


def is_transient(exc: BaseException) -> bool:
    """Infrastructure trouble worth waiting out (never a reason to dead-letter)."""
    if isinstance(exc, sa.exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        orig = getattr(exc, "orig", None)
        code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        if code in _TRANSIENT_SQLSTATES:
            return True
        return isinstance(exc, sa.exc.InterfaceError | sa.exc.OperationalError) or is_transient(
            getattr(orig, "__cause__", None) or Exception()
        )
    return isinstance(
        exc, OSError | ConnectionError | TimeoutError | asyncpg.PostgresConnectionError
        | asyncpg.CannotConnectNowError | asyncpg.TooManyConnectionsError,
    )


def safe_reason(exc: BaseException) -> str:
    """Why it failed, without echoing data that might identify a person."""
    if isinstance(exc, ValidationError):
        parts = [
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        ]
        return "invalid data: " + "; ".join(parts)[:480]
    if isinstance(exc, sa.exc.SQLAlchemyError):
        orig = getattr(exc, "orig", None)
        return f"{type(exc).__name__} ({type(orig).__name__ if orig else 'no driver error'})"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:400] if str(exc) else ''}"


@dataclass(frozen=True)
class Delivery:
    raw: bytes
    topic: str
    partition: int
    offset: int
    event_type: str | None = None  # the relay's `event_type` header, when there is one


@dataclass(frozen=True)
class _Item:
    """A delivery this service handles, parsed, with its place in the batch."""

    index: int
    delivery: Delivery
    envelope: Envelope
    event: Event


def _header(record: Any, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name and value is not None:
            return bytes(value).decode("utf-8", "replace")
    return None


class _InboxStatements:
    """The consumer's statements on its inbox, built once (see shared/db.py, "Statements
    built once"): every event of every service passes through them."""

    def __init__(self, inbox: sa.Table, consumer: str) -> None:
        t = inbox
        self.claim = (insert(t).values(consumer=consumer).on_conflict_do_nothing()
                      .returning(sa.literal(1)))
        given = sa.func.unnest(
            sa.bindparam("ids", type_=ARRAY(t.c.event_id.type)),
            sa.bindparam("types", type_=ARRAY(t.c.event_type.type)),
        ).table_valued("event_id", "event_type").render_derived()
        rows = sa.select(sa.literal(consumer, t.c.consumer.type), given.c.event_id,
                         given.c.event_type, sa.literal("processed", t.c.outcome.type))
        # returns the ids it inserted: those not handled before (IdempotentConsumer._claim_all)
        self.claim_all = insert(t).from_select(
            ["consumer", "event_id", "event_type", "outcome"], rows,
        ).on_conflict_do_nothing().returning(t.c.event_id)


class IdempotentConsumer:
    def __init__(
        self, *, service: str, session_factory: async_sessionmaker,  # type: ignore[type-arg]
        inbox: sa.Table, handlers: Mapping[str, Handler], broker: KafkaBroker,
        max_attempts: int = 3, max_bytes: int = 1_000_000, retry_delay: float = 0.05,
        max_per_transaction: int = 50, transaction_seconds: float = 0.1,
        transaction_key: TransactionKey | None = None, commit_after: float = 0.5,
        on_finished: Callable[[], None] | None = None, prepare: Prepare | None = None,
    ) -> None:
        self.service = service
        self.name = f"{service}-consumer"
        self._sessions = session_factory
        self._handlers = dict(handlers)
        self._broker = broker
        self._max_attempts = max_attempts
        self._max_bytes = max_bytes
        self._retry_delay = retry_delay
        self._max_per_transaction = max_per_transaction
        self.transaction_seconds = transaction_seconds
        # A service whose handlers take different locks keeps them apart: a transaction
        # holds a run of consecutive events with one key (matching's proposals, which take
        # no pool lock, never share a transaction with events that take it after them).
        self._transaction_key = transaction_key
        # `prepare(session, [(event, envelope), …])`: a read each handler would otherwise
        # make for its own event (intake's cases, matching's homes, locked), made once at
        # the start of a transaction of several events — a round trip per event fewer. It
        # only reads: the transaction may end before every event it was shown
        # (`transaction_seconds`), and what it read ends with the transaction (it keeps it
        # in `shared.db.transaction_state`). The service's repository makes sure a later
        # event about the same row reads what an earlier one wrote.
        self._prepare = prepare
        self._statements = _InboxStatements(inbox, self.name)
        self._progress: list[Progress] = []  # one per subscriber (lane)
        self._commit_after = commit_after
        self._on_finished = on_finished

    def subscribe(self, topics: list[str], *, max_records: int = 200,
                  poll_wait_ms: int = 100) -> None:
        """Register the Kafka subscriber: batches of up to `max_records`, handled in partition
        order (see `handle_batch`), and committed to Kafka some time after every record in
        them is done (see `Progress`).

        Exactly-once effects do not depend on the committed offset — the inbox does: when a
        record fails transiently the batch is not finished and every partition in it is
        rewound to the batch's first record (the framework's nack), so the records already
        done come again and are recognised as duplicates. `poll_wait_ms`: how long an idle
        poll waits for a record (it returns the moment one arrives; see
        `poll_without_resting`)."""

        async def on_batch(deliveries: Any) -> None:
            # Only the body, already turned into deliveries by the decoder: a parameter the
            # framework injects from its context (`message: KafkaMessage`) is resolved by a
            # synchronous call on a worker thread, a thread hop per batch.
            await self.handle_batch(deliveries)

        subscriber = self._broker.subscriber(
            *topics,
            group_id=self.name,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest",
            decoder=_deliveries,
            max_poll_interval_ms=600_000,
            batch=True,
            max_records=max_records,
            batch_timeout_ms=poll_wait_ms,
        )
        subscriber(on_batch)
        self._progress.append(poll_without_resting(
            subscriber, passes_over=self._passes_over, commit_after=self._commit_after,
            on_finished=self._on_finished))

    async def positions(self) -> dict[str, dict[int, int]]:
        """Per topic and partition this service is assigned, the offset of the first record
        it has not finished (see `Progress.positions`)."""
        found: dict[str, dict[int, int]] = {}
        for progress in self._progress:
            for tp, offset in (await progress.positions()).items():
                found.setdefault(tp.topic, {})[tp.partition] = offset
        return found

    @property
    def handles(self) -> frozenset[str]:
        """The event types this consumer has handlers for."""
        return frozenset(self._handlers)

    @property
    def passes_over(self) -> frozenset[str]:
        """The event types it passes over in the poll, unread (see `_ignores`): a record
        whose `event_type` header names one of these is never parsed."""
        return known_types() - self._handlers.keys()

    async def handle(self, delivery: Delivery) -> str:
        """Process one delivery; returns the outcome. Raises only for transient trouble."""
        return (await self.handle_batch([delivery]))[0]

    async def handle_batch(self, deliveries: Sequence[Delivery]) -> list[str]:
        """Process deliveries in order; returns each one's outcome. The ones this service
        handles go through in shared transactions (see `_transaction`); one that cannot be
        parsed is dead-lettered, one of a type the service does not handle is skipped.
        Raises only for transient trouble (then nothing after the failing transaction was
        done, and what was done before it is recognised when read again)."""
        outcomes = [""] * len(deliveries)
        todo: list[_Item] = []
        for i, delivery in enumerate(deliveries):
            if self._ignores(delivery.event_type):
                outcomes[i] = "ignored"
                continue
            try:
                envelope, event = self._parse(delivery.raw)
            except DeadLetter as dl:
                await self._dead_letter(delivery, dl.kind, dl.reason, event_type=None)
                outcomes[i] = "dead_lettered"
                continue
            if envelope.type not in self._handlers:
                EVENTS_CONSUMED.labels(self.service, envelope.type, "ignored").inc()
                outcomes[i] = "ignored"
                continue
            todo.append(_Item(i, delivery, envelope, event))
        while todo:
            done = await self._transaction(todo, outcomes)
            todo = todo[done:]
        return outcomes

    def _ignores(self, event_type: str | None) -> bool:
        """Whether the relay's `event_type` header names another service's business: a
        known type this service has no handler for (counted as ignored). Most of what a
        service reads is such, and the header says so without parsing the body; the
        services that handle the type parse it, and dead-letter it if it is broken. An
        unknown or missing header is parsed, so a broken record is never passed over."""
        if (event_type is None or event_type in self._handlers
                or event_type not in known_types()):
            return False
        EVENTS_CONSUMED.labels(self.service, event_type, "ignored").inc()
        return True

    def _passes_over(self, record: Any) -> bool:
        """`_ignores` for a record as the poll returns it (see `poll_without_resting`)."""
        return self._ignores(_header(record, "event_type"))

    async def _transaction(self, items: list[_Item], outcomes: list[str]) -> int:
        """Handle the first of `items` in one transaction, as many as fit in
        `max_per_transaction` events and `transaction_seconds` of handling (so the locks
        it takes — matching's pool lock, a contingent year's row — are not held for long
        while HTTP requests wait for them) and share the first one's transaction key;
        returns how many it took. 100 ms by default: at 20 ms a transaction in a burst
        held about three events, and what every transaction costs whatever it holds
        (BEGIN, COMMIT, the inbox claim, a relay round, Kafka's requests) was a quarter of
        the CPU per intake; a home offered meanwhile waited no longer for it (measured,
        docs/benchmark.md, round nineteen)."""
        candidates = self._run_of_one_key(items[:self._max_per_transaction])
        if len(candidates) == 1:
            item = candidates[0]
            outcomes[item.index] = await self._process(item.delivery, item.envelope, item.event)
            return 1
        began = time.perf_counter()
        done: list[tuple[_Item, str]] = []
        try:
            async with self._sessions() as session, session.begin():
                if self._prepare is not None:
                    await self._prepare(session, [(it.event, it.envelope) for it in candidates])
                seen: set[Any] = set()
                for item in candidates:
                    if done and time.perf_counter() - began > self.transaction_seconds:
                        break  # the rest go in the next transaction
                    if item.envelope.event_id in seen:  # twice in this batch
                        done.append((item, "duplicate"))
                        continue
                    seen.add(item.envelope.event_id)
                    await self._handlers[item.envelope.type](session, item.event, item.envelope)
                    done.append((item, "processed"))
                # Claimed last and optimistically, in one statement: an event handled before
                # (read again after a restart or a rewind) or by another consumer meanwhile
                # (a rebalance; its claim, uncommitted, makes this one wait for its commit)
                # is not claimed again, and then nothing of this transaction is kept.
                handled = [it.envelope for it, outcome in done if outcome == "processed"]
                if len(await self._claim_all(session, handled)) < len(handled):
                    raise _HandledBefore
        except _HandledBefore:
            # One by one, each claimed first: those handled before are recognised. Rare
            # (records read again), so no batch pays a lookup for it.
            reached = [it for it, _ in done]
            log.info("%s: %d events read again; handling them one by one", self.name,
                     len(reached))
            for item in reached:
                outcomes[item.index] = await self._process(item.delivery, item.envelope,
                                                           item.event)
            return len(reached)
        except Exception as exc:
            if is_transient(exc):
                log.warning("%s: %s while handling %d events; will re-read after back-off",
                            self.name, type(exc).__name__, len(candidates))
                await asyncio.sleep(1.0)
                raise
            # PostgreSQL aborted the whole transaction: handle what it held one by one,
            # so only the record that fails is retried and dead-lettered
            reached = [it for it, _ in done] + candidates[len(done):len(done) + 1]
            log.info("%s: a transaction of %d events failed (%s); handling them one by one",
                     self.name, len(reached), safe_reason(exc))
            for item in reached:
                outcomes[item.index] = await self._process(item.delivery, item.envelope,
                                                           item.event)
            return len(reached)
        each = (time.perf_counter() - began) / len(done)
        for item, outcome in done:
            outcomes[item.index] = outcome
            EVENTS_CONSUMED.labels(self.service, item.envelope.type, outcome).inc()
            if outcome == "processed":
                HANDLE_SECONDS.labels(self.service, item.envelope.type).observe(each)
        return len(done)

    def _run_of_one_key(self, items: list[_Item]) -> list[_Item]:
        """The leading events that share the first one's transaction key (all, without one)."""
        if self._transaction_key is None:
            return items
        key = self._transaction_key(items[0].event)
        run = 1
        while run < len(items) and self._transaction_key(items[run].event) == key:
            run += 1
        return items[:run]

    def _parse(self, raw: bytes) -> tuple[Envelope, Event]:
        if len(raw) > self._max_bytes:
            raise DeadLetter("oversized", f"message of {len(raw)} bytes exceeds {self._max_bytes}")
        try:
            envelope = Envelope.from_bytes(raw)
        except ValidationError as exc:
            raise DeadLetter("unparseable", "not an event envelope: " + safe_reason(exc)) from None
        try:
            return envelope, parse_event(envelope)
        except UnknownEvent as exc:
            kind = "unknown_type" if envelope.type not in known_types() else "unknown_version"
            raise DeadLetter(kind, str(exc)) from None
        except ValidationError as exc:
            raise DeadLetter("invalid_data", f"{envelope.type}: {safe_reason(exc)}") from None

    async def _process(self, delivery: Delivery, envelope: Envelope, event: Event) -> str:
        handler = self._handlers[envelope.type]
        for attempt in range(1, self._max_attempts + 1):
            began = time.perf_counter()
            try:
                async with self._sessions() as session, session.begin():
                    if not await self._claim(session, envelope, "processed"):
                        EVENTS_CONSUMED.labels(self.service, envelope.type, "duplicate").inc()
                        return "duplicate"
                    await handler(session, event, envelope)
                EVENTS_CONSUMED.labels(self.service, envelope.type, "processed").inc()
                HANDLE_SECONDS.labels(self.service, envelope.type).observe(
                    time.perf_counter() - began)
                return "processed"
            except Exception as exc:
                if is_transient(exc):
                    log.warning("%s: %s while handling %s; will re-read after back-off",
                                self.name, type(exc).__name__, envelope.type)
                    await asyncio.sleep(1.0)
                    raise
                reason = safe_reason(exc)
                log.warning("%s: %s failed (attempt %d/%d): %s", self.name, envelope.type,
                            attempt, self._max_attempts, reason)
                if attempt < self._max_attempts:
                    await asyncio.sleep(self._retry_delay * 2 ** attempt)
        await self._dead_letter(delivery, "processing_failed", reason, event_type=envelope.type)
        async with self._sessions() as session, session.begin():
            await self._claim(session, envelope, "dead_lettered")
        return "dead_lettered"

    async def _claim(self, session: AsyncSession, envelope: Envelope, outcome: str) -> bool:
        """Insert the event id into the inbox; False when it was there already."""
        row = await session.execute(self._statements.claim, {
            "event_id": envelope.event_id, "event_type": envelope.type, "outcome": outcome})
        return row.first() is not None

    async def _claim_all(self, session: AsyncSession, envelopes: list[Envelope]) -> set[Any]:
        """Record the events in the inbox, in one statement (the ids go as one array
        parameter, so it compiles once whatever the count); returns the ids it recorded,
        leaving out those recorded before."""
        if not envelopes:
            return set()
        rows = await session.execute(self._statements.claim_all, {
            "ids": [e.event_id for e in envelopes], "types": [e.type for e in envelopes]})
        return set(rows.scalars().all())

    async def _dead_letter(
        self, delivery: Delivery, kind: str, reason: str, *, event_type: str | None
    ) -> None:
        headers = {
            "dlq_reason": reason[:500],
            "dlq_kind": kind,
            "dlq_consumer": self.name,
            "original_topic": delivery.topic,
            "original_partition": str(delivery.partition),
            "original_offset": str(delivery.offset),
        }
        if event_type:
            headers["event_type"] = event_type
        # An oversized body is kept in part: enough to diagnose, small enough to publish.
        body = delivery.raw if len(delivery.raw) <= self._max_bytes else delivery.raw[:65_536]
        await self._broker.publish(
            body, topic=dead_letter_topic(self.service),
            headers=headers,
        )
        DEAD_LETTERS.labels(self.service, kind).inc()
        log.error("%s: dead-lettered a message from %s[%d]@%d: %s", self.name,
                  delivery.topic, delivery.partition, delivery.offset, kind)


async def _deliveries(message: KafkaMessage) -> list[Delivery]:
    """The batch as the records came: the framework never decodes JSON here, so a malformed
    body reaches the consumer to be dead-lettered."""
    records = message.raw_message
    return [Delivery(raw=record.value or b"", topic=record.topic, partition=record.partition,
                     offset=record.offset, event_type=_header(record, "event_type"))
            for record in (records if isinstance(records, tuple) else (records,))]


class Progress:
    """How far one subscriber has come, and when it commits that to Kafka.

    `done`: per partition, the offset of the first record the subscriber has not finished.
    Every record before it was handled, its transaction committed in PostgreSQL, or passed
    over (`poll_without_resting`). The service reports it in `GET /admin/backlog`
    (`IdempotentConsumer.positions`), and a simulator waiting for quiescence reads it
    there, not from the group's committed offsets.

    Committing to Kafka is lazy: the first finished record starts a clock, and
    `commit_after` seconds later the next poll commits `done` (what is finished, never what
    a poll has merely returned). A commit is a round trip and a write to the broker's
    offsets log, once per batch at first; nothing but the committed offsets themselves
    depends on it, since the inbox, not the offset, keeps effects exactly-once. Should the
    service stop before a commit, the next consumer of the group reads up to
    `commit_after` seconds of records again: the inbox knows those it handled, and those
    passed over are passed over again. An operator's lag panel, the fault suite and
    `transferpunt load` read committed offsets and see a group catch up within
    `commit_after` and one poll's wait.
    """

    def __init__(self, commit_after: float,
                 on_finished: Callable[[], None] | None = None) -> None:
        self.commit_after = commit_after
        self._on_finished = on_finished  # wakes whoever waits for the service to catch up
        self.done: dict[Any, int] = {}
        self._in_flight: dict[Any, int] = {}  # where the batch with the framework reaches
        self._committed: dict[Any, int] = {}
        self._since: float | None = None  # when the first finished record went uncommitted
        self._consumer: Any = None

    def polling(self, consumer: Any) -> None:
        self._consumer = consumer

    def polled(self, batches: Mapping[Any, Sequence[Any]]) -> dict[Any, int]:
        """Where this poll's records reach, per partition. A partition's first poll since
        the subscriber started begins where it has come: nothing before that is owed."""
        for tp, records in batches.items():
            self.done.setdefault(tp, records[0].offset)
        return {tp: records[-1].offset + 1 for tp, records in batches.items()}

    def finished(self, reached: Mapping[Any, int]) -> None:
        for tp, offset in reached.items():
            # Never back: records read again (a new consumer starting from the committed
            # offset, which trails) were finished before.
            self.done[tp] = max(offset, self.done.get(tp, offset))
        if self._since is None:
            self._since = time.monotonic()
        if self._on_finished is not None:
            self._on_finished()

    def handed_over(self, reached: Mapping[Any, int]) -> None:
        """A batch went to the framework: finished when it acknowledges, not before."""
        self._in_flight = dict(reached)

    def acknowledged(self) -> None:
        self.finished(self._in_flight)
        self._in_flight = {}

    async def positions(self) -> dict[Any, int]:
        """Per partition the subscriber is assigned now, the first record it has not
        finished: `done`, or for a partition it has not read from since it started, the
        consumer's position there (where a previous consumer of the group left off)."""
        consumer = self._consumer
        if consumer is None:
            return {}
        found: dict[Any, int] = {}
        for tp in consumer.assignment():
            if tp in self.done:
                found[tp] = self.done[tp]
                continue
            try:  # at once, unless the position is being reset: then leave it out
                found[tp] = await asyncio.wait_for(consumer.position(tp), timeout=0.1)
            except (KafkaError, TimeoutError):
                continue
        return found

    async def commit_if_due(self, consumer: Any) -> None:
        now = time.monotonic()
        if self._since is None or now - self._since < self.commit_after:
            return
        self._since = None
        assigned = consumer.assignment()
        offsets = {tp: offset for tp, offset in self.done.items()
                   if tp in assigned and self._committed.get(tp) != offset}
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except KafkaError as exc:
            # A rebalance or the broker away: nothing is lost, the next commit covers these
            # records, or whoever holds the partition next reads them again. Raised, the
            # framework would log an error and pause the subscriber for seconds.
            log.info("committing the consumer's progress failed (%s); trying again later",
                     type(exc).__name__)
            self._since = now
        else:
            self._committed.update(offsets)


def poll_without_resting(subscriber: Any,
                         passes_over: Callable[[Any], bool] | None = None,
                         commit_after: float = 0.5,
                         on_finished: Callable[[], None] | None = None) -> Progress:
    """Replace the batch subscriber's poll (FastStream's `BatchSubscriber.get_msg`) and its
    acknowledgement (the message class its parser makes); returns the subscriber's
    `Progress`.

    FastStream sleeps `batch_timeout_ms` after every empty poll, deaf to a record that
    arrives meanwhile: with the 10-ms poll this project used, a record reaching an idle
    consumer waited 0–10 ms more at every hop, and each idle subscriber woke 50 times a
    second. aiokafka's `getmany` already waits for records up to its timeout and returns the
    moment one is fetched, so the rest only adds latency. Here an idle poll waits the
    subscriber's `batch_timeout_ms` and polls again at once: a record is picked up when it
    arrives, and an idle subscriber wakes `1000 / batch_timeout_ms` times a second. Only an
    empty poll that came back early (the consumer stopping) rests, so the loop can never
    spin.

    `passes_over(record)`: records the service has no business with never reach the
    framework. Most of what a service reads is such (aftercare reads every event of
    matching's for its TenancyStarted), and handing the framework a batch to decode, run
    through its middlewares and acknowledge cost nearly a third of what such a record costs
    the consumer (measured at 10 records a second: 1.9 against 1.3 ms of CPU per record
    passed over). A poll with records to handle goes to the framework without the others;
    a poll of nothing else is finished at once.

    Nothing is committed at once, neither a poll passed over nor the framework's
    acknowledgement of a batch: the poll commits what is finished `commit_after` seconds
    later (see `Progress`). FastStream's own messaging metrics count only what reaches it;
    `transferpunt_events_consumed_total{outcome="ignored"}` counts the rest.
    """
    wait_ms, max_records = subscriber.batch_timeout_ms, subscriber.max_records
    progress = Progress(commit_after, on_finished)

    class AcknowledgedLater(KafkaAckableMessage):
        """The batch message FastStream acknowledges: `ack` marks the batch finished
        instead of committing it at once; `nack` rewinds it, as before (and the batch,
        never acknowledged, is never finished: the next one handed over replaces it)."""

        async def ack(self) -> None:
            if not self.committed:
                progress.acknowledged()
            await KafkaMessage.ack(self)  # the framework's own bookkeeping, no commit

    if subscriber.parser.msg_class is not KafkaAckableMessage:
        raise ValueError("the subscriber must acknowledge after handling (not ACK_FIRST)")
    subscriber.parser.msg_class = AcknowledgedLater

    async def get_msg(consumer: Any) -> tuple[Any, ...]:
        progress.polling(consumer)
        await progress.commit_if_due(consumer)
        began = time.monotonic()
        batches = await consumer.getmany(timeout_ms=wait_ms, max_records=max_records)
        if batches:
            reached = progress.polled(batches)
            records = tuple(record for records in batches.values() for record in records)
            kept = (records if passes_over is None
                    else tuple(record for record in records if not passes_over(record)))
            if kept:
                progress.handed_over(reached)
                return kept
            progress.finished(reached)
        elif time.monotonic() - began < wait_ms / 2000:
            await asyncio.sleep(wait_ms / 1000)
        return ()

    subscriber.get_msg = get_msg
    return progress
