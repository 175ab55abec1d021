"""The stack's floor (benchmark figure 6): how many intakes a second FastAPI, FastStream and
Kafka carry on this machine when an intake does nothing else.

Issue 7 asks the end-to-end rate to reach 10 % of raw Kafka. Whether any design on the chosen
stack can is a question of measurement, not of opinion, so the benchmark measures it:
figure 3's burst (the same client, the same bodies, 32 requests at a time; ten times as
many intakes, see `transferpunt.bench.floor_burst`) against stand-ins started like the
services (one uvicorn process each), with no domain:

- the **front** answers `POST /intakes` as the contract asks and nothing more: the bearer
  token verified (`shared.auth`), the body validated by the intake service's own model
  (`IntakeIn`), a pseudonymous envelope published with the services' own broker
  (`shared.runtime.make_broker`: idempotent, acks from all in-sync replicas) and
  acknowledged before the 201;
- **hops 0**: the front publishes nothing — HTTP alone, the ceiling of the client and the
  server on this machine;
- **hops 1**: the front publishes the `MatchProposed` itself — the floor of a design that
  matched inside the HTTP request;
- **hops 2**: the front publishes an `IntakeSubmitted`, and the **relay**, a second process
  like matching, reads it with a FastStream batch subscriber and publishes a
  `MatchProposed` for it — the floor of intake and matching as two services;
- **hops 2, stored**: as hops 2, and the front first writes the intake's row (the client's
  data, which may not go on Kafka, and the rest of the body) in one autocommit statement
  through the services' own engine (`shared.db`), as `POST /intakes` writes its case.

Everything else the system does (the outboxes and inboxes, the matching, the contingent's
allocation, aftercare, the business rules) can only cost more. Beside each rate the floor
records the machine's busy share and CPU per intake over the same window as the rate
(`transferpunt.machine_cpu`, every process counted): the cores' ceiling is their count
divided by the CPU per intake, whatever held a burst below it.

The bodies carry a generated name and client number, as figure 3's do; the stand-ins keep
them in memory, or in the stored floor in its table, dropped afterwards, and publish a case
id and a member id, nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import aiohttp
import sqlalchemy as sa
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import for_code
from fastapi import Depends, FastAPI
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.adapters.http.forms import IntakeIn
from shared.auth import Principal, TokenVerifier, require_role
from shared.db import in_one_statement, make_engine, make_session_factory
from shared.runtime import make_broker
from shared.settings import ServiceSettings
from shared.topics import PARTITIONS

ENV = "TRANSFERPUNT_BENCH_FLOOR"  # the stand-ins' settings, as JSON (see FloorSettings)
TOPIC_PREFIX = "transferpunt.bench.floor."
# (name in the results, Kafka hops, whether the front stores the intake's row)
VARIANTS = (("hops_0", 0, False), ("hops_1", 1, False), ("hops_2", 2, False),
            ("hops_2_stored", 2, True))


@dataclass(frozen=True)
class FloorSettings:
    bootstrap: str
    hops: int
    intakes_topic: str
    proposals_topic: str
    database_url: str = ""  # the stored floor's database; its table is `TABLE` in `schema`
    schema: str = ""

    @classmethod
    def from_env(cls) -> FloorSettings:
        return cls(**json.loads(os.environ[ENV]))

    def to_env(self) -> str:
        return json.dumps(self.__dict__)


def _broker(settings: FloorSettings, name: str) -> KafkaBroker:
    # A registry of its own: the stand-ins serve no /metrics, yet they pay for the
    # middleware's counting as the services do.
    return make_broker(settings.bootstrap, f"bench-floor-{name}", registry=CollectorRegistry())


def _envelope(kind: str, case_id: str, member_id: str) -> bytes:
    return json.dumps({"type": kind, "case_id": case_id, "member_id": member_id}).encode()


TABLE = "intakes"


def intakes_table(schema: str) -> sa.Table:
    return sa.Table(
        TABLE, sa.MetaData(schema=schema),
        sa.Column("case_id", sa.Uuid, primary_key=True),
        sa.Column("member_id", sa.Text, nullable=False),
        sa.Column("client", JSONB, nullable=False),  # personal data: stays in PostgreSQL
        sa.Column("details", JSONB, nullable=False),
    )


class IntakeStore:
    """The stored floor's one write per intake: in one autocommit statement, through the
    services' engine and pool (shared.db), as `POST /intakes` writes its case."""

    def __init__(self, settings: FloorSettings) -> None:
        self.engine = make_engine(ServiceSettings(database_url=settings.database_url))
        self._sessions = make_session_factory(self.engine)
        self._insert = sa.insert(intakes_table(settings.schema))

    async def add(self, case_id: str, member_id: str, body: IntakeIn) -> None:
        async with in_one_statement(self._sessions) as session:
            await session.execute(self._insert, {
                "case_id": uuid.UUID(case_id), "member_id": member_id,
                "client": body.client.model_dump(mode="json"),
                "details": body.model_dump(mode="json", exclude={"client"})})


