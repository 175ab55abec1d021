"""Business time, injectable.

Every `occurred_at` and every deadline is taken from a Clock, never from `datetime.now()`, so
a simulated year — where the simulator moves business time forward day by day — produces the
same throughput-time figures as a real one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall time in UTC: production."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """Business time that only moves when told to: tests and the simulated year.

    Between moves it does not stand still entirely: it adds the wall time elapsed since the
    last move, capped at `max_drift`, so events recorded in the same simulated moment keep
    their order while the simulator's day steps stay exact.
    """

    def __init__(self, start: datetime, max_drift: timedelta = timedelta(0)) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._business = start
        self._max_drift = max_drift
        self._moved_at = datetime.now(UTC)

    def now(self) -> datetime:
        if not self._max_drift:
            return self._business
        drift = min(datetime.now(UTC) - self._moved_at, self._max_drift)
        return self._business + drift

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("business time must be timezone-aware")
        if at < self._business:
            raise ValueError("business time never moves backwards")
        self._business = at
        self._moved_at = datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        self.set(self._business + delta)
