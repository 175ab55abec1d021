"""The machine's CPU time over a window of a benchmark burst (Linux /proc/stat): every core and
every process counted — the broker, PostgreSQL, the services, the stand-ins and the client.

A burst's rate is taken over the middle of its arrivals (`transferpunt.bench.sustained_rate`:
the 10th to the 90th percentile), known only once it is over. So `CpuSampler` reads the
counters every few milliseconds while the burst runs, and `between` gives the CPU of that same
window afterwards: rate × CPU per intake is then the busy share × the cores (to within one
sampling interval, and less any time the hypervisor stole, which neither counts), and a busy
share under 100 % means the burst waited for something other than the cores.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

STAT = Path("/proc/stat")


def stat_times(first_line: str) -> tuple[int, int]:
    """(idle, total) clock ticks of /proc/stat's `cpu` line. Idle counts idle and iowait.
    The total leaves out steal — time the hypervisor gave another machine, not ours to
    spend — and guest, which user time already counts."""
    user, nice, system, idle, iowait, irq, softirq = (int(v) for v in first_line.split()[1:8])
    return idle + iowait, user + nice + system + idle + iowait + irq + softirq


def machine_times() -> tuple[int, int]:
    return stat_times(STAT.read_text().split("\n", 1)[0])


@dataclass(frozen=True)
class Used:
    """What the machine did over `seconds`: its busy share, and the CPU seconds that was."""

    busy_share: float
    cpu_seconds: float
    seconds: float


class CpuSampler:
    """`async with CpuSampler() as cpu:` around a burst, then `cpu.between(start, end)`."""

    def __init__(self, every: float = 0.02) -> None:
        self.every = every
        self.samples: list[tuple[float, int, int]] = []  # (perf_counter, idle, total)
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> CpuSampler:
        self.sample()
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.sample()

    def sample(self, at: float | None = None, times: tuple[int, int] | None = None) -> None:
        idle, total = times or machine_times()
        self.samples.append((time.perf_counter() if at is None else at, idle, total))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            self.sample()

    def between(self, start: float, end: float) -> Used:
        """From the last sample at or before `start` to the first at or after `end`: the
        window is at most a sampling interval wider on each side, never narrower — a window
        the samples do not cover is a ValueError, not a narrower answer."""
        before = [s for s in self.samples if s[0] <= start]
        after = [s for s in self.samples if s[0] >= end]
        if not before or not after:
            raise ValueError("the samples do not cover the window: take the arrivals inside "
                             "`async with CpuSampler()`")
        (t0, idle0, total0), (t1, idle1, total1) = before[-1], after[0]
        spent, idled = total1 - total0, idle1 - idle0
        share = 0.0 if spent <= 0 else 1 - idled / spent
        return Used(share, (spent - idled) / os.sysconf("SC_CLK_TCK"), t1 - t0)
