"""The load test (issue 9, "Load"): ten times the U16 year's peak intake rate for several
minutes against a running stack, loopback only, bounded in count and time. Not part of the
test run; it belongs with the benchmark (`transferpunt load`, after `transferpunt up --detach`).

The rate, derived (`derive_rate`):

1. The peak. The simulator's default scenario (`transferpunt.simulator.Scenario()`: the U16
   region, 600 homes, 690 intakes on the working days of 2027, seed 16) puts at most
   `PEAK_INTAKES_PER_DAY` = 7 intakes on one business day (7 January 2027 and three other
   days; 2.9 on an average working day). `peak_intakes_per_day()` recomputes it from the plan.
2. Accelerated. A business day of the simulated year lasts about 1.5 s of wall time when
   `transferpunt demo --year` plays it (docs/simulation.md: 441–625 s for the 383 business
   days with something to do, 1.15–1.63 s each): `DAY_SECONDS` = 1.5. The busiest day, so
   accelerated, brings 7 / 1.5 = 4.7 intakes per second.
3. Ten times that: 46.7 intakes per second, for `duration` seconds (default 180) and at most
   `max_intakes` (default 20,000), whichever ends first.

What it does:

- sets up its own members (4), corporation and a contingent year nobody else uses;
- posts intakes on a fixed schedule (intake i at i / rate seconds, open loop; at most
  `concurrency` requests in flight, so a slow service shows up as the achieved rate falling
  behind the schedule, not as an unbounded pile of requests);
- every `home_every`-th intake is *paired*: a home that fits only that client is offered a
  few paired intakes earlier and waits, so the intake goes all the way through
  IntakeSubmitted → matching → AllocationRequested → contingent → AllocationDecided →
  matching → MatchProposed; the other intakes fit no home (their maximum rent is below every
  home's rent) and wait as candidates, as most clients do;
- watches the matching topic for MatchProposed (end-to-end latency of the paired intakes),
  and samples each consumer group's lag (end offset − committed offset, summed over the
  partitions of the topics it reads) every few seconds;
- after the load, waits (at most `drain` seconds) until every paired intake is proposed and
  every lag is zero, then withdraws its homes and intakes (at most `cleanup` seconds).

Errors: every request of the load that did not get its 2xx (any status, a timeout, a broken
connection) — none is retried, so none is hidden. The exit status is non-zero when there was
any error or the setup failed. Paired intakes not proposed within the drain time are reported
(they are slow, not necessarily lost); so is the lag left.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import math
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from shared.topics import events_topic
from transferpunt.bench import ProposalWatch
from transferpunt.http_client import HttpClient, HttpError

Say = Callable[[str], None]

PEAK_INTAKES_PER_DAY = 7  # the default scenario's busiest business day (see the docstring)
DAY_SECONDS = 1.5  # wall seconds per business day of the accelerated simulated year
TIMES_PEAK = 10
DEFAULT_DURATION_S = 180.0
DEFAULT_MAX_INTAKES = 20_000
CONSUMER_READS = {  # consumer group -> the producers whose topics it reads (services/*/main.py)
    "intake-consumer": ("matching", "aftercare"),
    "matching-consumer": ("intake", "contingent"),
    "contingent-consumer": ("matching",),
    "aftercare-consumer": ("matching", "intake"),
}


class NotLoopback(ValueError):
    """The load test refuses to send load anywhere but this machine."""


# ---- pure parts -----------------------------------------------------------------------------


def peak_intakes_per_day() -> tuple[int, date]:
    """The busiest business day of the simulator's default scenario: (intakes, day)."""
    from transferpunt.simulator import Scenario, make_plan

    per_day = Counter(i.day for i in make_plan(Scenario()).intakes)
    day, count = max(per_day.items(), key=lambda kv: (kv[1], -kv[0].toordinal()))
    return count, day


