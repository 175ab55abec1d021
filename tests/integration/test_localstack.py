"""The Docker-free local infrastructure: a real Kafka broker and a real PostgreSQL.

Every server runs in a temporary state directory on free ports and is stopped at the end,
even when a test fails.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from transferpunt.localstack import (
    SERVICE_DATABASES,
    KafkaBroker,
    LocalPostgres,
    MissingToolError,
    PortInUseError,
    find_java,
    free_port,
)

pytestmark = pytest.mark.infra


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[KafkaBroker]:
    try:
        find_java()
    except MissingToolError as exc:
        pytest.skip(str(exc))
    b = KafkaBroker(tmp_path / "kafka", port=free_port(), controller_port=free_port())
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[LocalPostgres]:
    pg = LocalPostgres(tmp_path / "postgres", port=free_port())
    try:
        yield pg
    finally:
        pg.stop()


async def _consume_all(bootstrap: str, topic: str, expected: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-{uuid.uuid4()}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    values: list[bytes] = []
    try:
        while len(values) < expected:
            batch = await consumer.getmany(timeout_ms=20_000)
            if not batch:
                break
            for records in batch.values():
                values.extend(r.value for r in records if r.value is not None)
    finally:
        await consumer.stop()
    return values


async def _produce(bootstrap: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"case-1")
    finally:
        await producer.stop()


async def test_kafka_broker_produces_consumes_restarts_and_survives_a_crash(
    broker: KafkaBroker,
) -> None:
    broker.start(timeout=90)  # sync API from inside a running event loop
    status = broker.status()
    assert status.running and status.pid is not None and status.port == broker.port

    assert broker.create_topics(["tp.test"], partitions=3) == ["tp.test"]
    assert await broker.create_topics_async(["tp.test"]) == []  # idempotent

    await _produce(broker.bootstrap_servers, "tp.test", b"first")
    assert await _consume_all(broker.bootstrap_servers, "tp.test", 1) == [b"first"]

    meta = (broker.data_dir / "meta.properties").read_text()
    assert broker.stop() is True
    assert broker.status().state == "stopped"
    assert not broker.pid_path.exists()

    # Second start: same formatted storage (same cluster id), the topic and message kept.
    broker.start(wait=False)
    await broker.wait_ready_async(seconds=90)
    assert (broker.data_dir / "meta.properties").read_text() == meta
    await _produce(broker.bootstrap_servers, "tp.test", b"second")
    assert sorted(await _consume_all(broker.bootstrap_servers, "tp.test", 2)) == [
        b"first",
        b"second",
    ]
    broker.start()  # already running: a no-op

    # Crash and restart: the acknowledged messages survive.
    broker.kill9()
    assert broker.status().state == "stopped"
    broker.start(timeout=90)
    assert len(await _consume_all(broker.bootstrap_servers, "tp.test", 2)) == 2
    assert broker.stop() is True
    assert broker.stop() is False


def test_kafka_refuses_a_port_taken_by_another_process(tmp_path: Path) -> None:
    try:
        find_java()
    except MissingToolError as exc:
        pytest.skip(str(exc))
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        b = KafkaBroker(tmp_path / "kafka", port=port, controller_port=free_port())
        with pytest.raises(PortInUseError, match=str(port)):
            b.start()
    assert b.status().state == "stopped"


async def test_postgres_databases_restart_and_crash_recovery(postgres: LocalPostgres) -> None:
    postgres.start()
    assert postgres.status().running
    assert sorted(await postgres.ensure_databases_async()) == sorted(SERVICE_DATABASES)
    assert postgres.ensure_databases() == []  # idempotent, sync API inside a loop

    for name in SERVICE_DATABASES:
        assert (
            postgres.url(name) == f"postgresql+asyncpg://postgres@127.0.0.1:{postgres.port}/{name}"
        )
        conn = await asyncpg.connect(postgres.dsn(name))
        try:
            assert await conn.fetchval("select 1") == 1
            assert await conn.fetchval("select current_database()") == name
        finally:
            await conn.close()

    conn = await asyncpg.connect(postgres.dsn("intake"))
    try:
        await conn.execute("create table kept (id int primary key)")
        await conn.execute("insert into kept values (1)")
    finally:
        await conn.close()

    assert postgres.stop() is True
    assert postgres.status().state == "stopped"
    postgres.start()  # reuses the data directory
    assert postgres.ensure_databases() == []

    postgres.kill9()
    assert postgres.status().state == "stopped"
    postgres.start()  # crash recovery
    conn = await asyncpg.connect(postgres.dsn("intake"))
    try:
        assert await conn.fetchval("select count(*) from kept") == 1
    finally:
        await conn.close()


def test_servers_outlive_the_process_that_started_them(tmp_path: Path) -> None:
    """`transferpunt up --detach`: one process starts, another sees and stops them."""
    try:
        find_java()
    except MissingToolError as exc:
        pytest.skip(str(exc))
    kafka_port, controller_port, pg_port = free_port(), free_port(), free_port()
    broker = KafkaBroker(tmp_path / "kafka", port=kafka_port, controller_port=controller_port)
    pg = LocalPostgres(tmp_path / "postgres", port=pg_port)
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from transferpunt.localstack import KafkaBroker, LocalPostgres
        KafkaBroker(Path({str(broker.state_dir)!r}), port={kafka_port},
                    controller_port={controller_port}).start(wait=False)
        LocalPostgres(Path({str(pg.state_dir)!r}), port={pg_port}).start()
        """
    )
    try:
        subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
        broker.wait_ready(timeout=90)  # a handle that did not start the broker
        assert broker.status().running
        assert pg.status().running
        assert pg.ensure_databases(["intake"]) == ["intake"]
    finally:
        stopped = (broker.stop(), pg.stop())
    assert stopped == (True, True)
    assert broker.status().state == "stopped"
    assert pg.status().state == "stopped"
