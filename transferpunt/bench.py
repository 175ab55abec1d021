"""The benchmark (not part of the test run): the system against raw Kafka, on one broker and
one database, loopback only, bounded in count and time.

1. raw aiokafka: produce → consume throughput, and the round trip of one message — the
   baseline every other figure is compared to;
2. end to end, `POST /intakes` → `MatchProposed` on Kafka, at a steady 20 intakes/s with
   homes waiting: p50 and p99 latency;
3. the highest sustained end-to-end rate: intakes sent as fast as the intake API takes them,
   MatchProposed counted as it arrives (the rate between 10 % and 90 % of the arrivals);
4. the wall time of the simulated U16 year (transferpunt.simulator, default scenario);
5. replaying every event topic into a fresh read model (envelopes parsed and validated by the
   shared event contracts, folded into per-case and per-member state): events/s;
6. the stack's floor (transferpunt.bench_floor): figure 3's burst against stand-ins with no
   domain — HTTP alone, POST → Kafka, POST → Kafka → a second process → Kafka, and that
   again with each intake's row stored — each with the machine's CPU per intake over the
   window of its rate: what FastAPI, FastStream, Kafka and PostgreSQL cost on this machine
   before any of the system's own work.

Run order 1, 4, 2–3, 6, 5: the year on a clean system, as `transferpunt demo` runs it; the
end-to-end phases withdraw their homes and intakes afterwards, and the next phase starts
once nothing is in flight.

"Homes waiting" without a storm: waiting home j has rent 400 + j/4 euros and is available
from day j; candidate i may pay at most 400 + i/4 and is ready from day i. Only home i fits
candidate i (rent ≤ maximum and ready ≤ available), so every intake makes exactly one home
ask the contingent: POST → IntakeSubmitted → matching → AllocationRequested → contingent →
AllocationDecided → matching → MatchProposed, three hops through Kafka and four outboxes.

    run_bench(say, urls=…, bootstrap=…) -> dict   (prints the table, writes out/bench.json)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.envelope import Envelope
from shared.events.base import parse_event
from shared.topics import ALL_EVENT_TOPICS, events_topic
from transferpunt.bench_floor import floor
from transferpunt.http_client import HttpClient
from transferpunt.machine_cpu import CpuSampler
from transferpunt.report import exact_quantile
from transferpunt.simulator import (
    HTTP_CONNECTIONS,
    Api,
    Kafka,
    Quiet,
    Scenario,
    behind,
    first_free_year,
    settle,
    simulate,
    topic_partitions,
)

Say = Callable[[str], None]
PAYLOAD_BYTES = 700  # about the size of an envelope on the wire


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


# ---- 1. raw Kafka -------------------------------------------------------------------------


async def raw_kafka(bootstrap: str, *, messages: int = 20_000, pings: int = 300,
                    limit_s: float = 60.0) -> dict[str, Any]:
    topic = f"transferpunt.bench.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True,
                                linger_ms=2)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="latest", fetch_max_wait_ms=10)
    await producer.start()
    await consumer.start()
    try:
        await consumer.seek_to_end()
        for tp in consumer.assignment():
            await consumer.position(tp)
        body = b"x" * PAYLOAD_BYTES
        # Round trip: one message at a time, sent and seen again.
        rtts = []
        for i in range(pings):
            began = time.perf_counter()
            await producer.send_and_wait(topic, body, key=str(i).encode())
            while True:
                batch = await consumer.getmany(timeout_ms=1000)
                if any(batch.values()):
                    break
            rtts.append(time.perf_counter() - began)
        # Throughput: everything at once, consumed as it comes.
        received = 0
        began = time.perf_counter()

        async def consume() -> None:
            nonlocal received
            while received < messages and time.perf_counter() - began < limit_s:
                for records in (await consumer.getmany(timeout_ms=200,
                                                       max_records=5000)).values():
                    received += len(records)

        reader = asyncio.create_task(consume())
        sends = [await producer.send(topic, body, key=str(i).encode()) for i in range(messages)]
        await asyncio.gather(*sends)
        produced = time.perf_counter() - began
        await reader
        took = time.perf_counter() - began
        return {"messages": messages, "bytes_each": PAYLOAD_BYTES,
                "produce_per_s": round(messages / produced),
                "produce_consume_per_s": round(received / took),
                "round_trip_p50_ms": _ms(exact_quantile(rtts, 0.5)),
                "round_trip_p99_ms": _ms(exact_quantile(rtts, 0.99))}
    finally:
        await consumer.stop()
        await producer.stop()
        await admin.delete_topics([topic])
        await admin.close()


# ---- 2 and 3. end to end -------------------------------------------------------------------


class Pairing:
    """Homes and candidates that fit one to one (see the module docstring)."""

    def __init__(self, api: Api, year: int, members: list[str], corporation: str,
                 base: date, offset: int) -> None:
        self.api, self.year, self.members, self.corporation = api, year, members, corporation
        self.base, self.offset = base, offset  # offset: keeps the batches apart
        self.homes: list[str] = []
        self.cases: list[tuple[str, str]] = []  # (member, case_id)
        self.failed: Counter[str] = Counter()

    def rent(self, i: int) -> str:
        return f"{400 + (self.offset + i) / 4:.2f}"

    def day(self, i: int) -> str:
        return (self.base + timedelta(days=self.offset + i)).isoformat()

    async def offer_home(self, i: int) -> None:
        r = await self.api.call("POST", "matching", "/homes", role="corporation",
                                org=self.corporation, body={
                                    "municipality": "Utrecht", "postcode4": "3511",
                                    "bedrooms": 1, "rent": self.rent(i),
                                    "available_from": self.day(i),
                                    "contingent_year": self.year})
        if r.status_code != 201:
            self.failed[f"POST /homes {r.status_code}"] += 1
            return
        self.homes.append(r.json()["home_id"])

    async def clean_up(self, concurrency: int = 16) -> None:
        """Withdraw the homes (open proposals are cancelled), then the intakes: nothing of the
        benchmark stays waiting to be matched against what comes later."""
        gate = asyncio.Semaphore(concurrency)

        async def call(path: str, role: str, org: str, body: Any = None) -> None:
            async with gate:
                await self.api.call("POST", "intake" if role == "caseworker" else "matching",
                                    path, role=role, org=org, body=body)

        await asyncio.gather(*(call(f"/homes/{h}/withdraw", "corporation", self.corporation)
                               for h in self.homes))
        await asyncio.gather(*(call(f"/intakes/{c}/withdraw", "caseworker", m,
                                    {"reason": "client_request"}) for m, c in self.cases))

    async def offer_homes(self, first: int, count: int, concurrency: int = 16) -> None:
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with gate:
                await self.offer_home(i)

        await asyncio.gather(*(one(i) for i in range(first, first + count)))

    def intake(self, i: int, run: str) -> tuple[str, dict[str, Any]]:
        member = self.members[i % len(self.members)]
        return member, {
            "client": {"name": f"Bench Client {run} {self.offset + i}",
                       "date_of_birth": "1980-05-05",
                       "client_number": f"bench-{run}-{self.offset + i}"},
            "household": {"adults": 1, "children": 0}, "monthly_income": "1400.00",
            "max_rent": self.rent(i), "ready_from": self.day(i), "consent": True}


class ProposalWatch:
    """Sees MatchProposed arrive on Kafka; when each case's first one arrived
    (`time.perf_counter`, as the requests' times)."""

    def __init__(self, bootstrap: str, topic: str = events_topic("matching")) -> None:
        # A fetch returns the moment a record arrives, so a long wait costs no latency. It
        # only sets how often an idle fetch comes back: at 5 ms this probe made 175 fetches
        # a second, 60 % of all fetches at 10 intakes/s and ~12 ms of broker CPU per intake
        # (docs/benchmark.md, round sixteen). Not aiokafka's 500 ms: a partition left out of
        # a fetch in flight (records not yet taken) waits for that fetch to come back.
        self.consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap,
                                         group_id=None, auto_offset_reset="latest",
                                         fetch_max_wait_ms=100)
        self.seen: dict[str, float] = {}
        self._arrived = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        await self.consumer.seek_to_end()
        for tp in self.consumer.assignment():
            await self.consumer.position(tp)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=100)
            now = time.perf_counter()
            for records in batch.values():
                for rec in records:
                    if rec.headers and dict(rec.headers).get("event_type") not in (
                            None, b"MatchProposed"):
                        continue
                    with contextlib.suppress(ValueError, TypeError):  # others' poison
                        envelope = json.loads(rec.value or b"")
                        if envelope.get("type") == "MatchProposed":
                            self.seen.setdefault(str(envelope["case_id"]), now)
                            self._arrived.set()

    async def wait_for(self, cases: list[str], within: float) -> None:
        """Until every case's proposal arrived, or `within` seconds passed."""
        deadline = time.perf_counter() + within
        while any(c not in self.seen for c in cases):
            left = deadline - time.perf_counter()
            if left <= 0:
                return
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.consumer.stop()


