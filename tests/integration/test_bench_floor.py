"""The benchmark's floor (figure 6) on real Kafka: the stand-ins start like the services,
carry every intake of a small burst, publish nothing personal, and leave no process and no
topic behind (transferpunt.bench_floor)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from transferpunt.bench import floor_burst
from transferpunt.bench_floor import VARIANTS, floor

pytestmark = pytest.mark.infra

INTAKES = 60


async def _everything_on(bootstrap: str, topic: str, within: float = 20.0) -> list[bytes]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest")
    await consumer.start()
    values: list[bytes] = []
    try:
        deadline = time.monotonic() + within
        while len(values) < INTAKES and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                values += [r.value or b"" for r in records]
    finally:
        await consumer.stop()
    return values


async def test_each_floor_carries_every_intake_and_puts_nothing_personal_on_kafka(
        infra: Any, tmp_path: Path) -> None:
    bootstrap = infra.bootstrap_servers
    on_kafka: dict[str, list[bytes]] = {}
    topics_used: list[str] = []
    stored: list[dict[str, Any]] = []
    engine = create_async_engine(infra.database_url)

    async def burst(front_url: str, proposals: str | None) -> dict[str, Any]:
        figures = await floor_burst(bootstrap, front_url, proposals, count=INTAKES,
                                    concurrency=8)
        if proposals:  # read before floor() drops the topics
            intakes = proposals.removesuffix(".proposals") + ".intakes"
            topics_used.extend([intakes, proposals])
            for topic in (intakes, proposals):
                on_kafka[topic] = await _everything_on(bootstrap, topic)
        for schema in await _floor_schemas(engine):  # and its table
            stored.append(await _stored(engine, schema))
        return figures

    try:
        found = await floor(bootstrap, infra.database_url, burst, log_dir=tmp_path,
                            say=lambda _: None)
        schemas_left = await _floor_schemas(engine)
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
    # each IntakeSubmitted the front published.
    counts = {topic: len(values) for topic, values in on_kafka.items()}
    assert sorted(counts.values()) == [0] + [INTAKES] * 5, counts
    for values in on_kafka.values():
        for value in values:
            # a case id and a member: never the client's generated name or number
            assert set(json.loads(value)) == {"type", "case_id", "member_id"}
            assert b"Bench Client" not in value and b"bench-" not in value

    # The stored floor wrote each intake once, the client's data in PostgreSQL.
    assert stored == [{"rows": INTAKES, "cases": INTAKES, "named": INTAKES}]

    # Nothing left behind: the stand-ins' logs say they shut down, the topics are gone.
    for name in ("front", "relay"):
        assert "Finished server process" in (tmp_path / f"bench-floor-{name}.log").read_text()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        left = set(await admin.list_topics()) & set(topics_used)
    finally:
        await admin.close()
    assert not left
    assert schemas_left == []


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
