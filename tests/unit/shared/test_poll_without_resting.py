"""The consumers' poll: an idle poll waits for a record and polls again at once, instead of
FastStream's rest after every empty poll, during which a record that arrives waits unseen
(up to `batch_timeout_ms` more at every hop of the chain). Records of other services'
business never reach the framework. Nothing is committed at once: the poll commits what is
finished (handled and acknowledged, or passed over) some time later, and the service reports
how far it has come (`Progress.positions`) for whoever waits for it to catch up."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from prometheus_client import REGISTRY

from shared.consumer import IdempotentConsumer, Progress, poll_without_resting
from shared.db import inbox_table
from shared.events import known_types

_real_sleep = asyncio.sleep


class IdleConsumer:
    """aiokafka's consumer as the poll sees it: `getmany` waits its timeout, then returns
    nothing (or returns at once, as when the consumer is stopping) — or the records given.
    Its commits are recorded (the offsets each committed), and fail when told to."""

    def __init__(self, *, early: bool = False, records: dict[Any, list[Any]] | None = None,
                 commit_fails: bool = False, assigned: set[Any] | None = None):
        self.early, self.records = early, records or {}
        self.calls: list[dict[str, Any]] = []
        self.committed: list[dict[Any, int]] = []
        self.commit_fails = commit_fails
        self.assigned = assigned
        self.seeks: list[tuple[Any, int]] = []

    @property
    def commits(self) -> int:
        return len(self.committed)

    def assignment(self) -> set[Any]:
        return self.assigned if self.assigned is not None else {TP0, TP1}

    async def commit(self, offsets: dict[Any, int] | None = None) -> None:
        assert offsets is not None, "commit only what is finished, never the fetch position"
        self.committed.append(dict(offsets))
        if self.commit_fails:
            raise CommitFailedError("the group rebalanced")

    def seek(self, partition: Any, offset: int) -> None:
        self.seeks.append((partition, offset))

    async def position(self, partition: Any) -> int:
        """Where a partition not read from yet starts: its committed offset, here 0."""
        return 0

    async def getmany(self, *partitions: Any, timeout_ms: int = 0,
                      max_records: int | None = None) -> dict[Any, list[Any]]:
        self.calls.append({"timeout_ms": timeout_ms, "max_records": max_records})
        if not self.records and not self.early:
            await _real_sleep(timeout_ms / 1000)
        return self.records


TP0, TP1 = TopicPartition("topic", 0), TopicPartition("topic", 1)


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
                             max_records=7, ack_policy=AckPolicy.NACK_ON_ERROR)


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
    r1, r2, r3 = *records("r1 r2"), record("r3", 0, partition=1)
    consumer = IdleConsumer(records={TP0: [r1, r2], TP1: [r3]})

    assert await subscriber.get_msg(consumer) == (r1, r2, r3)
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


def record(name: str, offset: int, event_type: str | None = None,
           partition: int = 0) -> ConsumerRecord[Any, Any]:
    """A record as aiokafka returns it; `name` is its body."""
    headers = [("event_type", event_type.encode())] if event_type else []
    return ConsumerRecord("topic", partition, offset, 0, 0, None, name.encode(), None, 0,
                          len(name), headers)


def records(names: str, first: int = 0, partition: int = 0) -> list[ConsumerRecord[Any, Any]]:
    return [record(name, first + i, partition=partition)
            for i, name in enumerate(names.split())]


def passes_over_skips(item: Any) -> bool:
    return bytes(item.value).startswith(b"skip")


def polling(commit_after: float) -> tuple[Any, Progress]:
    subscriber = batch_subscriber(50)
    progress = poll_without_resting(subscriber, passes_over=passes_over_skips,
                                    commit_after=commit_after)
    return subscriber, progress


async def acknowledge(subscriber: Any, consumer: IdleConsumer, batch: tuple[Any, ...],
                      ok: bool = True) -> None:
    """What FastStream does with a batch once its handler has run: the message it parsed
    from the records is acknowledged (or, when the handler raised, nacked) through the
    consumer the parser was set up with when the subscriber started."""
    subscriber.parser._setup(consumer)
    message = await subscriber.parser.parse_batch(batch)
    await (message.ack() if ok else message.nack())


async def test_a_poll_of_nothing_but_records_passed_over_is_finished_yet_not_committed(
        rests: list[float]) -> None:
    subscriber, progress = polling(commit_after=60)
    consumer = IdleConsumer(records={TP0: records("skip1 skip2", first=4),
                                     TP1: records("skip3", partition=1)})

    assert await subscriber.get_msg(consumer) == ()  # the framework gets nothing to handle
    assert await subscriber.get_msg(consumer) == ()
    assert consumer.commits == 0  # a commit costs the broker a write: later
    assert await progress.positions() == {TP0: 6, TP1: 1}
    assert rests == []


async def test_the_poll_commits_what_is_finished_once_the_time_has_come(
        rests: list[float]) -> None:
    """Counted from the first record left uncommitted; an idle poll's wait counts too, so an
    idle consumer's committed offsets catch up within that time and one poll's wait."""
    subscriber, _ = polling(commit_after=0.04)
    consumer = IdleConsumer(records={TP0: records("skip1 skip2")})

    assert await subscriber.get_msg(consumer) == ()
    assert consumer.commits == 0
    consumer.records = {}
    assert await subscriber.get_msg(consumer) == ()  # waited 50 ms for a record
    assert await subscriber.get_msg(consumer) == ()  # time's up: committed before polling
    assert consumer.committed == [{TP0: 2}]
    assert await subscriber.get_msg(consumer) == ()
    assert await subscriber.get_msg(consumer) == ()
    assert consumer.commits == 1  # once


async def test_a_batch_is_finished_when_acknowledged_and_committed_only_later(
        rests: list[float]) -> None:
    subscriber, progress = polling(commit_after=0.04)
    consumer = IdleConsumer(records={TP0: records("skip0")})
    assert await subscriber.get_msg(consumer) == ()
    consumer.records = {TP0: records("skip1 r1 skip2", first=1),
                        TP1: records("r2", partition=1)}

    batch = await subscriber.get_msg(consumer)
    assert [r.value for r in batch] == [b"r1", b"r2"]  # without the others
    assert await progress.positions() == {TP0: 1, TP1: 0}  # handed over, not finished
    await acknowledge(subscriber, consumer, batch)
    assert await progress.positions() == {TP0: 4, TP1: 1}  # past all five
    assert consumer.commits == 0  # the acknowledgement commits nothing itself
    consumer.records = {}
    await subscriber.get_msg(consumer)
    await subscriber.get_msg(consumer)
    assert consumer.committed == [{TP0: 4, TP1: 1}]


async def test_a_batch_that_failed_is_rewound_and_not_finished(rests: list[float]) -> None:
    subscriber, progress = polling(commit_after=0)
    consumer = IdleConsumer(records={TP0: records("r1 r2", first=7)}, assigned={TP0})

    batch = await subscriber.get_msg(consumer)
    await acknowledge(subscriber, consumer, batch, ok=False)
    assert consumer.seeks == [(TP0, 7)]  # read again from its first record
    consumer.records = {}
    await subscriber.get_msg(consumer)
    assert await progress.positions() == {TP0: 7}
    assert consumer.committed == []  # nothing finished, nothing committed


async def test_a_failed_commit_is_not_raised_and_is_tried_again(rests: list[float]) -> None:
    """Raised, the framework would log an error and pause the subscriber for seconds."""
    subscriber, _ = polling(commit_after=0)
    consumer = IdleConsumer(records={TP0: records("skip1")}, commit_fails=True)

    assert await subscriber.get_msg(consumer) == ()
    consumer.records = {}
    assert await subscriber.get_msg(consumer) == ()
    consumer.commit_fails = False
    assert await subscriber.get_msg(consumer) == ()
    assert consumer.committed == [{TP0: 1}, {TP0: 1}]


async def test_only_assigned_partitions_are_reported_or_committed(rests: list[float]) -> None:
    subscriber, progress = polling(commit_after=0)
    consumer = IdleConsumer(records={TP0: records("skip1", first=5),
                                     TP1: records("skip2", partition=1)})
    assert await subscriber.get_msg(consumer) == ()
    consumer.records, consumer.assigned = {}, {TP1}  # TP0 went to another member

    assert await subscriber.get_msg(consumer) == ()
    assert await progress.positions() == {TP1: 1}
    assert consumer.committed == [{TP1: 1}]


async def test_the_service_reports_every_subscriber_s_positions(rests: list[float]) -> None:
    """What `GET /admin/backlog` shows: per topic and partition, over all lanes."""
    broker = KafkaBroker("127.0.0.1:1")
    unused: Any = None
    service = IdempotentConsumer(service="test", session_factory=unused,
                                 inbox=inbox_table(sa.MetaData()), handlers={}, broker=broker)
    service.subscribe(["topic"])
    service.subscribe(["other"])
    first, second = broker.subscribers
    assert await service.positions() == {}  # nothing polled yet: no consumer to ask
    await first.get_msg(IdleConsumer(records={TP1: [record("x", 3, "IntakeSubmitted", 1)]}))
    other = TopicPartition("other", 2)
    skipped = ConsumerRecord("other", 2, 8, 0, 0, None, b"x", None, 0, 1,
                             [("event_type", b"HomeOffered")])
    await second.get_msg(IdleConsumer(records={other: [skipped]}, assigned={other}))

    # topic:0 is assigned and not read from yet: where the group's consumer stands there
    assert await service.positions() == {"topic": {0: 0, 1: 4}, "other": {2: 9}}


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
    others = record("others", 0, "IntakeSubmitted")  # known, and no handler here
    mine, unnamed, unknown = (record("mine", 1, "HomeWithdrawn"), record("unnamed", 2),
                              record("unknown", 3, "NoSuchEvent"))
    consumer = IdleConsumer(records={TP0: [others, mine, unnamed, unknown]})
    labels = {"service": "test", "event_type": "IntakeSubmitted", "outcome": "ignored"}
    before = REGISTRY.get_sample_value("transferpunt_events_consumed_total", labels) or 0.0

    assert await subscriber.get_msg(consumer) == (mine, unnamed, unknown)
    more = [record("others", 4, "IntakeSubmitted"), record("others", 5, "IntakeSubmitted")]
    assert await subscriber.get_msg(IdleConsumer(records={TP0: more})) == ()
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


async def test_records_read_again_do_not_move_the_position_back(rests: list[float]) -> None:
    """A consumer that starts again from the committed offset, which trails what was
    finished, reads records finished before: they are duplicates, not work owed."""
    subscriber, progress = polling(commit_after=60)
    consumer = IdleConsumer(records={TP0: records("skip1 skip2 skip3")}, assigned={TP0})
    assert await subscriber.get_msg(consumer) == ()
    consumer.records = {TP0: records("skip1")}  # from the committed offset, 0

    assert await subscriber.get_msg(consumer) == ()
    assert await progress.positions() == {TP0: 3}


async def test_finishing_records_wakes_whoever_waits_for_the_service(
        rests: list[float]) -> None:
    """What ends a wait for quiescence at once (`POST /admin/backlog/wait`): records passed
    over, and a batch acknowledged — not a batch merely handed over."""
    woken: list[str] = []
    subscriber = batch_subscriber(50)
    poll_without_resting(subscriber, passes_over=passes_over_skips, commit_after=60,
                         on_finished=lambda: woken.append("finished"))
    consumer = IdleConsumer(records={TP0: records("skip1")})
    await subscriber.get_msg(consumer)
    assert woken == ["finished"]
    consumer.records = {TP0: records("r1", first=1)}
    batch = await subscriber.get_msg(consumer)
    assert woken == ["finished"]
    await acknowledge(subscriber, consumer, batch)
    assert woken == ["finished", "finished"]