async def _submit(api: Api, pairing: Pairing, i: int, run: str) -> tuple[str | None, float]:
    member, body = pairing.intake(i, run)
    sent = time.perf_counter()
    r = await api.call("POST", "intake", "/intakes", role="caseworker", org=member, body=body)
    if r.status_code != 201:
        pairing.failed[f"POST /intakes {r.status_code}"] += 1
        return None, sent
    pairing.cases.append((member, r.json()["case_id"]))
    return r.json()["case_id"], sent


async def steady_latency(api: Api, watch: ProposalWatch, pairing: Pairing, *, rate: float,
                         seconds: float, run: str, ahead: int = 40,
                         limit_s: float = 120.0) -> dict[str, Any]:
    """Intake i at i/rate seconds; home i is offered `ahead` intakes earlier, so a steady
    few dozen homes wait (as in a region where homes find a candidate within days)."""
    count = round(rate * seconds)
    await pairing.offer_homes(0, ahead)
    await asyncio.sleep(1.0)  # the homes asked and found nobody: they wait
    tasks, homes = [], []
    began = time.perf_counter()
    for i in range(count):
        await asyncio.sleep(max(0.0, began + i / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(_submit(api, pairing, i, run)))
        if i + ahead < count:
            homes.append(asyncio.create_task(pairing.offer_home(i + ahead)))
    submitted = await asyncio.gather(*tasks)
    await asyncio.gather(*homes)
    cases = [(c, sent) for c, sent in submitted if c]
    await watch.wait_for([c for c, _ in cases], limit_s)
    latencies = [watch.seen[c] - sent for c, sent in cases if c in watch.seen]
    return {"rate_per_s": rate, "intakes": count, "accepted": len(cases),
            "proposed": len(latencies), "failed_requests": dict(pairing.failed),
            "p50_ms": _ms(exact_quantile(latencies, 0.5)),
            "p99_ms": _ms(exact_quantile(latencies, 0.99)),
            "max_ms": _ms(max(latencies, default=None))}


async def _post_all(api: Api, pairing: Pairing, *, count: int, concurrency: int, run: str,
                    ) -> tuple[dict[str, float], float, float]:
    """`count` intakes, `concurrency` at a time: (when each accepted case's 201 came back,
    the moment the first was sent, how long posting them all took)."""
    gate = asyncio.Semaphore(concurrency)
    answered: dict[str, float] = {}

    async def one(i: int) -> None:
        async with gate:
            case, _ = await _submit(api, pairing, i, run)
            if case:
                answered[case] = time.perf_counter()

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(count)))
    return answered, began, time.perf_counter() - began


