"""A transaction of several events about cases locks and reads those cases in one round
trip (the consumer's `prepare`) and saves them in one at its commit, and ends where
handling the events one by one ends: a second event about a case sees what the first one
saved. On real PostgreSQL, with the
intake's own handlers, on a database of the test's own (no HTTP, no Kafka)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from services.intake.adapters.db import tables
from services.intake.adapters.db.repository import SqlIntakeRepository, lock_cases
from services.intake.adapters.kafka.handlers import build_handlers, lock_cases_of
from services.intake.domain.intake import IntakeStatus
from shared.clock import ManualClock
from shared.consumer import Delivery, IdempotentConsumer
from shared.events import Event
from shared.events.base import envelope_for
from shared.events.matching import MatchDeclined, MatchProposed
from shared.outbox import Outbox
from tests.integration.intake.support import submitted_intake
from tests.support.statements import statements_sent

pytestmark = pytest.mark.infra

T0 = datetime(2091, 3, 2, 9, 0, tzinfo=UTC)


async def submitted(engine: AsyncEngine, count: int) -> list[str]:
    """`count` submitted cases, straight into the repository."""
    cases = []
    async with async_sessionmaker(engine)() as session, session.begin():
        for i in range(count):
            intake = submitted_intake(f"Client {i}", T0)
            assert await SqlIntakeRepository(session).add(intake, client_number=f"C{i}")
            cases.append(intake.case_id)
    return cases


def consumer(engine: AsyncEngine, *, prepared: bool) -> IdempotentConsumer:
    outbox = Outbox(tables.outbox, "intake", ManualClock(T0))
    return IdempotentConsumer(
        service=f"intake{uuid.uuid4().hex[:6]}",
        session_factory=async_sessionmaker(engine, expire_on_commit=False),
        inbox=tables.inbox, handlers=build_handlers(outbox, ManualClock(T0)),
        broker=None,  # type: ignore[arg-type]  # nothing here is dead-lettered
        transaction_seconds=60.0, prepare=lock_cases_of if prepared else None)


HOME = uuid.uuid4()
# the same matches for both sets of cases, so their rows compare equal but for their keys
MATCHES = [uuid.uuid4() for _ in range(4)]
AGAIN = uuid.uuid4()


def proposed(match: uuid.UUID) -> MatchProposed:  # the intake does not read client_ref
    return MatchProposed(
        match_id=match, home_id=HOME, client_ref="not_read_here", member_id="m01",
        corporation_id="c1", municipality="Enschede", contingent_year=2091,
        deadline=T0 + timedelta(days=7), intake_submitted_at=T0)


def declined(match: uuid.UUID) -> MatchDeclined:
    return MatchDeclined(match_id=match, home_id=HOME, member_id="m01", corporation_id="c1",
                         proposed_at=T0, reason="other")


def batch(cases: list[str]) -> list[Delivery]:
    """A proposal for each case; the second case's is declined, and it is proposed again."""
    events: list[tuple[Event, str]] = [
        (proposed(match), case) for match, case in zip(MATCHES, cases, strict=True)]
    events += [(declined(MATCHES[1]), cases[1]), (proposed(AGAIN), cases[1])]
    deliveries = []
    for i, (event, case) in enumerate(events):
        envelope = envelope_for(event, case_id=uuid.UUID(case),
                                occurred_at=T0 + timedelta(minutes=i), recorded_at=T0)
        deliveries.append(Delivery(raw=envelope.to_bytes(), topic="transferpunt.matching.events",
                                   partition=0, offset=i, event_type=envelope.type))
    return deliveries


async def states(engine: AsyncEngine, cases: list[str]) -> list[dict[str, Any]]:
    """The cases' rows in the order given, but for what differs between two sets of cases
    anyway (their keys, and the times the database sets)."""
    differ = {"case_id", "client_ref", "created_at", "updated_at"}
    async with engine.connect() as conn:
        rows = {row.case_id: row._asdict() for row in await conn.execute(
            sa.select(tables.intakes).where(
                tables.intakes.c.case_id.in_([uuid.UUID(c) for c in cases])))}
    return [{k: v for k, v in rows[uuid.UUID(c)].items() if k not in differ} for c in cases]


async def test_a_transaction_of_case_events_reads_its_cases_once_and_ends_as_one_by_one(
        engine: AsyncEngine) -> None:
    together, alone = await submitted(engine, 4), await submitted(engine, 4)

    with statements_sent(engine) as sent:
        outcomes = await consumer(engine, prepared=True).handle_batch(batch(together))
    assert outcomes == ["processed"] * 6
    reads = [s.statement for s in sent if s.statement.lstrip().startswith("SELECT")]
    # the four cases at once; the second case again for each later event about it
    assert len(reads) == 3
    assert "= ANY" in reads[0] and "FOR UPDATE" in reads[0]
    assert all("= ANY" not in read for read in reads[1:])
    # the cases saved at commit, in one statement for all of them — but a case read again
    # has its save written first: 4 (before the second case is read again), 1, 1 (at commit)
    saves = [s.parameters for s in sent if s.statement.lstrip().startswith("UPDATE")]
    assert [len(p) if isinstance(p, list) else 1 for p in saves] == [4, 1, 1]

    for one in batch(alone):  # the reference: a transaction for each event, no `prepare`
        assert await consumer(engine, prepared=False).handle(one) == "processed"

    after = await states(engine, together)
    assert after == await states(engine, alone)
    assert [case["status"] for case in after] == ["proposed"] * 4
    assert [p["match_id"] for p in after[1]["proposals"]] == [str(MATCHES[1]), str(AGAIN)]


async def test_a_case_saved_after_it_was_locked_with_others_is_read_as_saved(
        engine: AsyncEngine) -> None:
    cases = await submitted(engine, 2)
    async with async_sessionmaker(engine)() as session, session.begin():
        await lock_cases(session, cases)
        repository = SqlIntakeRepository(session)
        changed = await repository.get(cases[0])  # read without taking what was locked
        assert changed is not None
        changed.propose(str(MATCHES[0]), T0)
        await repository.save(changed)
        again = await repository.get(cases[0], for_update=True)
        assert again is not None and again.status == changed.status == IntakeStatus.PROPOSED
