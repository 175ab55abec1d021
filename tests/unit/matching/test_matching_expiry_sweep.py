"""The periodic expiry sweep asks the database only when a proposal could have fallen due:
after a sweep that found nothing, not again until business time moves (a simulation's manual
clock stands still between days while the sweep runs ten times a second)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from services.matching.main import expire_proposals
from shared.clock import ManualClock


class Sessions:
    """Stands in for the database: counts the sweeps' queries and answers with `due`."""

    def __init__(self) -> None:
        self.queries = 0
        self.due: list[Any] = []

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[Sessions]:
        yield self

    async def execute(self, *_: Any) -> Sessions:
        self.queries += 1
        return self

    def scalars(self) -> list[Any]:
        return list(self.due)


class Services:
    def unit(self, session: Any, now: datetime) -> Any:
        return type("Unit", (), {"session": session, "now": now})()


class Runtime:
    def __init__(self) -> None:
        self.clock = ManualClock(datetime(2027, 3, 1, 9, tzinfo=UTC))
        self.sessions = Sessions()


async def test_the_sweep_asks_again_only_when_business_time_moved() -> None:
    rt = Runtime()
    sweep = expire_proposals(Services())  # type: ignore[arg-type]

    await sweep(rt)  # type: ignore[arg-type]
    await sweep(rt)  # type: ignore[arg-type]
    assert rt.sessions.queries == 1  # nothing due, and the clock stood still

    rt.clock.advance(timedelta(days=1))
    await sweep(rt)  # type: ignore[arg-type]
    assert rt.sessions.queries == 2


async def test_a_sweep_that_found_proposals_due_is_never_skipped() -> None:
    rt = Runtime()
    sweep = expire_proposals(Services())  # type: ignore[arg-type]
    rt.sessions.due = ["a proposal"]  # found due, but its expiry fails: look again next time

    for _ in range(3):
        with contextlib.suppress(Exception):
            await sweep(rt)  # type: ignore[arg-type]
    assert rt.sessions.queries == 3