def middle(arrivals: list[float]) -> tuple[float, float, int] | None:
    """The steady middle of a burst, without its start-up and its tail: the 10th and the 90th
    percentile of the arrival times, and how many arrivals lie between them."""
    if len(arrivals) < 10:
        return None
    arrivals = sorted(arrivals)
    lo, hi = len(arrivals) // 10, (len(arrivals) * 9) // 10
    return arrivals[lo], arrivals[hi], hi - lo


def sustained_rate(arrivals: list[float]) -> float | None:
    """Arrivals a second over the middle of the burst (see `middle`)."""
    window = middle(arrivals)
    if window is None:
        return None
    start, end, count = window
    return round(count / max(end - start, 1e-9), 1)


async def saturation(api: Api, watch: ProposalWatch, pairing: Pairing, *, count: int,
                     concurrency: int, run: str, limit_s: float = 120.0) -> dict[str, Any]:
    await pairing.offer_homes(0, count)
    await asyncio.sleep(1.0)
    async with CpuSampler() as cpu:
        answered, began, posted = await _post_all(api, pairing, count=count,
                                                  concurrency=concurrency, run=run)
        cases = list(answered)
        await watch.wait_for(cases, limit_s)
        arrivals = sorted(watch.seen[c] for c in cases if c in watch.seen)  # while sampled
    return {**_burst_figures(count, concurrency, len(cases), arrivals, pairing, posted, cpu),
            "proposed": len(arrivals),
            "all_proposed_within_s": round(arrivals[-1] - began, 2) if arrivals else None}


