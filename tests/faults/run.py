"""The faulted run: its own Kafka, PostgreSQL and four services (so it may stop and crash
them), the driver's workload, the faults, quiescence and a snapshot for reconciliation.

One run per test session: the faults suite and the privacy suite (which scans what the run
left on Kafka, in the logs and in the metrics) both take the `faulted_run` fixture; whichever
asks first plays the run, the other gets the same one.

The stack lives in a folder from `tempfile.mkdtemp` (not pytest's temporary root: PostgreSQL
runs as another user and must traverse the path) on free ports, apart from the session's
`infra`, whose broker and database other suites share and must not lose.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from shared.topics import SERVICES
from tests.faults.chaos import Chaos, FaultLog
from tests.faults.driver import Driven, Driver, Region, new_run_id
from tests.faults.eventlog import quiesce
from tests.faults.reconcile import Snapshot, gather
from transferpunt.localstack import free_port
from transferpunt.stack import LocalStack
from transferpunt.supervisor import ServiceProcess

SEED = int(os.environ.get("TRANSFERPUNT_FAULTS_SEED", "9"))
YEAR = 2099  # the run's own database: any year will do


@dataclass
class FaultStack:
    stack: LocalStack
    procs: dict[str, ServiceProcess]
    var: Path

    @property
    def urls(self) -> dict[str, str]:
        return {name: p.url for name, p in self.procs.items()}

    @property
    def bootstrap(self) -> str:
        return self.stack.bootstrap_servers

    @property
    def dsn(self) -> str:
        return self.stack.postgres.dsn("transferpunt")

    def logs(self) -> dict[str, str]:
        return {p.name: p.log_path.read_text(errors="replace") for p in self.procs.values()
                if p.log_path.exists()}


@dataclass
class FaultRun:
    env: FaultStack
    region: Region
    driven: Driven
    faults: FaultLog
    snapshot: Snapshot
    wall_seconds: float
    metrics_texts: list[str] = field(default_factory=list)  # scraped before kills and at rest


def start_stack() -> FaultStack:
    var = Path(tempfile.mkdtemp(prefix="transferpunt-faults-"))
    stack = LocalStack(
        var=var, kafka_port=free_port(), kafka_controller_port=free_port(),
        postgres_port=free_port(), service_ports={name: free_port() for name in SERVICES},
        external_kafka=None, external_db=None, progress=lambda _: None,
        extra_env={"TRANSFERPUNT_ENVIRONMENT": "test"},
    )
    stack.start_infrastructure()
    procs = stack.start_services(timeout=240)
    return FaultStack(stack, {p.name: p for p in procs}, var)


async def scrape(urls: dict[str, str]) -> list[str]:
    texts = []
    async with httpx.AsyncClient(timeout=10) as http:
        for url in urls.values():
            try:
                texts.append((await http.get(f"{url}/metrics")).text)
            except httpx.HTTPError:
                continue
    return texts


async def play(env: FaultStack) -> FaultRun:
    began = time.monotonic()
    region = Region.new(new_run_id(), YEAR)
    driver = Driver(env.urls, region, seed=SEED)
    chaos = Chaos(env.stack, env.procs, seed=SEED)
    async with httpx.AsyncClient(timeout=httpx.Timeout(10, connect=3)) as http:
        await driver.set_up(http)
        stop = asyncio.Event()
        workload = asyncio.create_task(driver.run(seconds=600, stop=stop))
        try:
            faults = await chaos.run()
        finally:
            stop.set()
            await workload
        await driver.finish()
    await quiesce(env.bootstrap, env.dsn)
    snapshot = await gather(env.urls, env.bootstrap, env.dsn, year=region.year,
                            members=region.members, corporations=region.corporations,
                            accepted_cases=driver.done.accepted_cases,
                            withdrawn_cases=driver.done.withdrawn_cases)
    run = FaultRun(env, region, driver.done, faults, snapshot, time.monotonic() - began)
    run.metrics_texts = [*chaos.metrics_texts, *await scrape(env.urls)]
    return run


_RUN: FaultRun | Exception | None = None


@pytest.fixture(scope="session")
def faulted_run(request: pytest.FixtureRequest) -> Iterator[FaultRun]:
    global _RUN
    if _RUN is None:
        env = start_stack()

        def stop() -> None:
            env.stack.down()
            shutil.rmtree(env.var, ignore_errors=True)

        request.addfinalizer(stop)
        try:
            _RUN = asyncio.run(play(env))
        except Exception as exc:
            _RUN = exc
            raise
    if isinstance(_RUN, Exception):
        raise RuntimeError("the faulted run failed earlier in this session") from _RUN
    yield _RUN
