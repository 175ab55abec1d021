"""What the use cases need from the outside world, named by role (adapters implement them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.intake.domain.intake import Intake, IntakeStatus
from shared.events.base import Event
from shared.events.intake import IntakeSubmitted


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """Which cases a list shows; `member_id` None means every member (coordinator only)."""

    member_id: str | None = None
    status: IntakeStatus | None = None
    client_ref: str | None = None
    limit: int = 100
    offset: int = 0


class IntakeRepository(Protocol):
    async def get(self, case_id: str, *, for_update: bool = False) -> Intake | None:
        """The case, or None. `for_update` locks its row until the transaction ends, so two
        changes to one case (and their outbox events) happen one after the other."""
        ...

    async def open_case_of(self, client_ref: str) -> Intake | None:
        """The client's open case, if any."""
        ...

    async def add(self, intake: Intake, client_number: str, *,
                  submitted: IntakeSubmitted | None = None) -> bool:
        """Store a new case; False, storing nothing, when it is open and its client has an
        open case already — also one being stored at this very moment (the store waits for
        it to be committed or not), so two simultaneous intakes cannot both be stored.
        `submitted`: the case's `IntakeSubmitted`, published (outbox) in the same write and
        only if the case is stored, as occurred at the intake's submission."""
        ...

    async def client_number(self, case_id: str) -> str | None:
        """The member's own client number (personal data kept beside the aggregate)."""
        ...

    async def save(self, intake: Intake) -> None: ...

    async def list(self, which: CaseFilter) -> Sequence[Intake]: ...

    async def ended_before(self, cutoff: datetime, limit: int) -> Sequence[str]:
        """Ids of cases that ended before `cutoff` and still hold personal data."""
        ...


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One read of a client's personal data: who, from which organisation, when, which case
    and why. Never the data itself."""

    reader: str
    role: str
    org: str
    case_id: str
    member_id: str
    reason: str
    read_at: datetime


@dataclass(frozen=True, slots=True)
class AccessQuery:
    case_id: str | None = None
    reader: str | None = None
    member_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 500


class AccessLog(Protocol):
    async def record(self, entry: AccessEntry) -> None: ...

    async def query(self, which: AccessQuery) -> Sequence[AccessEntry]: ...


class UnitOfWork(Protocol):
    """One database transaction: state, outbox events and access-log entries commit together
    or not at all."""

    @property
    def intakes(self) -> IntakeRepository: ...

    @property
    def access_log(self) -> AccessLog: ...

    async def publish(self, event: Event, *, case_id: str, occurred_at: datetime) -> None:
        """Append `event` to the outbox in this transaction (the relay sends it to Kafka)."""
        ...