def _burst_figures(count: int, concurrency: int, accepted: int, arrivals: list[float],
                   pairing: Pairing, posted: float, cpu: CpuSampler) -> dict[str, Any]:
    """What figures 3 and 6 report of a burst. The machine's busy share and CPU per intake
    are taken over the window the rate is (`middle`), from `cpu`, sampled meanwhile."""
    figures: dict[str, Any] = {
        "intakes": count, "concurrency": concurrency, "accepted": accepted,
        "arrived": len(arrivals), "failed_requests": dict(pairing.failed),
        "posted_per_s": round(accepted / posted, 1),
        "sustained_per_s": sustained_rate(arrivals)}
    window = middle(arrivals)
    if window is not None:
        start, end, arrived_between = window
        used = cpu.between(start, end)
        intakes_meanwhile = arrived_between / max(end - start, 1e-9) * used.seconds
        figures["machine_busy"] = round(used.busy_share, 3)
        figures["cpu_ms_per_intake"] = round(used.cpu_seconds * 1000
                                             / max(intakes_meanwhile, 1e-9), 3)
    return figures


# ---- 6. the stack's floor (transferpunt.bench_floor) ------------------------------------------


async def floor_burst(bootstrap: str, front_url: str, proposals: str | None, *,
                      count: int = 3000, concurrency: int = 32,
                      limit_s: float = 120.0) -> dict[str, Any]:
    """Figure 3's burst against the floor's front — the same client, bodies and concurrency,
    ten times as many intakes, because the floor is ten times as fast and its middle (the
    window of the rate and the CPU) would otherwise last a few tenths of a second. What
    arrives is the MatchProposed on `proposals`, or with no topic (hops 0) the 201."""
    run = uuid.uuid4().hex[:6]
    async with HttpClient(timeout=60, max_connections=64) as http:
        api = Api({"intake": front_url}, http)
        pairing = Pairing(api, 0, [f"floor{run}m{i}" for i in range(1, 5)], "",
                          date.today(), 0)
        watch = ProposalWatch(bootstrap, proposals) if proposals else None
        try:
            if watch:
                await watch.start()
            client_cpu = time.process_time()
            async with CpuSampler() as cpu:
                answered, _, posted = await _post_all(api, pairing, count=count,
                                                      concurrency=concurrency, run=run)
                if watch:
                    await watch.wait_for(list(answered), limit_s)
                arrivals = ([watch.seen[c] for c in answered if c in watch.seen] if watch
                            else list(answered.values()))  # while sampled
            client_cpu = time.process_time() - client_cpu
        finally:
            if watch:
                await watch.stop()
    accepted = len(answered)
    return {**_burst_figures(count, concurrency, accepted, arrivals, pairing, posted, cpu),
            "client_cpu_ms_per_intake": round(client_cpu * 1000 / max(accepted, 1), 3)}


async def stack_floor(bootstrap: str, database_url: str, log_dir: Path,
                      say: Say) -> dict[str, Any]:
    return await floor(bootstrap, database_url,
                       lambda url, topic: floor_burst(bootstrap, url, topic),
                       log_dir=log_dir, say=say)


async def end_to_end(urls: Mapping[str, str], bootstrap: str, *, steady_rate: float = 20.0,
                     steady_seconds: float = 15.0, burst: int = 300,
                     concurrency: int = 32) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    # any free year will do as a label (business time stands still here); from 2030 on, so
    # reruns on one database find one for a long time (events allow years up to 2100)
    year = await first_free_year(urls, 2030)
    members = [f"bench{run}m{i}" for i in range(1, 5)]
    async with HttpClient(timeout=60, max_connections=64) as http:
        api = Api(urls, http)  # business time stands still: a contingent year is just a label
        for m in members:
            await api.call("POST", "contingent", "/members", body={"member_id": m, "name": m})
        r = await api.call("PUT", "contingent", f"/contingents/{year}", body={
            "total_homes": 5000, "method": "sainte_lague",
            "members": [{"member_id": m, "need": 1000} for m in members]})
        r.raise_for_status()
        today = (await api.clock_now("intake")).date()
        watch = ProposalWatch(bootstrap)
        await watch.start()
        steady_n = round(steady_rate * steady_seconds)
        first = Pairing(api, year, members, f"bench{run}c", today, 0)
        second = Pairing(api, year, members, f"bench{run}c", today, steady_n + 10)
        try:
            steady = await steady_latency(api, watch, first, rate=steady_rate,
                                          seconds=steady_seconds, run=run)
            saturated = await saturation(api, watch, second, count=burst,
                                         concurrency=concurrency, run=run)
        finally:
            await watch.stop()
            began = time.perf_counter()
            for pairing in (first, second):
                await pairing.clean_up()
            cleaned = round(time.perf_counter() - began, 1)
    return {"year": year, "steady": steady, "saturation": saturated, "clean_up_s": cleaned}


