"""Reading and writing real Kafka topics from tests."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord


async def find_records(
    bootstrap: str, topic: str, predicate: Callable[[ConsumerRecord[Any, Any]], bool],
    *, count: int = 1, seconds: float = 30.0,
) -> list[ConsumerRecord[Any, Any]]:
    """Read `topic` from the beginning until `count` records match (or time out)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"test-{uuid.uuid4()}",
        auto_offset_reset="earliest", enable_auto_commit=False,
    )
    await consumer.start()
    found: list[ConsumerRecord[Any, Any]] = []
    deadline = time.monotonic() + seconds
    try:
        while len(found) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                found.extend(r for r in records if predicate(r))
    finally:
        await consumer.stop()
    return found


def envelope_of(record: ConsumerRecord[Any, Any]) -> dict[str, Any]:
    try:
        return json.loads(record.value)  # type: ignore[no-any-return]
    except (ValueError, TypeError):
        return {}


async def publish_raw(bootstrap: str, topic: str, value: bytes, key: bytes | None = None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def eventually(check: Callable[[], Any], seconds: float = 30.0, every: float = 0.3) -> Any:
    """Poll an async check until it returns something truthy."""
    deadline = time.monotonic() + seconds
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(every)
    raise AssertionError(f"condition not met within {seconds}s (last: {last!r})")