def derive_rate(peak_per_day: float = PEAK_INTAKES_PER_DAY, day_seconds: float = DAY_SECONDS,
                times: float = TIMES_PEAK) -> float:
    """Intakes per second: `times` × the peak day's intakes, the day lasting `day_seconds`."""
    if peak_per_day <= 0 or day_seconds <= 0 or times <= 0:
        raise ValueError("peak, day length and multiple must be positive")
    return times * peak_per_day / day_seconds


@dataclass(frozen=True)
class RatePlan:
    """Intake i is sent at i / rate seconds; bounded by duration and by count."""

    rate: float
    duration_s: float = DEFAULT_DURATION_S
    max_intakes: int = DEFAULT_MAX_INTAKES
    home_every: int = 20  # every n-th intake is paired with a home (end-to-end latency)

    def __post_init__(self) -> None:
        if not (self.rate > 0 and math.isfinite(self.rate)):
            raise ValueError(f"the rate must be a positive number, not {self.rate}")
        if self.duration_s <= 0:
            raise ValueError("the duration must be positive")
        if self.max_intakes < 1:
            raise ValueError("at least one intake")
        if self.home_every < 1:
            raise ValueError("home_every must be at least 1")

    @property
    def count(self) -> int:
        """How many intakes: whatever fits in the duration, at most `max_intakes`."""
        return max(1, min(self.max_intakes, math.floor(self.rate * self.duration_s)))

    def send_at(self, i: int) -> float:
        return i / self.rate

    def paired(self, i: int) -> int | None:
        """The pairing index of intake i (its home), or None for an intake that fits none."""
        return i // self.home_every if i % self.home_every == 0 else None

    @property
    def homes(self) -> int:
        return len(range(0, self.count, self.home_every))


def percentile(values: Sequence[float], q: float) -> float | None:
    """The exact q-quantile (nearest rank, 0 < q ≤ 1) of the values; None for none."""
    if not 0 < q <= 1:
        raise ValueError("q must be in (0, 1]")
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary_ms(seconds: Sequence[float]) -> dict[str, float | int | None]:
    def ms(q: float) -> float | None:
        v = percentile(seconds, q)
        return None if v is None else round(v * 1000, 1)

    return {"n": len(seconds), "p50": ms(0.5), "p90": ms(0.9), "p99": ms(0.99),
            "max": ms(1.0)}


def _is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name other than localhost: not resolved, refused


def require_loopback(urls: Mapping[str, str], bootstrap: str) -> None:
    """Raise NotLoopback unless every service URL and every broker is on this machine."""
    refused = [f"{name} {url}" for name, url in urls.items()
               if not _is_loopback_host(urlsplit(url).hostname)]
    for server in filter(None, (s.strip() for s in bootstrap.split(","))):
        if not _is_loopback_host(urlsplit(f"kafka://{server}").hostname):
            refused.append(f"kafka {server}")
    if refused:
        raise NotLoopback("the load test runs against loopback only (127.0.0.0/8, ::1, "
                          "localhost); refused: " + ", ".join(refused))