async def drain(urls: Mapping[str, str], bootstrap: str, within: float = 600.0) -> float:
    """Wait until what an end-to-end phase left in flight is done (so the next phase starts
    clean); returns how long that took."""
    began = time.perf_counter()
    async with HttpClient(timeout=60, max_connections=HTTP_CONNECTIONS) as http:
        kafka = Kafka(bootstrap)
        await kafka.start()
        try:
            await settle(Api(urls, http), kafka, Quiet(), within=within, poll=0.2)
        finally:
            await kafka.stop()
    return round(time.perf_counter() - began, 1)


# ---- 5. replay ----------------------------------------------------------------------------


async def replay(bootstrap: str, *, limit_s: float = 120.0) -> dict[str, Any]:
    """Every event topic from the beginning into a fresh in-memory read model."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False, fetch_max_wait_ms=10,
                                max_partition_fetch_bytes=4 * 1024 * 1024)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        parts = await topic_partitions(admin, ALL_EVENT_TOPICS)
        consumer.assign(parts)
        ends = await consumer.end_offsets(parts)
        # Seek to explicit offsets: `seek_to_beginning` after `end_offsets` on a fresh
        # assignment loses a race with the default reset to the end (aiokafka 0.14 here),
        # and the replay then read nothing ("0 events/s" on 22 November).
        starts = await consumer.beginning_offsets(parts)
        for tp, start in starts.items():
            consumer.seek(tp, start)
        on_topics = sum(ends[tp] - starts[tp] for tp in parts)
        model = ReadModel()
        began = time.perf_counter()
        while time.perf_counter() - began < limit_s and await behind(consumer, ends):
            for records in (await consumer.getmany(timeout_ms=200, max_records=5000)).values():
                for rec in records:
                    model.apply(rec.value)
        took = time.perf_counter() - began
        if model.events + model.invalid < on_topics:  # a figure over part of the log is wrong
            raise RuntimeError(f"read {model.events + model.invalid} of the {on_topics} "
                               f"messages on the event topics within {limit_s:.0f} s")
        return {"events": model.events, "invalid": model.invalid, "seconds": round(took, 2),
                "events_per_s": round(model.events / took) if took else None,
                "cases": len(model.case_status), "tenancies": sum(model.tenancies.values())}
    finally:
        await consumer.stop()
        await admin.close()


class ReadModel:
    """What a coordinator's view would hold: each case's last state, tenancies per member."""

    def __init__(self) -> None:
        self.events = 0
        self.invalid = 0
        self.case_status: dict[str, str] = {}
        self.tenancies: Counter[str] = Counter()
        self.by_type: Counter[str] = Counter()

    def apply(self, raw: bytes) -> None:
        try:
            envelope = Envelope.from_bytes(raw)
            event = parse_event(envelope)
        except Exception:
            self.invalid += 1
            return
        self.events += 1
        self.by_type[envelope.type] += 1
        self.case_status[str(envelope.case_id)] = envelope.type
        if envelope.type == "TenancyStarted":
            self.tenancies[str(getattr(event, "member_id", ""))] += 1


# ---- all together -------------------------------------------------------------------------


def _machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": model or platform.processor(),
            "python": platform.python_version(), "system": platform.platform(),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


async def simulated_year(urls: Mapping[str, str], bootstrap: str) -> dict[str, Any]:
    scenario = replace(Scenario(), year=await first_free_year(urls, 2027))
    sim = await simulate(scenario, urls, bootstrap)
    return {"wall_s": round(sim.wall_seconds, 1), "steps": sim.steps,
            "quiescence_s": round(sim.quiet.seconds, 1), "business_days": sim.business_days,
            "errors": len(sim.errors), "tenancies": sim.counts["tenancies"],
            "requests": sum(v for k, v in sim.counts.items() if k.startswith("request ")),
            "events": sum(sim.kafka_end[k] - sim.kafka_start.get(k, 0) for k in sim.kafka_end),
            "timings_s": {k: round(v, 1) for k, v in sim.timings.items()
                          if not k.startswith("request ")}}


async def end_to_end_phases(urls: Mapping[str, str], bootstrap: str) -> dict[str, Any]:
    found = await end_to_end(urls, bootstrap)
    found["drained_after_s"] = await drain(urls, bootstrap)
    return found


async def bench(urls: Mapping[str, str], bootstrap: str, *, year: bool = True,
                say: Say = print, save: Callable[[dict[str, Any]], None] | None = None,
                log_dir: Path | None = None, database_url: str = "") -> dict[str, Any]:
    """The six figures; a phase that fails is recorded with its error and the next runs.
    Run order 1, 4, 2–3, 6, 5 (see the module docstring). `log_dir`: where the floor's
    stand-ins log (default var/log); `database_url`: the database of the stored floor
    (without one, that floor is reported missing)."""
    from transferpunt.localstack import project_root

    logs = log_dir or project_root() / "var" / "log"
    result: dict[str, Any] = {"when": datetime.now(UTC).isoformat(), "machine": _machine()}
    phases: list[tuple[str, str, Callable[[], Any]]] = [
        ("raw", "1/6: raw aiokafka produce → consume", lambda: raw_kafka(bootstrap))]
    if year:
        phases.append(("year", "4/6: the simulated U16 year",
                       lambda: simulated_year(urls, bootstrap)))
    phases += [
        ("end_to_end", "2-3/6: POST /intakes → MatchProposed (steady 20/s, then saturated)",
         lambda: end_to_end_phases(urls, bootstrap)),
        ("floor", "6/6: the stack's floor — the same burst through stand-ins with no domain",
         lambda: stack_floor(bootstrap, database_url, logs, say)),
        ("replay", "5/6: replay every topic into a fresh read model",
         lambda: replay(bootstrap)),
    ]
    for key, title, phase in phases:
        say(f"bench {title}")
        try:
            result[key] = await phase()
        except Exception as exc:  # a figure missing is reported, the others still count
            result[key] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
            say(f"  failed: {result[key]['error']}")
        result["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        if save is not None:
            save(result)
    return result


def rows(result: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(figure, value, ratio to the raw baseline)."""
    raw = result.get("raw", {})
    rate, p50, p99 = (raw.get("produce_consume_per_s"), raw.get("round_trip_p50_ms"),
                      raw.get("round_trip_p99_ms"))

    def ratio(value: float | None, base: float | None, fmt: str = "{:.1f}×") -> str:
        return "–" if not value or not base else fmt.format(value / base)

    out = [("raw produce→consume throughput", f"{rate} msg/s", "1 (baseline)"),
           ("raw round trip p50 / p99", f"{p50} / {p99} ms", "1 (baseline)")]
    e2e = result.get("end_to_end", {})
    if "error" in e2e:
        out.append(("e2e POST→MatchProposed", f"failed: {e2e['error'][:60]}", "–"))
    elif e2e:
        steady, sat = e2e["steady"], e2e["saturation"]
        out += [
            ("e2e POST→MatchProposed p50 @20/s", f"{steady['p50_ms']} ms "
             f"({steady['proposed']}/{steady['intakes']} proposed)",
             ratio(steady["p50_ms"], p50)),
            ("e2e POST→MatchProposed p99 @20/s", f"{steady['p99_ms']} ms",
             ratio(steady["p99_ms"], p99)),
            ("e2e sustained intakes→proposal", f"{sat['sustained_per_s']} /s "
             f"({sat['proposed']}/{sat['intakes']} proposed"
             + (f"; {_busy(sat)})" if "machine_busy" in sat else ")"),
             ratio(sat["sustained_per_s"], rate, "{:.2%}")),
        ]
    y = result.get("year")
    if y and "error" in y:
        out.append(("simulated U16 year, wall time", f"failed: {y['error'][:60]}", "–"))
    elif y:
        out.append(("simulated U16 year, wall time", f"{y['wall_s']} s ({y['steps']} steps)",
                    ratio(y["events"] / y["wall_s"] if y["wall_s"] else None, rate,
                          "{:.2%} (events/s)")))
    out += floor_rows(result.get("floor", {}), rate,
                      e2e.get("saturation", {}).get("sustained_per_s") if e2e else None)
    rp = result.get("replay", {})
    out.append(("replay into a fresh read model",
                f"{rp['events_per_s']} events/s" if "events_per_s" in rp
                else f"failed: {rp.get('error', '')[:60]}",
                ratio(rp.get("events_per_s"), rate, "{:.2%}")))
    return out