def _stand_in_app(broker: KafkaBroker, *, then_close: AsyncEngine | None = None) -> FastAPI:
    """A stand-in's app: its broker started and stopped with it (and `then_close`, an
    engine, disposed), and `/readyz` for whoever waits for it to serve."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await broker.start()
        try:
            yield
        finally:
            await broker.stop()
            if then_close is not None:
                await then_close.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.get("/readyz")
    async def ready() -> dict[str, bool]:
        return {"ready": True}

    return app


def create_front() -> FastAPI:
    """The stand-in for the intake service (uvicorn --factory)."""
    settings = FloorSettings.from_env()
    broker = _broker(settings, "front")
    topic, kind = ((settings.proposals_topic, "MatchProposed") if settings.hops == 1
                   else (settings.intakes_topic, "IntakeSubmitted"))

    store = IntakeStore(settings) if settings.database_url else None
    app = _stand_in_app(broker, then_close=store.engine if store else None)
    app.state.token_verifier = TokenVerifier(ServiceSettings())

    @app.post("/intakes", status_code=201)
    async def post_intake(body: IntakeIn, principal: Annotated[
            Principal, Depends(require_role("caseworker"))]) -> dict[str, str]:
        case_id = str(uuid.uuid4())
        if store is not None:
            await store.add(case_id, principal.org, body)
        if settings.hops:
            await broker.publish(_envelope(kind, case_id, principal.org), topic=topic,
                                 key=case_id.encode(),
                                 headers={"event_type": kind,
                                          "content-type": "application/json"})
        return {"case_id": case_id}

    return app


def create_relay() -> FastAPI:
    """The stand-in for matching in hops 2: each IntakeSubmitted read becomes a
    MatchProposed, published as the outbox relay publishes (unconfirmed, then gathered)."""
    settings = FloorSettings.from_env()
    broker = _broker(settings, "relay")

    # A consumer group, as the services' subscribers have (its offset commits are part of
    # the cost). It outlives the run in the broker's offsets until Kafka expires it
    # (offsets.retention.minutes, a week): aiokafka's admin client cannot delete groups.
    @broker.subscriber(settings.intakes_topic, group_id=f"floor-{settings.intakes_topic}",
                       auto_offset_reset="earliest", batch=True, max_records=200,
                       batch_timeout_ms=100)
    async def relay(events: list[dict[str, Any]]) -> None:
        sent = []
        for event in events:  # parsed by FastStream: the front sends application/json
            case_id = event["case_id"]
            sent.append(await broker.publish(
                _envelope("MatchProposed", case_id, event["member_id"]),
                topic=settings.proposals_topic, key=case_id.encode(),
                headers={"event_type": "MatchProposed", "content-type": "application/json"},
                no_confirm=True))
        await asyncio.gather(*sent)

    return _stand_in_app(broker)


# ---- running the stand-ins -------------------------------------------------------------------


class FloorError(RuntimeError):
    """A stand-in did not start; the message names its log."""


@dataclass
class StandIn:
    name: str
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def cpu_seconds(self) -> float:
        """User + system CPU of the uvicorn process so far (Linux /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def start_stand_in(name: str, settings: FloorSettings, log_dir: Path) -> StandIn:
    from transferpunt.localstack.procs import free_port
    from transferpunt.supervisor import uvicorn_command

    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"bench-floor-{name}.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            uvicorn_command(f"transferpunt.bench_floor:create_{name}", "127.0.0.1", port),
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, ENV: settings.to_env()}, start_new_session=True)
    return StandIn(name, f"http://127.0.0.1:{port}", proc, log)