@dataclass
class LoadResult:
    plan: RatePlan
    setup_error: str | None = None
    sent: int = 0
    accepted: int = 0
    homes_offered: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    error_examples: list[str] = field(default_factory=list)
    send_seconds: float = 0.0  # from the first intake sent to the last
    load_seconds: float = 0.0  # until every request of the load was answered
    behind_s: float = 0.0  # how far the last intake went out after its scheduled time
    http_s: list[float] = field(default_factory=list)  # POST /intakes latencies
    home_http_s: list[float] = field(default_factory=list)  # POST /homes latencies
    end_to_end_s: list[float] = field(default_factory=list)  # POST → MatchProposed seen
    paired: int = 0
    proposed: int = 0
    drained_s: float | None = None
    lag_samples: list[tuple[float, dict[str, int]]] = field(default_factory=list)
    lag_after_drain: dict[str, int] = field(default_factory=dict)
    cleanup: str = ""

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def ok(self) -> bool:
        return self.setup_error is None and self.error_count == 0

    def max_lag(self) -> dict[str, int]:
        peak: dict[str, int] = {}
        for _, lags in self.lag_samples:
            for group, lag in lags.items():
                peak[group] = max(peak.get(group, 0), lag)
        return peak

    def lag_at_end_of_load(self) -> dict[str, int]:
        during = [lags for at, lags in self.lag_samples if at <= self.load_seconds + 0.5]
        return during[-1] if during else {}

    def as_dict(self) -> dict[str, Any]:
        return {
            "rate_per_s": round(self.plan.rate, 2), "duration_s": self.plan.duration_s,
            "planned_intakes": self.plan.count, "sent": self.sent, "accepted": self.accepted,
            "homes_offered": self.homes_offered, "errors": dict(self.errors),
            "send_seconds": round(self.send_seconds, 1),
            "load_seconds": round(self.load_seconds, 1),
            "achieved_per_s": round(self.sent / self.send_seconds, 2) if self.send_seconds
            else 0.0,
            "behind_schedule_s": round(self.behind_s, 2),
            "post_intakes_ms": summary_ms(self.http_s),
            "post_homes_ms": summary_ms(self.home_http_s),
            "intake_to_match_proposed_ms": summary_ms(self.end_to_end_s),
            "paired": self.paired, "proposed": self.proposed, "drained_s": self.drained_s,
            "lag_max": self.max_lag(), "lag_end_of_load": self.lag_at_end_of_load(),
            "lag_after_drain": self.lag_after_drain, "cleanup": self.cleanup,
            "setup_error": self.setup_error,
        }


def _fmt_ms(s: Mapping[str, float | int | None]) -> str:
    if not s["n"]:
        return "none measured"
    return (f"p50 {s['p50']:.0f} ms, p90 {s['p90']:.0f} ms, p99 {s['p99']:.0f} ms, "
            f"max {s['max']:.0f} ms (n={s['n']})")


def format_report(result: LoadResult) -> str:
    d = result.as_dict()
    p = result.plan
    lines = [
        "Load test (loopback)",
        f"  target        {p.rate:.1f} intakes/s for {p.duration_s:.0f} s, at most "
        f"{p.max_intakes} ({p.count} planned); every {p.home_every}th paired with a home",
    ]
    if result.setup_error:
        lines.append(f"  SETUP FAILED  {result.setup_error}")
    lines += [
        f"  sent          {d['sent']} intakes in {d['send_seconds']} s = "
        f"{d['achieved_per_s']}/s ({d['behind_schedule_s']} s behind schedule at the end), "
        f"all answered after {d['load_seconds']} s; {d['accepted']} accepted (201); "
        f"{d['homes_offered']} homes offered",
        f"  errors        {result.error_count}"
        + ("" if not result.errors else "  " + ", ".join(
            f"{k} x{v}" for k, v in sorted(result.errors.items()))),
        f"  POST /intakes {_fmt_ms(d['post_intakes_ms'])}",
        f"  POST /homes   {_fmt_ms(d['post_homes_ms'])}",
        f"  intake → MatchProposed on Kafka  {_fmt_ms(d['intake_to_match_proposed_ms'])}; "
        f"{d['proposed']} of {d['paired']} paired intakes proposed"
        + (f", all within {d['drained_s']} s after the load" if d["drained_s"] is not None
           else " (drain time over)"),
        "  consumer lag (messages)  max during load / at end of load / after drain:",
    ]
    groups = sorted(set(d["lag_max"]) | set(d["lag_after_drain"]))
    for g in groups:
        peak, end = d["lag_max"].get(g, "-"), d["lag_end_of_load"].get(g, "-")
        lines.append(f"    {g:<20} {peak:>6} / {end:>6} / {d['lag_after_drain'].get(g, '-'):>6}")
    if result.cleanup:
        lines.append(f"  clean-up      {result.cleanup}")
    for example in result.error_examples[:5]:
        lines.append(f"  e.g. {example}")
    lines.append("  result        " + ("OK: no errors" if result.ok else "FAILED"))
    return "\n".join(lines)


# ---- against the services --------------------------------------------------------------------