FLOOR_NAMES = {"hops_0": "floor: HTTP alone (POST, no Kafka)",
               "hops_1": "floor: POST → Kafka (1 hop)",
               "hops_2": "floor: POST → Kafka → relay → Kafka",
               "hops_2_stored": "floor: the same, the intake stored"}


def _busy(figures: Mapping[str, Any]) -> str:
    """'88% busy, 7.2 ms CPU each': how much of the machine a burst used, per intake."""
    if "machine_busy" not in figures:
        return ""
    cpu = figures.get("cpu_ms_per_intake")
    return f"{figures['machine_busy']:.0%} busy" + (f", {cpu:.2f} ms CPU each" if cpu else "")


def floor_rows(found: Mapping[str, Any], raw_rate: float | None,
               sustained: float | None) -> list[tuple[str, str, str]]:
    """Figure 6's rows: each floor's rate, how busy the machine was, its ratio to raw Kafka;
    and the system's sustained rate as a share of the stored two-hop floor (two services
    that store each intake as the services do, and nothing else)."""
    if "error" in found:
        return [("floor", f"failed: {found['error'][:60]}", "–")]
    out = []
    for key, name in FLOOR_NAMES.items():
        f = found.get(key)
        if f and "error" in f:
            out.append((name, f"failed: {f['error'][:60]}", "–"))
        elif f:
            rate = f["sustained_per_s"]
            out.append((name, f"{rate} /s ({_busy(f)})",
                        "–" if not rate or not raw_rate else f"{rate / raw_rate:.2%}"))
    stored = found.get("hops_2_stored", {}).get("sustained_per_s")
    if stored and sustained:
        out.append(("e2e sustained / stored floor", f"{sustained / stored:.0%}", "–"))
    return out


