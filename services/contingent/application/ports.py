"""What the contingent's use cases need from the outside world, named by role."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from services.contingent.domain.contingent import ClosedYear, Contingent
from shared.events import Event


@dataclass(frozen=True)
class Member:
    """A member organisation of the association (lid). One that left keeps its history."""

    member_id: str
    name: str
    active: bool
    created_at: datetime
    deactivated_at: datetime | None = None


@dataclass(frozen=True)
class Pledge:
    """Homes a housing corporation promised to the year's contingent (toezegging)."""

    corporation_id: str
    homes: int


@dataclass(frozen=True)
class LedgerTrace:
    """Where new ledger entries came from, beyond the event id the domain keeps."""

    event_type: str | None = None
    round: int | None = None
    corporation_id: str | None = None


class ContingentRepository(Protocol):
    async def get(self, year: int, *, lock: bool = False) -> Contingent | None:
        """The year's aggregate; ``lock`` holds the year's row FOR UPDATE until the
        transaction ends, so every change to one year is serialised."""

    async def add(self, contingent: Contingent, *, at: datetime,
                  pledges: Sequence[Pledge]) -> None: ...

    async def replace(self, contingent: Contingent, *, at: datetime,
                      pledges: Sequence[Pledge]) -> None:
        """Set an unused year again from scratch (nothing allocated, nothing redistributed)."""

    async def save(self, contingent: Contingent, *, at: datetime,
                   trace: LedgerTrace = LedgerTrace()) -> None:
        """Write what changed since ``get``: new ledger entries, shares, redistributions,
        the close."""

    async def pledges(self, year: int) -> Sequence[Pledge]: ...

    async def closed_year(self, year: int) -> ClosedYear | None: ...

    async def open_years_with(self, member_id: str) -> Sequence[int]:
        """Open years in which the member takes part and has not left, oldest first."""

    async def record_decision(self, *, year: int, home_id: UUID, round: int,
                              member_id: str | None, explanation: dict[str, object],
                              event_id: UUID, at: datetime) -> None:
        """Store the explanation of an allocation decision (one per home and round)."""


class MemberDirectory(Protocol):
    async def get(self, member_id: str, *, lock: bool = False) -> Member | None: ...

    async def of(self, member_ids: Collection[str]) -> dict[str, Member]: ...

    async def listing(self) -> Sequence[Member]: ...

    async def add(self, member: Member) -> bool:
        """False when the id is taken."""

    async def rename(self, member_id: str, name: str) -> None: ...

    async def deactivate(self, member_id: str, at: datetime) -> None: ...


class Unit(Protocol):
    """One transaction: repositories, the outbox, and business time ``now``."""

    @property
    def now(self) -> datetime: ...

    @property
    def contingents(self) -> ContingentRepository: ...

    @property
    def members(self) -> MemberDirectory: ...

    async def publish(self, event: Event, *, case_id: UUID,
                      occurred_at: datetime | None = None) -> None: ...
