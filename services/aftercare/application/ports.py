"""What the use cases need from the outside world, named by role (adapters implement them)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from services.aftercare.domain.returns import ReturnWindow
from services.aftercare.domain.trajectory import AftercareTrajectory


@dataclass(frozen=True)
class SignalRef:
    """Where a signal lives: which trajectory, raised by which corporation."""

    signal_id: str
    trajectory_id: str
    corporation_id: str


@dataclass(frozen=True)
class SeenIntake:
    """An IntakeSubmitted, pseudonymous: the case, the client_ref and the day."""

    case_id: str
    client_ref: str
    member_id: str
    submitted_on: date


@dataclass(frozen=True)
class ReturnFound:
    """A tenancy's first return to homelessness (terugval)."""

    trajectory: AftercareTrajectory
    intake: SeenIntake
    window: ReturnWindow


@dataclass(frozen=True)
class OverdueScan:
    """Overdue check-ins per member with open trajectories (0s included), and the ids of the
    open trajectories with an overdue check-in whose alert has not gone out."""

    per_member: dict[str, int]
    to_alert: list[str]


class TrajectoryRepository(Protocol):
    async def add(self, trajectory: AftercareTrajectory, *, by: str, at: datetime) -> None: ...

    async def get(self, trajectory_id: str, *, lock: bool = False) -> AftercareTrajectory | None:
        """The aggregate; ``lock`` takes its row FOR UPDATE until the transaction ends."""

    async def save(self, trajectory: AftercareTrajectory, *, by: str, at: datetime) -> None:
        """Write what changed; ``by`` and ``at`` say who recorded new check-ins and signals."""

    async def exists_for_case(self, case_id: str) -> bool: ...

    async def for_home(self, home_id: str, corporation_id: str) -> Sequence[str]:
        """Ids of the trajectories of tenancies of this home at this corporation, newest first."""

    async def listing(
        self, *, member_id: str | None = None, open_only: bool = False
    ) -> Sequence[AftercareTrajectory]: ...

    async def overdue_scan(self, today: date) -> OverdueScan:
        """What the overdue sweep needs on ``today``, without reading every trajectory."""

    async def with_unanswered_signals(self, now: datetime) -> Sequence[str]:
        """Ids of open trajectories with a signal due for escalation at ``now``."""

    async def signal(self, signal_id: str) -> SignalRef | None: ...


class IntakeLog(Protocol):
    async def remember(self, intake: SeenIntake) -> Sequence[str] | None:
        """Store the intake and return the ids of its client's trajectories, oldest tenancy
        first (where a return is looked for); None when the intake was seen already."""

    async def of_clients(self, client_refs: Collection[str]) -> Sequence[SeenIntake]: ...

    async def has_return(self, trajectory_id: str) -> bool: ...

    async def record_return(self, found: ReturnFound, *, now: datetime) -> None: ...


class AftercareUnitOfWork(Protocol):
    """One transaction: load, decide, save, publish — all or nothing."""

    @property
    def trajectories(self) -> TrajectoryRepository: ...

    @property
    def intakes(self) -> IntakeLog: ...

    async def publish(self, trajectory: AftercareTrajectory, *, now: datetime) -> None:
        """Put the trajectory's pending domain events in the outbox (same transaction)."""

    async def publish_return(self, found: ReturnFound, *, now: datetime) -> None: ...