class _Tokens:
    def __init__(self) -> None:
        from shared.settings import ServiceSettings

        self._settings = ServiceSettings()
        self._cache: dict[tuple[str, str], dict[str, str]] = {}

    def __call__(self, role: str, org: str) -> dict[str, str]:
        from shared.auth import mint_token

        if (role, org) not in self._cache:
            token = mint_token(self._settings, role=role, org=org, ttl=timedelta(hours=4))
            self._cache[role, org] = {"Authorization": f"Bearer {token}"}
        return self._cache[role, org]


class _LagProbe:
    """Each consumer group's lag: Σ (end offset − committed offset) over the partitions of
    the topics it reads (a partition without a committed offset counts from 0)."""

    def __init__(self, bootstrap: str) -> None:
        from aiokafka import AIOKafkaConsumer
        from aiokafka.admin import AIOKafkaAdminClient

        self.admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        self.offsets = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)

    async def start(self) -> None:
        await self.admin.start()
        await self.offsets.start()

    async def partitions(self, topics: list[str]) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for described in await self.admin.describe_topics(topics):
            if described.get("error_code", 0) == 0:
                found[described["topic"]] = sorted(p["partition"]
                                                   for p in described["partitions"])
        return found

    async def lags(self) -> dict[str, int]:
        from aiokafka import TopicPartition

        producers = sorted({p for ps in CONSUMER_READS.values() for p in ps})
        layout = await self.partitions([events_topic(p) for p in producers])
        every = [TopicPartition(t, n) for t, ns in layout.items() for n in ns]
        ends = await self.offsets.end_offsets(every) if every else {}
        found: dict[str, int] = {}
        for group, reads in CONSUMER_READS.items():
            committed = await self.admin.list_consumer_group_offsets(group)
            topics = {events_topic(p) for p in reads}
            found[group] = sum(
                max(0, end - (committed[tp].offset if tp in committed
                              and committed[tp].offset >= 0 else 0))
                for tp, end in ends.items() if tp.topic in topics)
        return found

    async def stop(self) -> None:
        await self.offsets.stop()
        await self.admin.close()


async def _free_year(http: HttpClient, url: str, headers: Mapping[str, str]) -> int:
    # Matching takes contingent years 2000-2100; from the top down, far from the years the
    # demo, the simulator (2027 on) and the benchmark (2090 on) pick from the bottom up.
    for year in range(2100, 1999, -1):
        r = await http.get(f"{url}/contingents/{year}", headers=headers)
        if r.status_code == 404:
            return year
        r.raise_for_status()
    raise RuntimeError("no free contingent year")


async def _business_day(http: HttpClient, url: str) -> date:
    """The service's business date (its clock may be a simulation's); today if it will not
    say."""
    with contextlib.suppress(HttpError, KeyError, ValueError):
        r = await http.get(f"{url}/admin/clock")
        if r.status_code == 200:
            return datetime.fromisoformat(r.json()["now"]).date()
    return date.today()


