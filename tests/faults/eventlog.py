"""The event log as Kafka holds it, consumer lag, quiescence, and replaying the log.

`quiesce` waits until nothing is in flight: every outbox empty (SQL on each schema) and every
consumer group's committed offsets at the end of the partitions it reads, twice in a row with
the end offsets unchanged in between.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.topics import ALL_DEAD_LETTER_TOPICS, ALL_EVENT_TOPICS, PARTITIONS, SERVICES

SUBSCRIBES = {  # services/*/main.py
    "intake": ("matching", "aftercare"),
    "matching": ("intake", "contingent"),
    "contingent": ("matching",),
    "aftercare": ("matching", "intake"),
}


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    @property
    def envelope(self) -> dict[str, Any]:
        try:
            parsed = json.loads(self.value)
        except (ValueError, TypeError):
            return {}
        return parsed if isinstance(parsed, dict) else {}

    @property
    def producer(self) -> str:
        return self.topic.split(".")[1]


def partitions(topics: Iterable[str]) -> list[TopicPartition]:
    return [TopicPartition(t, p) for t in topics for p in range(PARTITIONS)]


async def end_offsets(bootstrap: str, topics: Iterable[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(partitions(topics)))
    finally:
        await consumer.stop()


async def read(bootstrap: str, topics: Iterable[str],
               since: Mapping[TopicPartition, int] | None = None) -> list[Record]:
    """Every record of `topics` from `since` (default: the beginning) to the current end."""
    tps = partitions(topics)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False, max_partition_fetch_bytes=4_000_000)
    await consumer.start()
    found: list[Record] = []
    try:
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            consumer.seek(tp, (since or {}).get(tp, 0))
        deadline = time.monotonic() + 60
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            if time.monotonic() > deadline:
                raise TimeoutError("reading the event log took over a minute")
            batch = await consumer.getmany(timeout_ms=500)
            for tp, records in batch.items():
                found.extend(
                    Record(tp.topic, tp.partition, r.offset, r.key, r.value, tuple(r.headers))
                    for r in records if r.offset < ends[tp])
    finally:
        await consumer.stop()
    return sorted(found, key=lambda r: (r.topic, r.partition, r.offset))


async def lag(bootstrap: str) -> dict[str, int]:
    """Per consumer group: messages on the partitions it reads that it has not committed."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        ends = await end_offsets(bootstrap, ALL_EVENT_TOPICS)
        behind: dict[str, int] = {}
        for service, sources in SUBSCRIBES.items():
            committed = await admin.list_consumer_group_offsets(f"{service}-consumer")
            total = 0
            for tp in partitions(f"transferpunt.{s}.events" for s in sources):
                done = committed[tp].offset if tp in committed else 0
                total += max(0, ends[tp] - max(done, 0))
            behind[service] = total
        return behind
    finally:
        await admin.close()


async def unpublished(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        return {s: int(await conn.fetchval(
            f"SELECT count(*) FROM {s}.outbox WHERE published_at IS NULL")) for s in SERVICES}
    finally:
        await conn.close()


async def quiesce(bootstrap: str, dsn: str, within: float = 180.0) -> dict[TopicPartition, int]:
    """Wait until nothing is in flight; returns the events topics' end offsets then."""
    deadline = time.monotonic() + within
    last: object = None
    while time.monotonic() < deadline:
        try:
            before = await end_offsets(bootstrap, ALL_EVENT_TOPICS)
            pending, behind = await unpublished(dsn), await lag(bootstrap)
            await asyncio.sleep(1.0)
            after = await end_offsets(bootstrap, ALL_EVENT_TOPICS)
            if not any(pending.values()) and not any(behind.values()) and before == after \
                    and not any((await lag(bootstrap)).values()):
                return after
            last = {"outbox": pending, "lag": behind}
        except Exception as exc:  # the broker or database may still be coming back
            last = repr(exc)
        await asyncio.sleep(1.0)
    raise AssertionError(f"the system did not come to rest within {within:.0f}s: {last}")


async def replay(bootstrap: str, records: list[Record], seed: int) -> int:
    """Publish every record again (same key, value, headers) to its own topic and partition,
    each partition's records in their order but the partitions and topics interleaved at
    random — a second delivery of everything, in another order across partitions."""
    rng = random.Random(seed)
    queues: dict[tuple[str, int], list[Record]] = {}
    for r in records:
        queues.setdefault((r.topic, r.partition), []).append(r)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True,
                                max_request_size=2_000_000)
    await producer.start()
    sent = 0
    try:
        while queues:
            where = rng.choice(sorted(queues))
            r = queues[where].pop(0)
            if not queues[where]:
                del queues[where]
            await producer.send(r.topic, r.value, key=r.key, partition=r.partition,
                                headers=list(r.headers))
            sent += 1
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def dead_letters(bootstrap: str,
                       since: Mapping[TopicPartition, int] | None = None) -> list[Record]:
    return await read(bootstrap, ALL_DEAD_LETTER_TOPICS, since)