async def wait_ready(stand_in: StandIn, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if stand_in.proc.poll() is not None:
                raise FloorError(f"the floor's {stand_in.name} exited with "
                                 f"{stand_in.proc.returncode}; see {stand_in.log}")
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with session.get(f"{stand_in.url}/readyz") as r:
                    if r.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise FloorError(f"the floor's {stand_in.name} was not ready within {within:.0f} s; "
                     f"see {stand_in.log}")


async def _in_one_transaction(database_url: str, *statements: sa.Executable) -> None:
    engine = make_engine(ServiceSettings(database_url=database_url), pool_size=1)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(statement)
    finally:
        await engine.dispose()


async def create_store(database_url: str, schema: str) -> None:
    await _in_one_transaction(database_url, sa.schema.CreateSchema(schema),
                              sa.schema.CreateTable(intakes_table(schema)))


async def drop_store(database_url: str, schema: str) -> None:
    """Drops the stored floor's schema, the generated clients' data with it (also after a
    half-made `create_store`)."""
    await _in_one_transaction(database_url,
                              sa.schema.DropSchema(schema, cascade=True, if_exists=True))


def _refused(entries: Any, what: str) -> None:
    """aiokafka's admin answers a refused topic with an error code, not an exception."""
    for topic, code, *_ in entries:
        if code:
            raise FloorError(f"{what} {topic} failed: {for_code(code).__name__}")


UNKNOWN_TOPIC = 3  # UNKNOWN_TOPIC_OR_PARTITION: nothing to delete


def floor_topics(run: str) -> tuple[str, str]:
    """The variant's two topics: the front's IntakeSubmitted, and the MatchProposed."""
    return f"{TOPIC_PREFIX}{run}.intakes", f"{TOPIC_PREFIX}{run}.proposals"


async def create_topics(bootstrap: str, topics: tuple[str, str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        response = await admin.create_topics(
            [NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in topics])
        _refused(response.topic_errors, "creating topic")
    finally:
        await admin.close()


async def drop_topics(bootstrap: str, topics: tuple[str, str]) -> None:
    """Deletes the topics; one that was never made (its creation failed) is no error."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        response = await admin.delete_topics(list(topics))
        _refused([e for e in response.topic_error_codes if e[1] != UNKNOWN_TOPIC],
                 "deleting topic")
    finally:
        await admin.close()


async def _tried(say: Callable[[str], None], what: str,
                 remove: Callable[..., Awaitable[Any]], *args: Any) -> None:
    """A removal that fails is said, not raised: it must not hide the burst's own error or
    throw its figures away, and the removals after it must still run."""
    try:
        await remove(*args)
    except Exception as error:
        say(f"  could not remove {what}: {type(error).__name__}: {str(error)[:200]}")


def checked(figures: dict[str, Any], stand_ins: list[StandIn]) -> dict[str, Any]:
    """A floor measured on refusals or lost messages would be no floor: every intake must
    have been accepted and have arrived, or FloorError names what went wrong."""
    intakes, accepted, arrived = figures["intakes"], figures["accepted"], figures["arrived"]
    if accepted < intakes or arrived < accepted:
        logs = ", ".join(str(s.log) for s in stand_ins)
        raise FloorError(f"{accepted} of {intakes} intakes accepted "
                         f"({figures['failed_requests'] or 'no refusals'}), {arrived} arrived; "
                         f"see {logs}")
    return figures


Burst = Callable[[str, str | None], Any]  # (front URL, proposals topic or None) -> figures


async def floor(bootstrap: str, database_url: str, burst: Burst, *, log_dir: Path,
                say: Callable[[str], None] = print) -> dict[str, Any]:
    """Figure 6, each of `VARIANTS`: `burst` posts the intakes and measures, as figure 3
    does; a variant that fails is recorded with its error, and the next one runs."""
    found: dict[str, Any] = {}
    for name, hops, stores in VARIANTS:
        if stores and not database_url:
            found[name] = {"error": "no database given to the benchmark"}
            continue
        try:
            figures = found[name] = await one_floor(
                bootstrap, database_url if stores else "", hops, burst, log_dir, say)
        except Exception as error:  # this floor is missing; the others still count
            found[name] = {"error": f"{type(error).__name__}: {str(error)[:300]}"}
            say(f"  {name} failed: {found[name]['error']}")
        else:
            say(f"  {name}: {figures['sustained_per_s']} /s "
                f"(machine {figures.get('machine_busy', 0):.0%} busy, "
                f"{figures.get('cpu_ms_per_intake')} ms CPU per intake)")
    return found


async def one_floor(bootstrap: str, database_url: str, hops: int, burst: Burst,
                    log_dir: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """One variant: its topics, its table when `database_url` is given, its stand-ins. Each
    removal is registered before the thing is made, and runs whatever happened (`_tried`)."""
    run = uuid.uuid4().hex[:8]
    async with contextlib.AsyncExitStack() as undo:
        topics = floor_topics(run)
        undo.push_async_callback(_tried, say, f"topics {', '.join(topics)}", drop_topics,
                                 bootstrap, topics)
        await create_topics(bootstrap, topics)
        schema = f"bench_floor_{run}" if database_url else ""
        if database_url:
            undo.push_async_callback(_tried, say, f"schema {schema}", drop_store,
                                     database_url, schema)
            await create_store(database_url, schema)
        settings = FloorSettings(bootstrap, hops, *topics, database_url=database_url,
                                 schema=schema)
        stand_ins = []
        for role in ("front", "relay") if hops == 2 else ("front",):
            stand_in = start_stand_in(role, settings, log_dir)
            undo.push_async_callback(_tried, say, f"the {role}", asyncio.to_thread,
                                     stand_in.stop)
            stand_ins.append(stand_in)
        for stand_in in stand_ins:
            await wait_ready(stand_in)
        cpu_before = [s.cpu_seconds() for s in stand_ins]
        figures = await burst(stand_ins[0].url, topics[1] if hops else None)
        figures["stand_in_cpu_ms_per_intake"] = {
            s.name: round((s.cpu_seconds() - before) * 1000 / max(figures["accepted"], 1), 3)
            for s, before in zip(stand_ins, cpu_before, strict=True)}
        return checked(figures, stand_ins)
    raise AssertionError("unreachable")  # mypy: an exit stack may swallow exceptions
