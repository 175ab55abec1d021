"""In-memory stand-ins for the intake's ports, for unit tests of the use cases (no I/O).

The fake unit of work keeps a copy-on-commit store so a use case that raises leaves the
store as it was — the same promise the PostgreSQL transaction makes.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from services.intake.application.context import IntakeContext
from services.intake.application.ports import AccessEntry, AccessQuery, CaseFilter
from services.intake.domain.affordability import RENT_LIMITS_2025
from services.intake.domain.client import Contact, PersonalData
from services.intake.domain.details import IntakeDetails, IntakeRules
from services.intake.domain.household import Household
from services.intake.domain.intake import OPEN_STATUSES, Intake
from services.intake.domain.region import U16
from shared.clock import ManualClock
from shared.events.base import Event
from shared.events.intake import IntakeSubmitted

KEY = b"unit-test-pseudonym-key-32-bytes"
T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class Actor:
    sub: str
    role: str
    org: str


CASEWORKER = Actor("cw@m01", "caseworker", "m01")
OTHER_CASEWORKER = Actor("cw@m02", "caseworker", "m02")
COORDINATOR = Actor("coord", "coordinator", "region")
CORPORATION = Actor("corp", "corporation", "c01")


@dataclass
class Published:
    event: Event
    case_id: str
    occurred_at: datetime


@dataclass
class Store:
    intakes: dict[str, Intake] = field(default_factory=dict)
    client_numbers: dict[str, str] = field(default_factory=dict)
    access: list[AccessEntry] = field(default_factory=list)
    published: list[Published] = field(default_factory=list)


class OneStatement:
    """A unit of work that writes in one statement (`unit_of_work(one_statement=True)`: no
    transaction around it): a second write would be committed apart from the first."""

    def __init__(self, on: bool) -> None:
        self.on = on
        self._wrote = False

    def write(self, what: str) -> None:
        if self.on and self._wrote:
            raise AssertionError(f"{what}: a second write in a unit of work of one statement")
        self._wrote = True


class FakeIntakes:
    def __init__(self, store: Store, writes: OneStatement | None = None) -> None:
        self._store = store
        self._writes = writes or OneStatement(False)

    async def get(self, case_id: str, *, for_update: bool = False) -> Intake | None:
        return self._store.intakes.get(case_id)

    async def open_case_of(self, client_ref: str) -> Intake | None:
        return next((i for i in self._store.intakes.values()
                     if i.client_ref == client_ref and i.status in OPEN_STATUSES), None)

    async def add(self, intake: Intake, client_number: str, *,
                  submitted: IntakeSubmitted | None = None) -> bool:
        if intake.status in OPEN_STATUSES and await self.open_case_of(intake.client_ref):
            return False
        self._writes.write("add")
        self._store.intakes[intake.case_id] = intake
        self._store.client_numbers[intake.case_id] = client_number
        if submitted is not None:
            assert intake.submitted_at is not None
            self._store.published.append(
                Published(submitted, intake.case_id, intake.submitted_at))
        return True

    async def client_number(self, case_id: str) -> str | None:
        return self._store.client_numbers.get(case_id)

    async def save(self, intake: Intake) -> None:
        self._writes.write("save")
        self._store.intakes[intake.case_id] = intake
        if intake.personal_data_erased_at is not None:
            self._store.client_numbers.pop(intake.case_id, None)

    async def list(self, which: CaseFilter) -> Sequence[Intake]:
        found = [i for i in self._store.intakes.values()
                 if (which.member_id is None or i.member_id == which.member_id)
                 and (which.status is None or i.status is which.status)
                 and (which.client_ref is None or i.client_ref == which.client_ref)]
        return found[which.offset:which.offset + which.limit]

    async def ended_before(self, cutoff: datetime, limit: int) -> Sequence[str]:
        return [i.case_id for i in self._store.intakes.values()
                if i.ended_at is not None and i.ended_at < cutoff
                and i.personal_data_erased_at is None][:limit]


class FakeAccessLog:
    def __init__(self, store: Store, writes: OneStatement | None = None) -> None:
        self._store = store
        self._writes = writes or OneStatement(False)

    async def record(self, entry: AccessEntry) -> None:
        self._writes.write("record")
        self._store.access.append(entry)

    async def query(self, which: AccessQuery) -> Sequence[AccessEntry]:
        return [e for e in self._store.access
                if which.case_id is None or e.case_id == which.case_id]


class FakeUnitOfWork:
    def __init__(self, store: Store, *, one_statement: bool = False) -> None:
        self._writes = OneStatement(one_statement)
        self.intakes = FakeIntakes(store, self._writes)
        self.access_log = FakeAccessLog(store, self._writes)
        self._store = store

    async def publish(self, event: Event, *, case_id: str, occurred_at: datetime) -> None:
        if self._writes.on:  # as shared.db refuses a write left for the commit
            raise AssertionError("publish in a unit of work of one statement")
        self._store.published.append(Published(event, case_id, occurred_at))


class FakeDatabase:
    """`async with db.uow() as uow:` commits on success, discards everything on an error."""

    def __init__(self) -> None:
        self.store = Store()

    @asynccontextmanager
    async def uow(self, *, one_statement: bool = False) -> AsyncIterator[FakeUnitOfWork]:
        working = copy.deepcopy(self.store)
        yield FakeUnitOfWork(working, one_statement=one_statement)
        self.store = working

    def events(self, event_type: type[Event]) -> list[Event]:
        return [p.event for p in self.store.published if isinstance(p.event, event_type)]


def context(clock: ManualClock | None = None) -> IntakeContext:
    return IntakeContext(
        rules=IntakeRules(region=U16, rent_limits=RENT_LIMITS_2025),
        clock=clock or ManualClock(T0), pseudonym_key=KEY,
    )


def details(**changes: object) -> IntakeDetails:
    base = IntakeDetails(
        client=PersonalData(
            name="Maria Pietersen", date_of_birth=date(1979, 5, 17), bsn="111222333",
            contact=Contact(phone="0612345678", email="maria@example.org",
                            address="Opvangstraat 1, Utrecht"),
        ),
        household=Household(adults=1, children=2, children_ages=(4, 7)),
        monthly_income_cents=145_000,
        ready_to_move_on=T0.date() + timedelta(days=30),
        consent_given_on=T0.date(),
        preferred_municipalities=("Utrecht",),
        notes="Prefers mornings; contact via shelter desk.",
    )
    from dataclasses import replace

    return replace(base, **changes)  # type: ignore[arg-type]
