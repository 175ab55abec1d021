"""The benchmark's floor (figure 6) on real Kafka and PostgreSQL: the stand-ins start like the
services, carry every intake of a small burst exactly once, put nothing personal on Kafka or
in their logs, and leave no process, topic or table behind — also when a variant fails
(transferpunt.bench_floor)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.topics import PARTITIONS
from transferpunt.bench import floor_burst
from transferpunt.bench_floor import (
    TOPIC_PREFIX,
    VARIANTS,
    FloorError,
    drop_topics,
    floor,
    floor_topics,
)

pytestmark = pytest.mark.infra

INTAKES = 60
# What the burst's bodies carry that must stay off Kafka and out of logs: the generated
# name and the client number (`Pairing.intake`).
PERSONAL = re.compile(rb"Bench Client|bench-[0-9a-f]{6}-\d")


async def _everything_on(bootstrap: str, topic: str) -> list[bytes]:
    """Every record on the topic, up to its end offsets as they are now (so a record
    published twice would show, and none published later could)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]  # floor_topics
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        values: list[bytes] = []
        deadline = time.monotonic() + 30
        for tp in partitions:
            while await consumer.position(tp) < ends[tp]:
                assert time.monotonic() < deadline, f"{topic} not read to its end in 30 s"
                records = await consumer.getmany(tp, timeout_ms=1000)
                values += [r.value or b"" for r in records.get(tp, [])]
        return values
    finally:
        await consumer.stop()


async def _floor_schemas(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.execute(sa.text(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_floor\\_%'"))).scalars())


async def _stored(engine: AsyncEngine, schema: str) -> dict[str, Any]:
    async with engine.connect() as conn:
        return dict((await conn.execute(sa.text(
            f"SELECT count(*) AS rows, count(DISTINCT case_id) AS cases, "
            f"count(*) FILTER (WHERE client->>'name' LIKE 'Bench Client %') AS named "
            f'FROM "{schema}".intakes'))).one()._mapping)


async def _floor_topics_left(bootstrap: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return [t for t in await admin.list_topics() if t.startswith(TOPIC_PREFIX)]
    finally:
        await admin.close()


def _logs_with_personal_data(log_dir: Path) -> list[str]:
    return [log.name for log in log_dir.glob("bench-floor-*.log")
            if PERSONAL.search(log.read_bytes())]


def _server_lines(log: Path) -> tuple[int, int]:
    """How many stand-ins this log saw start and finish (uvicorn's own lines)."""
    text = log.read_text() if log.exists() else ""
    return text.count("Started server process"), text.count("Finished server process")


async def test_each_floor_carries_every_intake_once_and_keeps_personal_data_off_kafka(
        infra: Any, tmp_path: Path) -> None:
    bootstrap = infra.bootstrap_servers
    on_kafka: dict[str, list[bytes]] = {}
    stored: list[dict[str, Any]] = []
    engine = create_async_engine(infra.database_url)
    # Only what this test makes counts: on a shared broker and database (KAFKA_BOOTSTRAP_SERVERS,
    # DATABASE_URL) another run's leftovers are not this test's.
    topics_before = set(await _floor_topics_left(bootstrap))
    schemas_before = set(await _floor_schemas(engine))

    async def burst(front_url: str, proposals: str | None) -> dict[str, Any]:
        figures = await floor_burst(bootstrap, front_url, proposals, count=INTAKES,
                                    concurrency=8, limit_s=30)
        if proposals:  # read before floor() drops the topics
            intakes = proposals.removesuffix(".proposals") + ".intakes"
            for topic in (intakes, proposals):
                on_kafka[topic] = await _everything_on(bootstrap, topic)
        for schema in set(await _floor_schemas(engine)) - schemas_before:  # and its table
            stored.append(await _stored(engine, schema))
        return figures

    try:
        found = await floor(bootstrap, infra.database_url, burst, log_dir=tmp_path,
                            say=lambda _: None)
        schemas_left = set(await _floor_schemas(engine)) - schemas_before
    finally:
        await engine.dispose()

    for name, _, _ in VARIANTS:
        figures = found[name]
        assert figures["accepted"] == figures["arrived"] == INTAKES, figures
        assert figures["sustained_per_s"] > 0
        assert 0 < figures["machine_busy"] <= 1
        assert figures["cpu_ms_per_intake"] > 0
    for name in ("hops_2", "hops_2_stored"):
        assert set(found[name]["stand_in_cpu_ms_per_intake"]) == {"front", "relay"}
        assert found[name]["stand_in_cpu_ms_per_intake"]["relay"] > 0

    # hops 1: the front publishes the proposals itself; hops 2: the relay does, one for
    # each IntakeSubmitted the front published — each exactly once.
    counts = sorted(len(values) for values in on_kafka.values())
    assert counts == [0] + [INTAKES] * 5, counts
    for values in on_kafka.values():
        for value in values:
            assert set(json.loads(value)) == {"type", "case_id", "member_id"}
            assert not PERSONAL.search(value)

    # The stored floor wrote each intake once, the client's data in PostgreSQL.
    assert stored == [{"rows": INTAKES, "cases": INTAKES, "named": INTAKES}]

    # Nothing left behind, and nothing personal in the stand-ins' logs: four fronts and two
    # relays started and finished, the topics and the table are gone.
    assert _server_lines(tmp_path / "bench-floor-front.log") == (4, 4)
    assert _server_lines(tmp_path / "bench-floor-relay.log") == (2, 2)
    assert _logs_with_personal_data(tmp_path) == []
    assert set(await _floor_topics_left(bootstrap)) - topics_before == set()
    assert schemas_left == set()


async def test_a_variant_that_fails_is_reported_and_cleaned_up_and_the_others_still_run(
        infra: Any, tmp_path: Path) -> None:
    bootstrap = infra.bootstrap_servers
    calls: list[str | None] = []
    topics_before = set(await _floor_topics_left(bootstrap))

    async def burst(front_url: str, proposals: str | None) -> dict[str, Any]:
        calls.append(proposals)
        if len(calls) == 2:  # hops 1
            raise FloorError("the burst broke")
        return await floor_burst(bootstrap, front_url, proposals, count=20, concurrency=4,
                                 limit_s=30)

    said: list[str] = []
    found = await floor(bootstrap, "", burst, log_dir=tmp_path, say=said.append)

    assert found["hops_1"] == {"error": "FloorError: the burst broke"}
    assert found["hops_2_stored"] == {"error": "no database given to the benchmark"}
    assert found["hops_0"]["arrived"] == found["hops_2"]["arrived"] == 20
    assert len(calls) == 3  # no burst for the floor that needs a database
    assert "  hops_1 failed: FloorError: the burst broke" in said
    # The failed variant's stand-in stopped and its topics went too.
    assert _server_lines(tmp_path / "bench-floor-front.log") == (3, 3)
    assert set(await _floor_topics_left(bootstrap)) - topics_before == set()


async def test_removing_topics_that_were_never_made_is_no_error(infra: Any) -> None:
    # A variant registers the removal of its topics before it makes them: if making them
    # failed, removing them must not fail in turn and hide why.
    await drop_topics(infra.bootstrap_servers, floor_topics("never-made"))
