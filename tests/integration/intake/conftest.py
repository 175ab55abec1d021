"""Fixtures for the intake's integration tests: the running intake service (real Kafka and
PostgreSQL via the session's `system`), an HTTP client, and ways to act as matching and
aftercare on Kafka.

Run with `TRANSFERPUNT_TEST_SERVICES=intake` to start only this service.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import RunningSystem, migrated
from tests.integration.intake.support import Intakes


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The scan of every topic for personal data runs after everything else that publishes."""
    last = [i for i in items if i.name == "test_no_personal_data_on_any_topic"]
    for item in last:
        items.remove(item)
        items.append(item)


@pytest.fixture(scope="session")
def intake_url(system: RunningSystem) -> str:
    return system.urls["intake"]


@pytest.fixture(scope="session")
def bootstrap(system: RunningSystem) -> str:
    return system.infra.bootstrap_servers


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=15) as client:
        yield client


@pytest.fixture
def intakes(http: httpx.AsyncClient, intake_url: str, bootstrap: str) -> Intakes:
    return Intakes(http, intake_url, bootstrap)


@pytest.fixture(scope="session")
def database_url(system: RunningSystem) -> Iterator[str]:
    yield system.infra.database_url


@pytest.fixture
async def engine(scratch_database: str) -> AsyncIterator[AsyncEngine]:
    """A database of the test's own with the intake's schema migrated from scratch (for
    tests on the repository and the consumer's transactions, without the service)."""
    async with migrated(scratch_database, "intake") as engine:
        yield engine
