"""The consumers' poll: an idle poll waits for a record and polls again at once, instead of
FastStream's rest after every empty poll, during which a record that arrives waits unseen
(up to `batch_timeout_ms` more at every hop of the chain). Records of other services'
business never reach the framework, and a poll of nothing else is committed by the poll
only some time later (unless the framework has committed past it first)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
from aiokafka.errors import CommitFailedError
from faststream.kafka import KafkaBroker
from prometheus_client import REGISTRY

from shared.consumer import IdempotentConsumer, poll_without_resting
from shared.db import inbox_table
from shared.events import known_types

_real_sleep = asyncio.sleep


class IdleConsumer:
    """aiokafka's `getmany` as an idle consumer sees it: it waits its timeout, then returns
    nothing (or returns at once, as when the consumer is stopping) — or the records given.
    Its `commit` is counted, and fails when told to."""

    def __init__(self, *, early: bool = False, records: dict[Any, list[Any]] | None = None,
                 commit_fails: bool = False):
        self.early, self.records = early, records or {}
        self.calls: list[dict[str, Any]] = []
        self.commits = 0
        self.commit_fails = commit_fails

    async def commit(self) -> None:
        self.commits += 1
        if self.commit_fails:
            raise CommitFailedError("the group rebalanced")

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


@dataclass
class Record:
    """What the poll sees of a record: its headers (aiokafka's list of pairs)."""

    name: str
    headers: list[tuple[str, bytes]] = field(default_factory=list)


def typed(name: str, event_type: str | None) -> Record:
    return Record(name, [("event_type", event_type.encode())] if event_type else [])


def passes_over_skips(record: Any) -> bool:
    return str(record).startswith("skip")


async def test_a_poll_of_nothing_but_records_passed_over_is_not_committed_at_once(
        rests: list[float]) -> None:
    subscriber = batch_subscriber(50)
    poll_without_resting(subscriber, passes_over=passes_over_skips,
                         commit_passed_over_after=60)
    consumer = IdleConsumer(records={"tp0": ["skip1", "skip2"], "tp1": ["skip3"]})

    assert await subscriber.get_msg(consumer) == ()  # the framework gets nothing to handle
    assert await subscriber.get_msg(consumer) == ()
    assert consumer.commits == 0  # a commit costs the broker a write: later, or never
    assert rests == []


async def test_the_poll_commits_past_records_passed_over_once_the_time_has_come(
        rests: list[float]) -> None:
    """Counted from the first poll left uncommitted; an idle poll's wait counts too, so an
    idle consumer's committed offsets catch up within that time and one poll's wait."""
    subscriber = batch_subscriber(50)
    poll_without_resting(subscriber, passes_over=passes_over_skips,
                         commit_passed_over_after=0.04)
    consumer = IdleConsumer(records={"tp0": ["skip1", "skip2"]})

    assert await subscriber.get_msg(consumer) == ()
    assert consumer.commits == 0
    consumer.records = {}
    assert await subscriber.get_msg(consumer) == ()  # waited 50 ms for a record: time's up
    assert consumer.commits == 1
    assert await subscriber.get_msg(consumer) == ()
    assert consumer.commits == 1  # once


async def test_records_to_handle_go_on_without_the_others_for_the_framework_to_commit(
        rests: list[float]) -> None:
    subscriber = batch_subscriber(50)
    poll_without_resting(subscriber, passes_over=passes_over_skips,
                         commit_passed_over_after=0.04)
    consumer = IdleConsumer(records={"tp0": ["skip0"]})
    assert await subscriber.get_msg(consumer) == ()
    consumer.records = {"tp0": ["skip1", "r1", "skip2"], "tp1": ["r2"]}

    assert await subscriber.get_msg(consumer) == ("r1", "r2")
    consumer.records = {}
    assert await subscriber.get_msg(consumer) == ()  # after the time: nothing left to commit
    assert consumer.commits == 0  # the framework's acknowledgement commits past all five


async def test_a_failed_commit_past_records_passed_over_is_not_raised(
        rests: list[float]) -> None:
    """Raised, the framework would log an error and pause the subscriber for seconds; the
    next commit covers these records anyway."""
    subscriber = batch_subscriber(50)
    poll_without_resting(subscriber, passes_over=passes_over_skips,
                         commit_passed_over_after=0)
    consumer = IdleConsumer(records={"tp0": ["skip1"]}, commit_fails=True)

    assert await subscriber.get_msg(consumer) == ()
    assert consumer.commits == 1


async def test_a_consumer_passes_over_only_known_types_it_has_no_handler_for(
        rests: list[float]) -> None:
    """A record with no header, or one naming no known type, goes on to be parsed (and
    dead-lettered if broken); so does one of a type the service handles."""
    broker = KafkaBroker("127.0.0.1:1")
    unused: Any = None

    async def handler(*_: Any) -> None:
        raise AssertionError("not called by the poll")

    IdempotentConsumer(service="test", session_factory=unused,
                       inbox=inbox_table(sa.MetaData()), handlers={"HomeWithdrawn": handler},
                       broker=broker).subscribe(["topic"])
    [subscriber] = broker.subscribers
    others = typed("others", "IntakeSubmitted")  # known, and no handler here
    mine, unnamed, unknown = (typed("mine", "HomeWithdrawn"), typed("unnamed", None),
                              typed("unknown", "NoSuchEvent"))
    consumer = IdleConsumer(records={"tp0": [others, mine, unnamed, unknown]})
    labels = {"service": "test", "event_type": "IntakeSubmitted", "outcome": "ignored"}
    before = REGISTRY.get_sample_value("transferpunt_events_consumed_total", labels) or 0.0

    assert await subscriber.get_msg(consumer) == (mine, unnamed, unknown)
    assert await subscriber.get_msg(IdleConsumer(records={"tp0": [others, others]})) == ()
    # still counted, as when the consumer skipped them itself
    assert REGISTRY.get_sample_value("transferpunt_events_consumed_total", labels) == before + 3


def test_a_consumer_says_which_types_it_passes_over() -> None:
    """What `GET /admin/backlog` reports, for whoever waits for the group to catch up."""
    unused: Any = None

    async def handler(*_: Any) -> None:
        raise AssertionError("not called")

    consumer = IdempotentConsumer(service="test", session_factory=unused,
                                  inbox=inbox_table(sa.MetaData()),
                                  handlers={"HomeWithdrawn": handler},
                                  broker=KafkaBroker("127.0.0.1:1"))
    assert consumer.handles == {"HomeWithdrawn"}
    assert "IntakeSubmitted" in consumer.passes_over
    assert consumer.passes_over == known_types() - {"HomeWithdrawn"}