async def run_load(urls: Mapping[str, str], bootstrap: str, plan: RatePlan, *,
                   concurrency: int = 64, ahead: int = 5, drain_s: float = 120.0,
                   cleanup_s: float = 240.0, lag_every_s: float = 5.0,
                   say: Say = print) -> LoadResult:
    require_loopback(urls, bootstrap)
    result = LoadResult(plan)
    run = uuid.uuid4().hex[:6]
    tokens = _Tokens()
    coordinator = tokens("coordinator", "region")
    members = [f"load{run}m{i}" for i in range(1, 5)]
    corporation = f"load{run}c"
    async with HttpClient(timeout=60, max_connections=concurrency + 8) as http:
        try:
            for m in members:
                r = await http.post(f"{urls['contingent']}/members", headers=coordinator,
                                    json={"member_id": m, "name": f"Load {m}"})
                r.raise_for_status()
            year = await _free_year(http, urls["contingent"], coordinator)
            r = await http.put(f"{urls['contingent']}/contingents/{year}", headers=coordinator,
                               json={"total_homes": max(10, plan.homes + ahead + 10),
                                     "method": "sainte_lague",
                                     "members": [{"member_id": m, "need": 100}
                                                 for m in members]})
            r.raise_for_status()
        except (HttpError, RuntimeError) as exc:
            result.setup_error = f"{type(exc).__name__}: {exc}"
            return result
        # the services' business day: on a simulation clock it is not today's date
        today = await _business_day(http, urls["intake"])
        gate = asyncio.Semaphore(concurrency)
        homes: list[str] = []
        cases: list[tuple[str, str]] = []
        paired_cases: dict[str, float] = {}  # case_id -> when its POST was sent

        def failed(what: str, detail: str) -> None:
            result.errors[what] += 1
            if len(result.error_examples) < 20:
                result.error_examples.append(f"{what}: {detail[:200]}")

        def rent(k: int) -> str:
            return f"{400 + k / 4:.2f}"

        def day(k: int) -> str:
            return (today + timedelta(days=30 + k)).isoformat()

        async def post(what: str, url: str, headers: Mapping[str, str], body: dict[str, Any],
                       timings: list[float]) -> tuple[dict[str, Any], float] | None:
            """POST within the concurrency limit and time it; a failure is counted by its
            status (or error) under `what`. Returns the 201's body and when it was sent."""
            async with gate:
                sent = time.perf_counter()
                try:
                    r = await http.post(url, headers=headers, json=body)
                except HttpError as exc:
                    failed(f"{what} {type(exc).__name__}", repr(exc))
                    return None
                timings.append(time.perf_counter() - sent)
                if r.status_code != 201:
                    failed(f"{what} {r.status_code}", r.text)
                    return None
                return r.json(), sent

        async def offer_home(k: int) -> None:
            created = await post(
                "POST /homes", f"{urls['matching']}/homes", tokens("corporation", corporation),
                {"municipality": "Utrecht", "postcode4": "3511", "bedrooms": 1,
                 "rent": rent(k), "available_from": day(k), "contingent_year": year},
                result.home_http_s)
            if created is not None:
                result.homes_offered += 1
                homes.append(created[0]["home_id"])

        async def submit(i: int) -> None:
            k = plan.paired(i)
            member = members[i % len(members)]
            body = {"client": {"name": f"Load Client {run} {i}", "date_of_birth": "1980-05-05",
                               "client_number": f"load-{run}-{i}"},
                    "household": {"adults": 1, "children": 0}, "monthly_income": "1400.00",
                    # paired: fits only its own home; the others fit none (rents start at 400)
                    "max_rent": rent(k) if k is not None else "350.00",
                    "ready_from": day(k if k is not None else 0), "consent": True}
            created = await post("POST /intakes", f"{urls['intake']}/intakes",
                                 tokens("caseworker", member), body, result.http_s)
            if created is None:
                return
            result.accepted += 1
            case_id = created[0]["case_id"]
            cases.append((member, case_id))
            if k is not None:
                paired_cases[case_id] = created[1]

        watch, probe = ProposalWatch(bootstrap), _LagProbe(bootstrap)
        await watch.start()
        await probe.start()
        began = time.perf_counter()

        async def sample_lag(until: Callable[[], bool]) -> None:
            while not until():
                with contextlib.suppress(Exception):  # a probe failing is not the load's error
                    result.lag_samples.append((time.perf_counter() - began, await probe.lags()))
                await asyncio.sleep(lag_every_s)

        load_done = False
        sampler = asyncio.create_task(sample_lag(lambda: load_done))
        try:
            await asyncio.gather(*(offer_home(k) for k in range(min(ahead, plan.homes))))
            if plan.homes and not homes:
                result.setup_error = "no home could be offered: " + "; ".join(
                    result.error_examples[:1])
                return result
            await asyncio.sleep(1.0)  # they asked and found nobody: they wait
            say(f"load: {plan.count} intakes at {plan.rate:.1f}/s, "
                f"{plan.homes} paired with a home; {len(homes)} homes waiting")
            began = time.perf_counter()
            tasks: list[asyncio.Task[None]] = []
            next_note = 30.0
            for i in range(plan.count):
                at = began + plan.send_at(i)
                await asyncio.sleep(max(0.0, at - time.perf_counter()))
                if time.perf_counter() - began > plan.duration_s + 5:
                    break  # bounded in time as well: a stalled service does not stretch it
                result.sent += 1
                tasks.append(asyncio.create_task(submit(i)))
                k = plan.paired(i)
                if k is not None and k + ahead < plan.homes:
                    tasks.append(asyncio.create_task(offer_home(k + ahead)))
                if time.perf_counter() - began >= next_note:
                    say(f"  {time.perf_counter() - began:5.0f} s: {result.sent} sent, "
                        f"{result.accepted} accepted, {result.error_count} errors, "
                        f"{len(watch.seen)} proposed")
                    next_note += 30.0
            result.send_seconds = time.perf_counter() - began
            result.behind_s = max(0.0, time.perf_counter() - (began + plan.send_at(
                max(0, result.sent - 1))))
            await asyncio.gather(*tasks)
            result.load_seconds = time.perf_counter() - began
            load_done = True
            await sampler
            say(f"load: done in {result.load_seconds:.0f} s; waiting for the system to "
                f"drain (at most {drain_s:.0f} s)")
            drain_began = time.perf_counter()
            while True:
                lags = await probe.lags()
                everyone = all(c in watch.seen for c in paired_cases)
                if everyone and not any(lags.values()):
                    result.drained_s = round(time.perf_counter() - drain_began, 1)
                    break
                if time.perf_counter() - drain_began > drain_s:
                    break
                await asyncio.sleep(1.0)
            result.lag_after_drain = lags
            result.paired = len(paired_cases)
            result.end_to_end_s = [watch.seen[c] - sent for c, sent in paired_cases.items()
                                   if c in watch.seen]
            result.proposed = len(result.end_to_end_s)
        finally:
            load_done = True
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
            await watch.stop()
            await probe.stop()
        if cleanup_s > 0:
            result.cleanup = await _clean_up(http, urls, tokens, corporation, homes, cases,
                                             cleanup_s)
    return result