def run_bench(say: Say, *, urls: Mapping[str, str] | None = None,
              bootstrap: str = "127.0.0.1:9092", out_dir: Path | None = None,
              year: bool = True, database_url: str = "",
              log_dir: Path | None = None) -> dict[str, Any]:
    """Run the benchmark against running services (manual clock), print the table, write
    `out/bench.json`. Blocking."""
    from transferpunt.demo_year import default_urls
    from transferpunt.localstack import project_root

    urls = dict(urls or default_urls())
    out = (out_dir or project_root() / "out") / "bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)

    def save(partial: dict[str, Any]) -> None:
        out.write_text(json.dumps({**partial, "table": rows(partial)}, indent=1, default=str))

    result = asyncio.run(bench(urls, bootstrap, year=year, say=say, save=save,
                               log_dir=log_dir, database_url=database_url))
    table = rows(result)
    width = max(len(r[0]) for r in table)
    value_width = max(len(r[1]) for r in table)
    m = result["machine"]
    say(f"\nBenchmark on {m['cpus']} × {m['cpu']} (load {m['load_average']} → "
        f"{m['load_average_after']})")
    say(f"{'figure'.ljust(width)}  {'value'.ljust(value_width)}  ratio to raw Kafka")
    for name, value, ratio in table:
        say(f"{name.ljust(width)}  {value.ljust(value_width)}  {ratio}")
    save(result)
    say(f"wrote {out}")
    return result


def bench_job(say: Say, *, year: bool = True, stop_after: bool = True) -> int:
    """`transferpunt bench`: the stack on the simulation clock, the benchmark, then stop."""
    from transferpunt.demo_year import start_stack

    stack = start_stack(say)
    try:
        run_bench(say, urls={p.name: p.url for p in stack.services()},
                  bootstrap=stack.bootstrap_servers, year=year,
                  database_url=stack.database_url, log_dir=stack.var / "log")
    finally:
        if stop_after:
            stack.down()
    return 0
