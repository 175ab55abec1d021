"""The consumers' poll: an idle poll waits for a record and polls again at once, instead of
FastStream's rest after every empty poll, during which a record that arrives waits unseen
(up to `batch_timeout_ms` more at every hop of the chain)."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
from faststream.kafka import KafkaBroker

from shared.consumer import IdempotentConsumer, poll_without_resting
from shared.db import inbox_table

_real_sleep = asyncio.sleep


class IdleConsumer:
    """aiokafka's `getmany` as an idle consumer sees it: it waits its timeout, then returns
    nothing (or returns at once, as when the consumer is stopping)."""

    def __init__(self, *, early: bool = False, records: dict[Any, list[Any]] | None = None):
        self.early, self.records = early, records or {}
        self.calls: list[dict[str, Any]] = []

    async def getmany(self, *partitions: Any, timeout_ms: int = 0,
                      max_records: int | None = None) -> dict[Any, list[Any]]:
        self.calls.append({"timeout_ms": timeout_ms, "max_records": max_records})
        if not self.records and not self.early:
            await _real_sleep(timeout_ms / 1000)
        return self.records


@pytest.fixture
def rests(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every sleep the poll takes (asyncio's, and anyio's, which FastStream's own poll uses)."""
    taken: list[float] = []

    async def sleep(seconds: float, *_: Any, **__: Any) -> None:
        taken.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    monkeypatch.setattr(anyio, "sleep", sleep)
    return taken


def batch_subscriber(wait_ms: int) -> Any:
    broker = KafkaBroker("127.0.0.1:1")  # never connected: only the subscriber is used
    return broker.subscriber("topic", group_id="g", batch=True, batch_timeout_ms=wait_ms,
                             max_records=7)


async def test_an_empty_poll_that_waited_polls_again_at_once(rests: list[float]) -> None:
    subscriber = batch_subscriber(50)
    poll_without_resting(subscriber)
    consumer = IdleConsumer()

    assert await subscriber.get_msg(consumer) == ()
    assert consumer.calls == [{"timeout_ms": 50, "max_records": 7}]
    assert rests == []


async def test_frameworks_own_poll_rests_after_an_empty_poll(rests: list[float]) -> None:
    """What the replacement is for: without it the loop sleeps after the wait."""
    subscriber = batch_subscriber(50)
    assert await subscriber.get_msg(IdleConsumer()) == ()
    assert rests == [0.05]


async def test_records_are_returned_as_one_batch(rests: list[float]) -> None:
    subscriber = batch_subscriber(50)
    poll_without_resting(subscriber)
    consumer = IdleConsumer(records={"tp0": ["r1", "r2"], "tp1": ["r3"]})

    assert await subscriber.get_msg(consumer) == ("r1", "r2", "r3")
    assert rests == []


async def test_an_empty_poll_that_came_back_early_rests_so_the_loop_never_spins(
        rests: list[float]) -> None:
    subscriber = batch_subscriber(50)
    poll_without_resting(subscriber)

    assert await subscriber.get_msg(IdleConsumer(early=True)) == ()
    assert rests == [0.05]


def test_every_consumer_subscription_polls_without_resting() -> None:
    broker = KafkaBroker("127.0.0.1:1")
    unused: Any = None  # subscribing needs the broker (and the inbox's table) only
    IdempotentConsumer(service="test", session_factory=unused,
                       inbox=inbox_table(sa.MetaData()), handlers={},
                       broker=broker).subscribe(["topic"])
    [subscriber] = broker.subscribers
    assert "poll_without_resting" in subscriber.get_msg.__qualname__
