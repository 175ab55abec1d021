"""The faults: services killed with SIGKILL at random moments and started again, the Kafka
broker stopped and started, PostgreSQL stopped (and once crashed) and started, one consumer
kept away long enough to come back to a backlog on every partition it reads.

Everything is seeded (which service, how long to wait), so a failing run can be repeated
with the same schedule; what the services were doing at each kill is up to the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from transferpunt.stack import LocalStack
from transferpunt.supervisor import ServiceProcess, wait_all_ready


@dataclass
class FaultLog:
    kills: Counter[str] = field(default_factory=Counter)
    kafka_restarts: int = 0
    postgres_restarts: int = 0
    postgres_crashes: int = 0
    long_outages: int = 0
    timeline: list[str] = field(default_factory=list)
    began: float = field(default_factory=time.monotonic)

    def note(self, what: str) -> None:
        self.timeline.append(f"{time.monotonic() - self.began:6.1f}s {what}")

    @property
    def total_kills(self) -> int:
        return sum(self.kills.values())


def _ready(procs: list[ServiceProcess], timeout: float = 180) -> None:
    wait_all_ready(procs, timeout=timeout, progress=lambda _: None)


class Chaos:
    def __init__(self, stack: LocalStack, procs: dict[str, ServiceProcess], seed: int) -> None:
        self.stack = stack
        self.procs = procs
        self.rng = random.Random(seed)
        self.log = FaultLog()
        self._turns: list[str] = []
        self.metrics_texts: list[str] = []  # each service's /metrics just before it is killed

    async def kill_and_restart(self, name: str, down_for: float | None = None) -> None:
        proc = self.procs[name]
        await asyncio.to_thread(_ready, [proc])  # kill a service at work, not one starting
        with contextlib.suppress(httpx.HTTPError):
            async with httpx.AsyncClient(timeout=5) as http:
                self.metrics_texts.append((await http.get(f"{proc.url}/metrics")).text)
        await asyncio.to_thread(proc.kill9)  # returns once it is gone and its port free
        self.log.kills[name] += 1
        self.log.note(f"kill -9 {name}")
        await asyncio.sleep(down_for if down_for is not None else self.rng.uniform(0.0, 1.5))
        proc.start()  # comes up on its own; the next kill goes to another service meanwhile

    async def kills(self, count: int) -> None:
        """Each service in turn (a shuffled round of all four, then the next round)."""
        for _ in range(count):
            if not self._turns:
                self._turns = list(self.procs)
                self.rng.shuffle(self._turns)
            await self.kill_and_restart(self._turns.pop())
            await asyncio.sleep(self.rng.uniform(0.5, 2.5))

    async def restart_kafka(self) -> None:
        self.log.note("Kafka broker: stop")
        await asyncio.to_thread(self.stack.kafka.stop)
        await asyncio.sleep(self.rng.uniform(2, 5))
        await asyncio.to_thread(self.stack.kafka.start, True, 120.0)
        self.log.kafka_restarts += 1
        self.log.note("Kafka broker: started again")

    async def restart_postgres(self, crash_it: bool = False) -> None:
        self.log.note(f"PostgreSQL: {'kill -9' if crash_it else 'stop'}")
        await asyncio.to_thread(self.stack.postgres.kill9 if crash_it else self.stack.postgres.stop)
        await asyncio.sleep(self.rng.uniform(1, 3))
        await asyncio.to_thread(self.stack.postgres.start)
        if crash_it:
            self.log.postgres_crashes += 1
        else:
            self.log.postgres_restarts += 1
        self.log.note("PostgreSQL: started again")

    async def long_outage(self, name: str, seconds: float) -> None:
        """A consumer away while the others keep publishing: it comes back to a backlog on
        all its partitions and reads them in whatever order the fetcher interleaves them,
        not the order the events were produced in."""
        await self.kill_and_restart(name, down_for=seconds)
        self.log.long_outages += 1

    async def run(self) -> FaultLog:
        """The schedule: 22 kills (one of them a long outage), Kafka stopped, PostgreSQL
        stopped and crashed, interleaved (about two and a half minutes)."""
        await self.kills(6)
        await self.restart_kafka()
        await self.kills(5)
        await self.restart_postgres()
        await self.long_outage("aftercare", seconds=10)
        await self.kills(5)
        await self.restart_postgres(crash_it=True)
        await self.kills(5)
        await asyncio.to_thread(_ready, list(self.procs.values()), 240)
        self.log.note("every service ready")
        return self.log
