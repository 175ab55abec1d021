"""A service outlives its infrastructure: without Kafka or PostgreSQL it keeps serving
/healthz, says "not ready" on /readyz, retries with back-off instead of crash-looping, and
an intake accepted while Kafka was away waits in the outbox until a broker appears."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.auth import mint_token
from shared.settings import ServiceSettings
from shared.topics import events_topic
from tests.conftest import Infra
from tests.support.kafka import envelope_of, find_records
from transferpunt.localstack import KafkaBroker, LocalStackError, free_port
from transferpunt.supervisor import ServiceProcess

pytestmark = pytest.mark.infra


def _wait_for(url: str, status: int, seconds: float = 60.0) -> httpx.Response:
    deadline = time.monotonic() + seconds
    last: httpx.Response | None = None
    while time.monotonic() < deadline:
        try:
            last = httpx.get(url, timeout=2)
            if last.status_code == status:
                return last
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} never answered {status} (last: {last and last.text})")


async def _fresh_database(url: str) -> str:
    """A database of its own, so no other running service's relay empties our outbox."""
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"resilience_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(base.set(drivername="postgresql").render_as_string(False))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base.set(database=name).render_as_string(hide_password=False)


def _service(name: str, tmp: Path, kafka: str, db: str) -> ServiceProcess:
    return ServiceProcess(name, free_port(), tmp, env={
        "KAFKA_BOOTSTRAP_SERVERS": kafka, "DATABASE_URL": db,
        "TRANSFERPUNT_ENVIRONMENT": "test"})


INTAKE = {"client": {"name": "Resilience Test", "date_of_birth": "1980-01-01",
                     "client_number": "R-1"},
          "household": {"adults": 1, "children": 0}, "monthly_income": "1500.00",
          "ready_from": "2030-01-01", "consent": True}


async def _await_status(http: httpx.AsyncClient, url: str, status: int,
                        seconds: float = 60.0) -> httpx.Response:
    deadline = time.monotonic() + seconds
    last: httpx.Response | None = None
    while time.monotonic() < deadline:
        try:
            last = await http.get(url)
            if last.status_code == status:
                return last
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.3)
    raise AssertionError(f"{url} never answered {status} (last: {last and last.text})")


async def _await_backlog(http: httpx.AsyncClient, url: str, outbox_pending: int,
                         seconds: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        backlog: dict[str, Any] = (await http.get(f"{url}/admin/backlog")).json()
        if backlog["outbox_pending"] == outbox_pending or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert backlog["outbox_pending"] == outbox_pending, backlog
    return backlog


async def test_an_intake_accepted_without_kafka_is_published_when_kafka_arrives(
    infra: Infra, tmp_path: Path,
) -> None:
    kafka_port = free_port()
    database = await _fresh_database(infra.database_url)
    intake = _service("intake", tmp_path, f"127.0.0.1:{kafka_port}", database)
    intake.start()
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            await _await_status(http, f"{intake.url}/healthz", 200)
            ready = await _await_status(http, f"{intake.url}/readyz", 503)
            assert ready.json()["checks"]["kafka"] is False

            org = f"r{uuid.uuid4().hex[:6]}"
            token = mint_token(ServiceSettings(), role="caseworker", org=org)
            body = {**INTAKE, "client": {**INTAKE["client"], "client_number": uuid.uuid4().hex}}
            deadline = time.monotonic() + 60
            while True:  # the schema may still be migrating on the very first request
                r = await http.post(f"{intake.url}/intakes", json=body,
                                    headers={"Authorization": f"Bearer {token}"})
                if r.status_code == 201 or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
            assert r.status_code == 201, r.text
            case_id = r.json()["case_id"]
            backlog = (await http.get(f"{intake.url}/admin/backlog")).json()
            assert backlog["outbox_pending"] >= 1
            # what a simulator needs to know to wait for the consumer group to catch up
            assert backlog["consumer_group"] == "intake-consumer"
            assert backlog["positions"] == {}  # nothing read: Kafka is away
            assert "MatchProposed" in backlog["handles"]
            assert "HomeOffered" in backlog["passes_over"]
            assert not set(backlog["handles"]) & set(backlog["passes_over"])
            assert intake.pid() is not None, "the service died without Kafka"

            broker = KafkaBroker(state_dir=tmp_path / "late-kafka", port=kafka_port,
                                 controller_port=free_port())
            try:
                await asyncio.to_thread(broker.start, True)
            except LocalStackError as exc:  # pragma: no cover - no Java/Maven here
                pytest.skip(f"cannot start a local Kafka broker: {exc}")
            try:
                await _await_status(http, f"{intake.url}/readyz", 200, seconds=90)
                found = await find_records(
                    broker.bootstrap_servers, events_topic("intake"),
                    lambda rec: envelope_of(rec).get("case_id") == case_id, seconds=60)
                assert found and envelope_of(found[0])["type"] == "IntakeSubmitted"
                # The relay marks a row published after Kafka acknowledged it, so a reader
                # can see the record a moment before the mark commits (at least once, by
                # design): wait for the mark rather than race it.
                backlog = await _await_backlog(http, intake.url, outbox_pending=0)
                # nothing on matching's topic yet: every partition intake reads there at 0
                theirs = events_topic("matching")
                assert backlog["positions"][theirs] == {"0": 0, "1": 0, "2": 0}
                wait = f"{intake.url}/admin/backlog/wait"
                r = await http.post(wait, json={"ends": {theirs: {"0": 0}}, "within": 5})
                assert r.json()["caught_up"] is True
                began = time.monotonic()
                r = await http.post(wait, json={"ends": {theirs: {"0": 1}}, "within": 0.3})
                assert r.json()["caught_up"] is False  # a record that never comes
                assert time.monotonic() - began >= 0.3
                r = await http.post(wait, json={"ends": {theirs: {"0": -1}}})
                assert r.status_code == 422
            finally:
                intake.stop()
                await asyncio.to_thread(broker.stop)
    finally:
        intake.stop()


def test_a_service_without_its_database_stays_up_and_says_not_ready(
    infra: Infra, tmp_path: Path,
) -> None:
    dead_db = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/transferpunt"
    aftercare = _service("aftercare", tmp_path, infra.bootstrap_servers, dead_db)
    aftercare.start()
    try:
        _wait_for(f"{aftercare.url}/healthz", 200)
        ready = _wait_for(f"{aftercare.url}/readyz", 503)
        assert ready.json()["checks"]["database"] is False
        time.sleep(5)  # several retry rounds later…
        assert aftercare.pid() is not None, "the service crash-looped without PostgreSQL"
        assert httpx.get(f"{aftercare.url}/healthz").status_code == 200
        log = aftercare.tail(200)
        assert "retrying" in log and "Traceback" not in log
    finally:
        aftercare.stop()