async def _clean_up(http: HttpClient, urls: Mapping[str, str], tokens: _Tokens,
                    corporation: str, homes: list[str], cases: list[tuple[str, str]],
                    within: float) -> str:
    """Withdraw the homes (open proposals are cancelled), then the intakes: nothing of the
    load stays waiting to be matched against what comes later. Bounded in time."""
    gate = asyncio.Semaphore(16)
    done: Counter[str] = Counter()

    async def post(url: str, headers: Mapping[str, str], body: Any, what: str) -> None:
        async with gate:
            with contextlib.suppress(HttpError):
                r = await http.post(url, headers=headers, json=body)
                done[f"{what} {r.status_code}"] += 1

    began = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(
            *(post(f"{urls['matching']}/homes/{h}/withdraw",
                   tokens("corporation", corporation), None, "homes") for h in homes),
            *(post(f"{urls['intake']}/intakes/{c}/withdraw", tokens("caseworker", m),
                   {"reason": "client_request"}, "intakes") for m, c in cases)), within)
        finished = "done"
    except TimeoutError:
        finished = f"stopped after {within:.0f} s"
    return (f"{finished} in {time.perf_counter() - began:.0f} s: "
            + ", ".join(f"{k} x{v}" for k, v in sorted(done.items())))


def load_job(say: Say, urls: Mapping[str, str], bootstrap: str, plan: RatePlan, *,
             concurrency: int = 64, drain_s: float = 120.0, cleanup_s: float = 240.0,
             json_path: str | None = None) -> int:
    """`transferpunt load`: run, print the report, exit 0 only without errors."""
    try:
        require_loopback(urls, bootstrap)
    except NotLoopback as exc:
        say(f"error: {exc}")
        return 2
    result = asyncio.run(run_load(urls, bootstrap, plan, concurrency=concurrency,
                                  drain_s=drain_s, cleanup_s=cleanup_s, say=say))
    say(format_report(result))
    if json_path:
        from pathlib import Path

        path = Path(json_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result.as_dict(), indent=1) + "\n")
        say(f"  written to {path}")
    return 0 if result.ok else 1
