"""Fixtures for tests that need real infrastructure.

Order of preference, once per test session:
1. `KAFKA_BOOTSTRAP_SERVERS` and `DATABASE_URL` set: use those.
2. A Docker engine answers a ping: testcontainers (Confluent's Kafka image in KRaft mode, and
   PostgreSQL).
3. Otherwise: the project's own local stack (Apache Kafka jars via Maven, embedded
   PostgreSQL), in a temporary folder on free ports.
Then the four services start as real processes, exactly as `transferpunt up` starts them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.migrations import upgrade
from shared.topics import SERVICES
from transferpunt.localstack import free_port
from transferpunt.stack import LocalStack
from transferpunt.supervisor import ServiceProcess


@dataclass
class Infra:
    bootstrap_servers: str
    database_url: str


def _docker_engine_answers() -> bool:
    try:
        import docker

        return bool(docker.from_env(timeout=3).ping())
    except Exception:
        return False


@contextlib.contextmanager
def _testcontainers() -> Iterator[Infra]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with KafkaContainer("confluentinc/cp-kafka:8.0.0").with_kraft() as kafka, \
            PostgresContainer("postgres:16", driver="asyncpg") as pg:
        yield Infra(kafka.get_bootstrap_server(), pg.get_connection_url())


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    kafka, db = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("DATABASE_URL")
    if kafka and db:
        yield Infra(kafka, db)
        return
    if _docker_engine_answers():
        with _testcontainers() as infra:
            yield infra
        return
    # Outside pytest's own temp root: PostgreSQL runs as another user and needs to traverse
    # the path, and concurrent pytest sessions reset that root to 0700.
    var = Path(tempfile.mkdtemp(prefix="transferpunt-infra-"))
    stack = LocalStack(var=var, kafka_port=free_port(), kafka_controller_port=free_port(),
                       postgres_port=free_port(), external_kafka=None, external_db=None)
    stack.start_infrastructure()
    try:
        yield Infra(stack.bootstrap_servers, stack.database_url)
    finally:
        stack.down()
        shutil.rmtree(var, ignore_errors=True)


@dataclass
class RunningSystem:
    infra: Infra
    urls: dict[str, str]
    processes: dict[str, ServiceProcess]
    var: Path


def _wanted_services() -> list[str]:
    """All four by default; `TRANSFERPUNT_TEST_SERVICES=intake,aftercare` starts fewer (for
    working on one service while another is mid-change). CI always starts all four."""
    wanted = os.environ.get("TRANSFERPUNT_TEST_SERVICES", "")
    return [s.strip() for s in wanted.split(",") if s.strip()] or list(SERVICES)


@pytest.fixture(scope="session")
def system(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    var = tmp_path_factory.mktemp("services")
    ports = {name: free_port() for name in SERVICES}
    # The web pages link across services: each needs the others' addresses.
    urls = json.dumps({name: f"http://127.0.0.1:{port}" for name, port in ports.items()})
    stack = LocalStack(var=var, service_ports=ports, external_kafka=infra.bootstrap_servers,
                       external_db=infra.database_url,
                       extra_env={"TRANSFERPUNT_ENVIRONMENT": "test",
                                  "TRANSFERPUNT_UI_SERVICE_URLS": urls})
    procs = stack.start_services(timeout=180, only=_wanted_services())
    try:
        yield RunningSystem(infra, {p.name: p.url for p in procs},
                            {p.name: p for p in procs}, var)
    finally:
        for proc in procs:
            proc.stop()


@pytest.fixture
async def database(system: RunningSystem) -> AsyncIterator[AsyncEngine]:
    """An engine on the running system's database, disposed after the test."""
    engine = create_async_engine(system.infra.database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def scratch_database(infra: Infra) -> AsyncIterator[str]:
    """The URL of an empty database of the test's own on the same server, dropped afterwards
    (for a migration from scratch, or what looks at every row, like aftercare's sweep)."""
    name = f"scratch_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(infra.database_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(infra.database_url).set(database=name).render_as_string(
            hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@contextlib.asynccontextmanager
async def migrated(database_url: str, service: str) -> AsyncIterator[AsyncEngine]:
    """An engine on `database_url` (a scratch database) with `service`'s schema migrated from
    scratch, disposed afterwards."""
    migrations = Path(__file__).parent.parent / "services" / service / "adapters" / "db" \
        / "migrations"
    await asyncio.to_thread(upgrade, migrations, database_url, service)
    engine = create_async_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()
