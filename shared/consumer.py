"""The one idempotent consumer every service uses: parse → upcast → inbox → handle → outbox →
commit → ack, with bounded retries and a dead-letter topic.

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
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
import sqlalchemy as sa
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from prometheus_client import Histogram
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.envelope import Envelope
from shared.events.base import Event, UnknownEvent, known_types, parse_event
from shared.metrics import DEAD_LETTERS, EVENTS_CONSUMED
from shared.topics import dead_letter_topic

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Event, Envelope], Awaitable[None]]

# Wall time of one event's transaction (inbox, handler, outbox, commit), so a slow consumer
# shows which event type costs what (the benchmark reads it). Labels: bounded codes only.
HANDLE_SECONDS = Histogram(
    "transferpunt_consumer_handle_seconds",
    "Wall time of handling one event in its transaction (inbox, effect, outbox, commit)",
    ["service", "event_type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


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


class IdempotentConsumer:
    def __init__(
        self, *, service: str, session_factory: async_sessionmaker,  # type: ignore[type-arg]
        inbox: sa.Table, handlers: Mapping[str, Handler], broker: KafkaBroker,
        max_attempts: int = 3, max_bytes: int = 1_000_000, retry_delay: float = 0.05,
    ) -> None:
        self.service = service
        self.name = f"{service}-consumer"
        self._sessions = session_factory
        self._inbox = inbox
        self._handlers = dict(handlers)
        self._broker = broker
        self._max_attempts = max_attempts
        self._max_bytes = max_bytes
        self._retry_delay = retry_delay

    def subscribe(self, topics: list[str], *, max_records: int = 200,
                  batch_timeout_ms: int = 10) -> None:
        """Register the Kafka subscriber: batches of up to `max_records`, each record in its
        own transaction (inbox, effect, outbox) in partition order, and one offset commit
        for the batch once every record in it is done.

        One commit per batch instead of per message: a commit is a round trip to the
        broker, paid before the next message could start. Exactly-once effects do not
        depend on it — the inbox does: when a record fails transiently the batch is not
        committed and every partition in it is rewound to the batch's first record (the
        framework's nack), so the records already done come again and are recognised as
        duplicates. `batch_timeout_ms`: how long an idle poll waits (the framework sleeps
        as long again after an empty poll), so at most this much latency per hop."""

        async def on_batch(body: Any, message: KafkaMessage) -> None:
            records = message.raw_message
            for record in records if isinstance(records, tuple) else (records,):
                await self.handle(Delivery(raw=record.value or b"", topic=record.topic,
                                           partition=record.partition, offset=record.offset))

        self._broker.subscriber(
            *topics,
            group_id=self.name,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest",
            decoder=_raw_body,
            max_poll_interval_ms=600_000,
            batch=True,
            max_records=max_records,
            batch_timeout_ms=batch_timeout_ms,
        )(on_batch)

    async def handle(self, delivery: Delivery) -> str:
        """Process one delivery; returns the outcome. Raises only for transient trouble."""
        try:
            envelope, event = self._parse(delivery.raw)
        except DeadLetter as dl:
            await self._dead_letter(delivery, dl.kind, dl.reason, event_type=None)
            return "dead_lettered"
        if envelope.type not in self._handlers:
            EVENTS_CONSUMED.labels(self.service, envelope.type, "ignored").inc()
            return "ignored"
        return await self._process(delivery, envelope, event)

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
        row = await session.execute(
            insert(self._inbox)
            .values(consumer=self.name, event_id=envelope.event_id,
                    event_type=envelope.type, outcome=outcome)
            .on_conflict_do_nothing()
            .returning(sa.literal(1))
        )
        return row.first() is not None

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


async def _raw_body(message: Any) -> Any:
    # Never let the framework decode JSON: a malformed body must reach us to be dead-lettered.
    return message.body
