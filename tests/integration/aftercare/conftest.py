"""The aftercare service on a business clock the tests move, against real Kafka and PostgreSQL.

The `system` fixture runs aftercare on the system clock; a simulated year needs business time
that can jump months. So this fixture stops the system's aftercare process, runs one with
`TRANSFERPUNT_CLOCK=manual` on the same port, database and consumer group (only one aftercare
consumes at a time), and puts the original back once this package's tests are done.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import RunningSystem, migrated
from tests.integration.aftercare.harness import Aftercare
from transferpunt.localstack import free_port
from transferpunt.supervisor import ServiceProcess, wait_all_ready

CLOCK_START = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="package")
def aftercare_service(
    system: RunningSystem, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The URL of an aftercare service on a manual business clock (sweeps every 0.3 s)."""
    original = system.processes.get("aftercare")
    env = dict(original.env) if original else {
        "KAFKA_BOOTSTRAP_SERVERS": system.infra.bootstrap_servers,
        "DATABASE_URL": system.infra.database_url,
        "TRANSFERPUNT_ENVIRONMENT": "test",
    }
    env.update({
        "TRANSFERPUNT_CLOCK": "manual",
        "TRANSFERPUNT_CLOCK_START": CLOCK_START.isoformat(),
        "TRANSFERPUNT_AFTERCARE_SWEEP_SECONDS": "0.3",
    })
    if original is not None:
        original.stop()
    proc = ServiceProcess("aftercare", original.port if original else free_port(),
                          tmp_path_factory.mktemp("aftercare-manual-clock"), env)
    proc.start()
    try:
        wait_all_ready([proc], timeout=180, progress=lambda _: None)
        yield proc.url
    finally:
        proc.stop()
        if original is not None:
            original.start()
            wait_all_ready([original], timeout=180, progress=lambda _: None)


@pytest.fixture
async def aftercare(aftercare_service: str, system: RunningSystem) -> AsyncIterator[Aftercare]:
    async with httpx.AsyncClient(timeout=15) as http:
        yield Aftercare(aftercare_service, system.infra.bootstrap_servers, http)


@pytest.fixture
async def engine(scratch_database: str) -> AsyncIterator[AsyncEngine]:
    """A database of this test's own with the aftercare schema migrated from scratch (for
    what looks at every trajectory, like the overdue sweep)."""
    async with migrated(scratch_database, "aftercare") as engine:
        yield engine
