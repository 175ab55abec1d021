"""Fixtures for the contingent's integration tests: the real contingent service (from the
session's `system`), real Kafka and PostgreSQL, and a fresh region per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from tests.conftest import RunningSystem
from tests.integration.contingent.support import Region, next_year


@pytest.fixture(scope="session")
async def producer(system: RunningSystem) -> AsyncIterator[AIOKafkaProducer]:
    kafka = AIOKafkaProducer(bootstrap_servers=system.infra.bootstrap_servers)
    await kafka.start()
    try:
        yield kafka
    finally:
        await kafka.stop()


@pytest.fixture
async def region(system: RunningSystem, producer: AIOKafkaProducer) -> AsyncIterator[Region]:
    """Its own member ids and contingent year, so that tests never see each other's homes."""
    assert "contingent" in system.urls, "set TRANSFERPUNT_TEST_SERVICES to include contingent"
    async with httpx.AsyncClient(timeout=30) as http:
        yield Region(http=http, url=system.urls["contingent"],
                     bootstrap=system.infra.bootstrap_servers, run=uuid.uuid4().hex[:6],
                     year=next_year(), producer=producer)
